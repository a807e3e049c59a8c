"""Helpers for the grid tests: a small camp with Slack people, and hand-made drafts.

A draft made by hand (no solver) lets the changelog, publish and DM tests say exactly which
session moved, so they can assert exactly who is told.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.people import person_for_slack_user
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Pitch, PitchHost, Placement, Room, Slot, Vote

LONDON = ZoneInfo("Europe/London")


def at(hhmm: str) -> datetime:
    """A moment on the example camp's day (2026-06-20, London time)."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 6, 20, h, m, tzinfo=LONDON)


def add_pitch(ctx: AppContext, event: Event, title: str, host: str, *, channel: str | None = "C0PITCHES",
              ts: str | None = None, **fields: object) -> int:
    """A pitch hosted by Slack user `host`, with a card message (channel, ts) to update."""
    assert event.id is not None
    with session_scope(ctx.engine) as db:
        person = person_for_slack_user(db, event.id, host, display_name=f"Host {host}")
        pitch = Pitch(event_id=event.id, title=title, created_by_id=person.id, channel=channel, **fields)
        db.add(pitch)
        db.flush()
        assert pitch.id is not None and person.id is not None
        if channel is not None:
            pitch.message_ts = ts or f"1600000000.{pitch.id:06d}"
        db.add(PitchHost(pitch_id=pitch.id, person_id=person.id))
        return pitch.id


def vote(ctx: AppContext, event: Event, user: str, *pitch_ids: int) -> None:
    assert event.id is not None
    with session_scope(ctx.engine) as db:
        person = person_for_slack_user(db, event.id, user)
        for pid in pitch_ids:
            assert person.id is not None
            db.add(Vote(event_id=event.id, person_id=person.id, pitch_id=pid))


def make_draft(ctx: AppContext, event: Event, cells: dict[int, tuple[str, str]], *,
               based_on: int | None = None) -> int:
    """A draft GridVersion placing pitch id -> (room key, slot key), as a solve would leave it."""
    assert event.id is not None
    with session_scope(ctx.engine) as db:
        rooms = {r.key: r.id for r in db.exec(select(Room).where(Room.event_id == event.id))}
        slots = {s.key: s.id for s in db.exec(select(Slot).where(Slot.event_id == event.id))}
        version = GridVersion(event_id=event.id, status="draft", figures={"based_on": based_on})
        db.add(version)
        db.flush()
        assert version.id is not None
        for pid, (room, slot) in cells.items():
            pitch = db.get(Pitch, pid)
            assert pitch is not None
            db.add(Placement(grid_version_id=version.id, pitch_id=pid, room_id=rooms[room], slot_id=slots[slot],
                             length=pitch.length))
        return version.id


def crowded_camp(ctx: AppContext, event: Event) -> list[int]:
    """30 pitches of skewed popularity and 200 voters of 2-6 votes each, seeded (the same camp every
    run): in the example camp's rooms of 12 to 80 seats the highest-coverage grid packs some
    popular sessions into small rooms, so a room-for-everyone grid differs from it."""
    rnd = random.Random(4)
    ids = [add_pitch(ctx, event, f"Talk {i}", f"U0H{i:03d}") for i in range(30)]
    weights = [rnd.random() ** 3 for _ in ids]
    for v in range(200):
        chosen = {rnd.choices(ids, weights=weights)[0] for _ in range(rnd.randint(2, 6))}
        vote(ctx, event, f"U0V{v:03d}", *sorted(chosen))
    return ids

"""The database, as the solver sees it: a campbot.problem/1 dict (docs/file-formats.md).

The bot and the solver only meet through this file format, so that a solve can run in its own
process (a crash or a hang there cannot take the bot down) and so that any problem the bot ever
solved can be saved and re-run by hand. Ids are stable and reversible:

- sessions are "p<pitch id>", rooms and slots are their keys ("r3", "t2");
- hosts are "u<person id>" and voters "v<person id>" (the solver never links the two);
- slot times are the camp's local clock with its UTC offset, as in the shared problem files.

Only active, non-excluded pitches become sessions; votes on anything else are left out (a merged
pitch's votes were already moved onto the pitch it was merged into). For a re-plan, `previous` is
the latest published grid and `frozen` the slots that have started or start within
`settings.freeze_minutes` of the planning moment.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Pitch, PitchHost, Placement, Room, Slot, Vote

PROBLEM_FORMAT = "campbot.problem/1"


def session_id(pitch_id: int) -> str:
    return f"p{pitch_id}"


def pitch_id_of(session: str) -> int:
    """The pitch id inside a session id ("p12" -> 12); ValueError for anything else."""
    if not session.startswith("p") or not session[1:].isdigit():
        raise ValueError(f"not a campbot session id: {session!r}")
    return int(session[1:])


def host_id(person_id: int) -> str:
    return f"u{person_id}"


def voter_id(person_id: int) -> str:
    return f"v{person_id}"


def local_iso(moment: datetime, zone: ZoneInfo) -> str:
    """An instant as the camp's wall clock with its offset ("2026-06-20T10:00:00+01:00").

    The database keeps UTC; the solver quotes the clock time of this string in its reasons
    ("its hosts can't come at 10:00"), so it must be the time on the wall at the camp."""
    return moment.astimezone(zone).isoformat()


def frozen_slot_keys(slots: list[Slot], at: datetime, freeze_minutes: int) -> list[str]:
    """Slots that have started, or start within `freeze_minutes` of `at`: people are on their way."""
    horizon = at + timedelta(minutes=freeze_minutes)
    return [s.key for s in slots if s.start <= horizon]


def latest_published(db: Session, event_id: int) -> GridVersion | None:
    query = (
        select(GridVersion)
        .where(GridVersion.event_id == event_id, GridVersion.status == "published")
        .order_by(col(GridVersion.number).desc())
    )
    return db.exec(query).first()


def build_problem(ctx: AppContext, event_id: int, *, replan: bool = False,
                  at: datetime | None = None) -> dict[str, Any]:
    """The problem for a solve (or, with `replan`, a re-plan planned from `at`, default now).

    Raises ServiceError with the fix when there is nothing to solve yet.
    """
    with session_scope(ctx.engine) as db:
        return _build(db, ctx, event_id, replan=replan, at=at or ctx.now())


def _build(db: Session, ctx: AppContext, event_id: int, *, replan: bool, at: datetime) -> dict[str, Any]:
    event = db.get(Event, event_id)
    if event is None:
        raise NotFound("That event no longer exists.")
    rooms = list(db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position), col(Room.id))))
    slots = list(db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start), col(Slot.id))))
    if not rooms or not slots:
        raise ServiceError(f"{event.name} has no rooms or no slots yet; load the event file first "
                           "(campbot event load FILE).")
    pitches = list(db.exec(
        select(Pitch)
        .where(Pitch.event_id == event_id, Pitch.status == "active", Pitch.excluded == False)  # noqa: E712
        .order_by(col(Pitch.id))
    ))
    if not pitches:
        raise ServiceError("There are no pitches to place yet (or all are excluded or withdrawn).")
    zone = ZoneInfo(event.timezone)
    room_keys = {r.key for r in rooms}
    slot_keys = {s.key for s in slots}
    ids = [p.id for p in pitches]
    hosts: dict[int, list[int]] = defaultdict(list)
    for ph in db.exec(select(PitchHost).where(col(PitchHost.pitch_id).in_(ids)).order_by(col(PitchHost.person_id))):
        hosts[ph.pitch_id].append(ph.person_id)

    sessions: list[dict[str, Any]] = []
    extra: dict[str, int] = {}
    for p in pitches:
        assert p.id is not None
        people = hosts.get(p.id) or ([p.created_by_id] if p.created_by_id else [])
        session: dict[str, Any] = {
            "id": session_id(p.id),
            "title": p.title,
            # a paper pitch with nobody recorded still needs one host to be placeable
            "hosts": [host_id(h) for h in people] or [f"pitch{p.id}"],
            "length": max(1, min(p.length, len(slots))),
            "needs": sorted(set(p.needs)),
            "unavailable": sorted(k for k in set(p.unavailable_slots) if k in slot_keys),
            "tags": list(p.tags),
        }
        pin = {k: v for k, v in (("room", p.pin_room_key), ("slot", p.pin_slot_key))
               if v is not None and v in (room_keys if k == "room" else slot_keys)}
        if pin:
            session["pin"] = pin
        sessions.append(session)
        if p.paper_votes > 0:
            extra[session_id(p.id)] = p.paper_votes

    votes: dict[str, list[str]] = defaultdict(list)
    vote_rows = db.exec(
        select(Vote.person_id, Vote.pitch_id)
        .where(Vote.event_id == event_id, col(Vote.pitch_id).in_(ids))
        .order_by(col(Vote.person_id), col(Vote.pitch_id))
    )
    for person_id, pid in vote_rows:
        votes[voter_id(person_id)].append(session_id(pid))

    problem: dict[str, Any] = {
        "format": PROBLEM_FORMAT,
        "event": {"name": event.name, "timezone": event.timezone},
        "rooms": [{"id": r.key, "name": r.name, "capacity": r.capacity, "features": sorted(set(r.features)),
                   "unavailable": sorted(k for k in set(r.closed_slots) if k in slot_keys)} for r in rooms],
        "slots": [{"id": s.key, "start": local_iso(s.start, zone), "end": local_iso(s.end, zone),
                   **({"block": s.block} if s.block else {})} for s in slots],
        "sessions": sessions,
        "votes": dict(votes),
    }
    if extra:
        problem["extra_demand"] = extra
    if replan:
        published = latest_published(db, event_id)
        if published is None:
            raise ServiceError("Nothing is published yet, so there is nothing to re-plan; "
                               "run /camp solve and publish first.")
        assert published.id is not None
        room_by_id = {r.id: r.key for r in rooms}
        slot_by_id = {s.id: s.key for s in slots}
        active = set(ids)
        previous = {}
        for pl in db.exec(select(Placement).where(Placement.grid_version_id == published.id)):
            if pl.pitch_id in active and pl.room_id in room_by_id and pl.slot_id in slot_by_id:
                previous[session_id(pl.pitch_id)] = {"room": room_by_id[pl.room_id], "slot": slot_by_id[pl.slot_id]}
        problem["previous"] = previous
        problem["frozen"] = frozen_slot_keys(slots, at, ctx.settings.freeze_minutes)
    return problem

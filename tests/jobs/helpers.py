"""Test helpers for the reminder jobs: a controllable clock, a published grid built directly
through the session (no solver), and waiting for asynchronous effects with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.people import person_for_slack_user
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Pitch, PitchHost, Placement, Room, Slot, Vote
from tests.support.fake_slack import Call, FakeSlack

LONDON = ZoneInfo("Europe/London")


class Clock:
    """A wall clock the test moves by hand: `ctx.clock = clock`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class FakeTime:
    """A monotonic clock plus a sleep that only moves it: a 429 storm without real waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def local(day: date, hhmm: str, zone: ZoneInfo = LONDON) -> datetime:
    """A wall-clock time on `day` in `zone`, as an aware UTC instant."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=zone).astimezone(UTC)


@dataclass
class S:
    """A session to place: title, room key, first slot key, host and voter Slack ids."""

    title: str
    room: str
    slot: str
    hosts: Sequence[str] = ()
    voters: Sequence[str] = ()
    length: int = 1
    pitch_id: int | None = field(default=None, compare=False)


def publish_grid(ctx: AppContext, event_id: int, sessions: Sequence[S], *, reuse: bool = True) -> int:
    """Create (or reuse by title) the pitches, hosts and votes, and publish a new numbered
    version placing them as given. Returns the version number."""
    with session_scope(ctx.engine) as db:
        rooms = {r.key: r for r in db.exec(select(Room).where(Room.event_id == event_id))}
        slots = {s.key: s for s in db.exec(select(Slot).where(Slot.event_id == event_id))}
        last = db.exec(select(GridVersion.number).where(GridVersion.event_id == event_id,
                                                        GridVersion.status == "published")
                       .order_by(col(GridVersion.number).desc())).first()
        number = (last or 0) + 1
        # as publishing leaves a version whose sends all went out (so the sweep has nothing to resume)
        version = GridVersion(event_id=event_id, number=number, status="published", published_at=ctx.now(),
                              figures={"sends_complete": True})
        db.add(version)
        db.flush()
        for s in sessions:
            pitch = db.exec(select(Pitch).where(Pitch.event_id == event_id, Pitch.title == s.title)).first() \
                if reuse else None
            if pitch is None:
                pitch = Pitch(event_id=event_id, title=s.title, length=s.length)
                db.add(pitch)
                db.flush()
                for user in s.hosts:
                    host = person_for_slack_user(db, event_id, user, display_name=f"Host {user}")
                    db.add(PitchHost(pitch_id=pitch.id, person_id=host.id))
                for user in s.voters:
                    voter = person_for_slack_user(db, event_id, user, display_name=f"Voter {user}")
                    db.add(Vote(event_id=event_id, person_id=voter.id, pitch_id=pitch.id))
                db.flush()
            s.pitch_id = pitch.id
            db.add(Placement(grid_version_id=version.id, pitch_id=pitch.id, room_id=rooms[s.room].id,
                             slot_id=slots[s.slot].id, length=s.length))
    return number


def update_event(ctx: AppContext, event_id: int, **values: object) -> None:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        assert event is not None
        for k, v in values.items():
            setattr(event, k, v)
        db.add(event)


def move_slots(ctx: AppContext, event_id: int, first_start: datetime, *, length: timedelta = timedelta(minutes=45),
               gap: timedelta = timedelta(minutes=15)) -> dict[str, datetime]:
    """Re-time the event's slots to start at `first_start` (live tests need them near now)."""
    starts: dict[str, datetime] = {}
    with session_scope(ctx.engine) as db:
        slots = list(db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))))
        for i, slot in enumerate(slots):
            slot.start = first_start + i * (length + gap)
            slot.end = slot.start + length
            starts[slot.key] = slot.start
            db.add(slot)
    return starts


def posts(fake: FakeSlack) -> list[Call]:
    return fake.calls_to("chat.postMessage")


def posts_to(fake: FakeSlack, channel: str) -> list[Call]:
    return [c for c in posts(fake) if c.params.get("channel") == channel]


def dm_targets(fake: FakeSlack) -> list[str]:
    """The users DMed (reminder DMs are posted with the user id as the channel)."""
    return sorted(str(c.params["channel"]) for c in posts(fake) if str(c.params.get("channel", "")).startswith("U"))


def text_of(call: Call) -> str:
    """Everything a person would read in a posted message: fallback text and all block text."""
    parts = [str(call.params.get("text", ""))]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(call.params.get("blocks") or [])
    return "\n".join(parts)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll with a deadline (never sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

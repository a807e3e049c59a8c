"""Re-planning on the day: record what changed (a room lost, a host gone), then re-solve.

A re-plan is a solve with the published grid as `previous` and the slots that have started (or
start within `freeze_minutes`) frozen, so the solver moves only what the changes force. The
draft it leaves is published like any other (publishing.py), as version N+1 with a changelog.

Changes apply to the *remaining* slots only: those not frozen at the planning moment. A session
already under way stays in the record as it ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.services.pins import find_room, find_slot
from campbot.services.problem_builder import frozen_slot_keys
from campbot.services.solving import SolveNotifier, start_solve
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, Person, Pitch, PitchHost, Room, Slot


def remaining_slot_keys(ctx: AppContext, event_id: int, at: datetime | None = None) -> list[str]:
    """Slot keys a re-plan planned at `at` (default now) may still change, in time order."""
    with session_scope(ctx.engine) as db:
        slots = list(db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))))
    frozen = set(frozen_slot_keys(slots, at or ctx.now(), ctx.settings.freeze_minutes))
    return [s.key for s in slots if s.key not in frozen]


@dataclass(frozen=True)
class RoomChange:
    """What `/camp close-room` or `open-room` did: slots as rows, so replies can say their times."""

    room_key: str
    room_name: str
    timezone: str
    changed: list[Slot]  # slots closed (or opened) now
    started: list[Slot] = field(default_factory=list)  # asked for, but under way: left as they ran
    in_file: list[Slot] = field(default_factory=list)  # open-room: closed by the event file, so still closed


def split_room_words(ctx: AppContext, event_id: int, words: Sequence[str]) -> tuple[str, list[str]]:
    """"Main hall from 13:00" -> ("Main hall", ["from", "13:00"]): the longest leading words that
    name a room (key or name), then the slot words. An unknown room is refused with the list."""
    with session_scope(ctx.engine) as db:
        for cut in range(len(words), 0, -1):
            room = find_room(db, event_id, " ".join(words[:cut]))
            if room is not None:
                return room.key, list(words[cut:])
        rooms = list(db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position))))
    said = " ".join(words)
    raise NotFound(f"No room '{said}'. Rooms: " + ", ".join(f"{r.key} ({r.name})" for r in rooms))


def _chosen_slots(db: Any, event: Event, words: Sequence[str]) -> list[Slot]:
    """The slots the words name, in time order: none = every slot; "from 13:00" (or "from t3") =
    that slot and every later one; otherwise slot keys or start times ("t4", "14:00")."""
    slots = list(db.exec(select(Slot).where(Slot.event_id == event.id).order_by(col(Slot.start))))
    words = [w for w in words if w.lower() not in ("and", ",")]
    if not words:
        return slots
    if words[0].lower() in ("from", "after"):
        if len(words) != 2:
            raise ServiceError("Say one slot after `from`: a start time like 13:00, or a slot key like t3.")
        first = _one_slot(db, event, words[1])
        return [s for s in slots if s.start >= first.start]
    chosen = {_one_slot(db, event, w.strip(",")).key for w in words}
    return [s for s in slots if s.key in chosen]


def _one_slot(db: Any, event: Event, word: str) -> Slot:
    assert event.id is not None
    slot = find_slot(db, event.id, word, event.timezone)
    if slot is None:
        tz = ZoneInfo(event.timezone)
        starts = ", ".join(s.start.astimezone(tz).strftime("%H:%M")
                           for s in db.exec(select(Slot).where(Slot.event_id == event.id).order_by(col(Slot.start))))
        raise ServiceError(f"'{word}' is not a slot of this camp; use a start time ({starts}) or a slot key.")
    return slot


def close_room(ctx: AppContext, event_id: int, room: str, slots: Sequence[str] = (), *,
               at: datetime | None = None, actor: str = "") -> RoomChange:
    """Close a room (key or name) for the slots the words name (default: the rest of the day;
    "from 13:00": after lunch). Slots already under way stay as they ran. The closure is the
    organisers': it is kept when the event file is loaded again, and `open_room` undoes it."""
    remaining = set(remaining_slot_keys(ctx, event_id, at))
    with session_scope(ctx.engine) as db:
        event, row = _event_and_room(db, event_id, room)
        chosen = _chosen_slots(db, event, slots)
        started = [s for s in chosen if s.key not in remaining] if slots else []
        wanted = [s for s in chosen if s.key in remaining]
        if not wanted:
            raise ServiceError("Every slot asked for has started or is about to, so there is nothing left to close.")
        added = [s for s in wanted if s.key not in row.closed_slots]
        row.closed_slots = [*row.closed_slots, *(s.key for s in added)]
        row.organiser_closed = [*row.organiser_closed, *(s.key for s in wanted if s.key not in row.organiser_closed)]
        db.add(row)
        db.add(AuditLog(event_id=event_id, actor=actor, action="room.close",
                        detail={"room": row.key, "slots": [s.key for s in added]}))
        return RoomChange(row.key, row.name, event.timezone, added, started=started)


def open_room(ctx: AppContext, event_id: int, room: str, slots: Sequence[str] = (), *,
              at: datetime | None = None, actor: str = "") -> RoomChange:
    """Undo `close_room` for the slots the words name (default: all of them). A slot that the
    event file closes stays closed (change the file); slots under way stay as they ran."""
    remaining = set(remaining_slot_keys(ctx, event_id, at))
    with session_scope(ctx.engine) as db:
        event, row = _event_and_room(db, event_id, room)
        chosen = [s for s in _chosen_slots(db, event, slots) if s.key in row.closed_slots]
        in_file = [s for s in chosen if s.key not in row.organiser_closed]
        started = [s for s in chosen if s.key in row.organiser_closed and s.key not in remaining] if slots else []
        opened = [s for s in chosen if s.key in row.organiser_closed and s.key in remaining]
        keys = {s.key for s in opened}
        row.closed_slots = [k for k in row.closed_slots if k not in keys]
        row.organiser_closed = [k for k in row.organiser_closed if k not in keys]
        db.add(row)
        db.add(AuditLog(event_id=event_id, actor=actor, action="room.open",
                        detail={"room": row.key, "slots": sorted(keys)}))
        return RoomChange(row.key, row.name, event.timezone, opened, started=started, in_file=in_file)


def organiser_closures(ctx: AppContext, event_id: int) -> list[RoomChange]:
    """Rooms with slots closed by an organiser (kept across loads of the file), slots as rows."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        assert event is not None
        slots = list(db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))))
        rooms = db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position)))
        return [RoomChange(r.key, r.name, event.timezone, [s for s in slots if s.key in r.organiser_closed])
                for r in rooms if r.organiser_closed]


def _event_and_room(db: Any, event_id: int, room: str) -> tuple[Event, Room]:
    event = db.get(Event, event_id)
    if event is None:
        raise NotFound("The event is gone; load it again with campbot event load.")
    row = find_room(db, event_id, room.strip())
    if row is None:
        rooms = list(db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position))))
        raise NotFound(f"No room '{room}'. Rooms: " + ", ".join(f"{r.key} ({r.name})" for r in rooms))
    return event, row


@dataclass(frozen=True)
class HostGone:
    name: str  # the person's name as the camp knows it (never a raw Slack token)
    titles: list[str]  # their active pitches, now kept out of the remaining slots


def _loose(name: str) -> str:
    """Letters and digits only, case-folded: `gone.host`, `Gone Host` and `@gone_host` agree."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def find_person(people: list[Person], user_id: str | None, name: str) -> list[Person]:
    """The people meant by a Slack id and/or a name: by the id first, then by the name on their
    pitch (exact, ignoring case, spaces and a leading @), then loosely (a username vs. a display
    name). The face parses what was typed (a mention, an id, a name) into these two."""
    if user_id:
        found = [p for p in people if p.slack_user_id == user_id]
        if found:
            return found
    if not name:
        return []
    wanted = " ".join(name.split()).casefold()
    found = [p for p in people if " ".join(p.display_name.removeprefix("@").split()).casefold() == wanted]
    if found or not _loose(name):
        return found
    return [p for p in people if _loose(p.display_name) == _loose(name)]


def host_gone(ctx: AppContext, event_id: int, user_id: str | None, name: str, *, at: datetime | None = None,
              actor: str = "") -> HostGone:
    """Mark a host (by Slack id and/or the name on their pitch; `name` "" when only the id is
    known) unable to make any remaining slot; returns their name and the titles of their pitches."""
    remaining = remaining_slot_keys(ctx, event_id, at)
    shown = name or "that person"  # never a raw id in a reply
    with session_scope(ctx.engine) as db:
        people = find_person(list(db.exec(select(Person).where(Person.event_id == event_id))), user_id, name)
        if not people:
            raise NotFound(f"Nobody called '{shown}' is at this camp; mention them (@name), or use the "
                           "name on their pitch or their Slack id.")
        if len(people) > 1:
            raise ServiceError(f"{len(people)} people are called '{shown}'; mention the one you mean (@name).")
        person = people[0]
        name = person.display_name or shown
        pitches = list(db.exec(
            select(Pitch).join(PitchHost, col(PitchHost.pitch_id) == Pitch.id)
            .where(PitchHost.person_id == person.id, Pitch.status == "active")
        ))
        if not pitches:
            raise ServiceError(f"{name} hosts no active pitch, so the grid does not depend on them.")
        for p in pitches:
            p.unavailable_slots = [*p.unavailable_slots, *(k for k in remaining if k not in p.unavailable_slots)]
            p.updated_at = ctx.now()
            db.add(p)
        db.add(AuditLog(event_id=event_id, actor=actor, action="host.gone",
                        detail={"person": person.id, "pitches": [p.id for p in pitches], "slots": remaining}))
        return HostGone(name, [p.title for p in pitches])


def start_replan(ctx: AppContext, event_id: int, *, requested_by: str | None = None, seconds: float | None = None,
                 at: datetime | None = None, channel: str | None = None, notifier: SolveNotifier | None = None,
                 background: bool = True) -> int:
    """Re-solve from the published grid, frozen by the clock (or `at`); returns the SolveRun id."""
    return start_solve(ctx, event_id, kind="replan", requested_by=requested_by, seconds=seconds, at=at,
                       channel=channel, notifier=notifier, background=background)

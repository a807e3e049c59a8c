"""Re-planning on the day: record what changed (a room lost, a host gone), then re-solve.

A re-plan is a solve with the published grid as `previous` and the slots that have started (or
start within `freeze_minutes`) frozen, so the solver moves only what the changes force. The
draft it leaves is published like any other (publishing.py), as version N+1 with a changelog.

Changes apply to the *remaining* slots only: those not frozen at the planning moment. A session
already under way stays in the record as it ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot.context import AppContext
from bot.services.errors import NotFound, ServiceError
from bot.services.problem_builder import frozen_slot_keys
from bot.services.solving import SolveNotifier, start_solve
from bot.slack_text import PersonRef
from bot.store.db import session_scope
from bot.store.tables import AuditLog, Person, Pitch, PitchHost, Room, Slot


def remaining_slot_keys(ctx: AppContext, event_id: int, at: datetime | None = None) -> list[str]:
    """Slot keys a re-plan planned at `at` (default now) may still change, in time order."""
    with session_scope(ctx.engine) as db:
        slots = list(db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))))
    frozen = set(frozen_slot_keys(slots, at or ctx.now(), ctx.settings.freeze_minutes))
    return [s.key for s in slots if s.key not in frozen]


def close_room(ctx: AppContext, event_id: int, room: str, *, at: datetime | None = None,
               actor: str = "") -> list[str]:
    """Close a room (by key or name) for every remaining slot; returns the slot keys closed."""
    remaining = remaining_slot_keys(ctx, event_id, at)
    with session_scope(ctx.engine) as db:
        rooms = list(db.exec(select(Room).where(Room.event_id == event_id)))
        found = [r for r in rooms if r.key == room] or [r for r in rooms if r.name.lower() == room.strip().lower()]
        if not found:
            raise NotFound(f"No room '{room}'. Rooms: " + ", ".join(f"{r.key} ({r.name})" for r in rooms))
        row = found[0]
        if not remaining:
            raise ServiceError("Every slot has started or is about to, so there is nothing left to close.")
        added = [k for k in remaining if k not in row.closed_slots]
        row.closed_slots = [*row.closed_slots, *added]
        db.add(row)
        db.add(AuditLog(event_id=event_id, actor=actor, action="room.close",
                        detail={"room": row.key, "slots": added}))
    return added


@dataclass(frozen=True)
class HostGone:
    name: str  # the person's name as the camp knows it (never a raw Slack token)
    titles: list[str]  # their active pitches, now kept out of the remaining slots


def _loose(name: str) -> str:
    """Letters and digits only, case-folded: `gone.host`, `Gone Host` and `@gone_host` agree."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def find_person(people: list[Person], who: PersonRef) -> list[Person]:
    """The people `who` may mean: by Slack id first, then by the name on their pitch (exact,
    ignoring case, spaces and a leading @), then loosely (a username vs. a display name)."""
    if who.user_id:
        found = [p for p in people if p.slack_user_id == who.user_id]
        if found:
            return found
    if not who.name:
        return []
    wanted = " ".join(who.name.split()).casefold()
    found = [p for p in people if " ".join(p.display_name.removeprefix("@").split()).casefold() == wanted]
    if found or not _loose(who.name):
        return found
    return [p for p in people if _loose(p.display_name) == _loose(who.name)]


def host_gone(ctx: AppContext, event_id: int, who: PersonRef, *, at: datetime | None = None,
              actor: str = "") -> HostGone:
    """Mark a host (a mention, a Slack id or the name on their pitch) unable to make any
    remaining slot; returns their name and the titles of their pitches."""
    remaining = remaining_slot_keys(ctx, event_id, at)
    with session_scope(ctx.engine) as db:
        people = find_person(list(db.exec(select(Person).where(Person.event_id == event_id))), who)
        if not people:
            raise NotFound(f"Nobody called '{who.shown}' is at this camp; mention them (@name), or use the "
                           "name on their pitch or their Slack id.")
        if len(people) > 1:
            raise ServiceError(f"{len(people)} people are called '{who.shown}'; mention the one you mean (@name).")
        person = people[0]
        name = person.display_name or who.shown
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

"""One person's day once a grid is published: their sessions (voted for or hosting) with room
and local time, and what changed for each since the version before.

People plan their day around the published grid, so a re-plan that moves one of their
sessions must be visible on the session itself, not only in the changelog: each item says
"new" (not in the previous version) or where and when it was before. The agenda is the App
Home's (campbot.services.home), so Slack and the web list the same sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.home import AgendaItem, home_for_person
from campbot.services.times import hhmm
from campbot.store.db import read_scope
from campbot.store.tables import GridVersion, Person, Placement, Room, Slot


@dataclass(frozen=True)
class DayItem:
    item: AgendaItem
    change: str | None  # "New in version 3", "Moved: was Library, 10:00–10:45", or None


@dataclass(frozen=True)
class Day:
    event_name: str
    version: int | None  # None: no grid published yet
    previous: int | None
    timezone: str
    items: list[DayItem]
    feed_token: str  # the person's iCal feed: /ical/person/<token>.ics


def _placements(db: Session, version_id: int) -> dict[int, tuple[str, int, int]]:
    rows = db.exec(
        select(Placement.pitch_id, Room.name, Placement.slot_id, Placement.length)
        .join(Room, col(Room.id) == col(Placement.room_id))
        .where(Placement.grid_version_id == version_id)
    ).all()
    return {pitch_id: (room, slot_id, length) for pitch_id, room, slot_id, length in rows}


def my_day(ctx: AppContext, event_id: int, person_id: int) -> Day:
    home = home_for_person(ctx, event_id, person_id)
    with read_scope(ctx.engine) as db:
        person = db.get(Person, person_id)
        if person is None:
            raise NotFound("We could not find you at this camp any more: open your personal link again.")
        versions = db.exec(
            select(GridVersion).where(GridVersion.event_id == event_id, GridVersion.status == "published")
            .order_by(col(GridVersion.number).desc()).limit(2)
        ).all()
        items = [DayItem(i, None) for i in home.agenda]
        previous = versions[1] if len(versions) > 1 else None
        if versions and previous is not None and previous.id is not None and versions[0].id is not None:
            now_at, before = _placements(db, versions[0].id), _placements(db, previous.id)
            slots = {s.id: s for s in db.exec(select(Slot).where(Slot.event_id == event_id)).all()}
            ordered = sorted(slots.values(), key=lambda s: s.position)
            zone = ZoneInfo(home.timezone)
            items = []
            for item in home.agenda:
                was = before.get(item.pitch_id)
                change = None
                if was is None:
                    change = f"New in version {versions[0].number}"
                elif was != now_at.get(item.pitch_id):
                    room, slot_id, length = was
                    first = slots[slot_id]
                    at = ordered.index(first)
                    last = ordered[min(len(ordered) - 1, at + max(1, length) - 1)]
                    start: datetime = first.start.astimezone(zone)
                    end: datetime = last.end.astimezone(zone)
                    change = f"Moved: was {room}, {hhmm(start, home.timezone)}–{hhmm(end, home.timezone)}"
                items.append(DayItem(item, change))
        return Day(
            event_name=home.event_name, version=home.grid_version,
            previous=previous.number if previous is not None else None,
            timezone=home.timezone, items=items, feed_token=person.feed_token,
        )

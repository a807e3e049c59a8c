"""The event's set-up as organisers see it in Slack, and the few settings they change there.

Rooms and slots are changed through the YAML file (`campbot event load`), where a whole
grid can be checked before anything is written; from Slack only the quota and the voting
window change, because those are what organisers adjust on the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.services.people import person_for_slack_user
from campbot.services.voting import voting_plan
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, Room, Slot


@dataclass(frozen=True)
class SetupSummary:
    name: str
    slug: str
    timezone: str
    quota: int
    voting: str
    voting_plan: str  # when voting opens and closes, in a sentence (campbot.services.voting.voting_plan)
    opens: datetime | None
    closes: datetime | None
    channels: dict[str, str | None]
    rooms: list[tuple[str, str, int, list[str], list[str]]]  # key, name, seats, features, closed slots
    slots: list[tuple[str, datetime, datetime, str]]  # key, start, end, block
    organisers: list[str]


def setup_summary(ctx: AppContext, event_id: int) -> SetupSummary:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; load it again with campbot event load.")
        rooms = db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position))).all()
        slots = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.position))).all()
    return SetupSummary(
        name=event.name, slug=event.slug, timezone=event.timezone, quota=event.vote_quota,
        voting=event.voting_status, voting_plan=voting_plan(event, ctx.now()),
        opens=event.voting_opens_at, closes=event.voting_closes_at,
        channels={"pitches": event.pitches_channel, "announce": event.announce_channel,
                  "organisers": event.organisers_channel},
        rooms=[(r.key, r.name, r.capacity, list(r.features), list(r.closed_slots)) for r in rooms],
        slots=[(s.key, s.start, s.end, s.block) for s in slots],
        organisers=[*event.organisers, *([f"group {event.organiser_usergroup}"] if event.organiser_usergroup else [])],
    )


def set_quota(ctx: AppContext, event_id: int, quota: int, *, actor: str) -> str:
    if not 1 <= quota <= 100:
        raise ServiceError(f"The vote quota must be between 1 and 100 (you gave {quota}).")
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone.")
        old, event.vote_quota = event.vote_quota, quota
        db.add(event)
        db.add(AuditLog(event_id=event_id, actor=actor, action="setup.quota", detail={"from": old, "to": quota}))
    return f"The vote quota is now {quota} (was {old}). Votes already cast above it stay."


def parse_local_time(text: str, zone: ZoneInfo, day: datetime) -> datetime:
    """"09:45" on the camp's day, or a full "2026-06-20T09:45", in the event's zone."""
    try:
        if len(text) <= 5 and ":" in text:
            hh, mm = (int(x) for x in text.split(":"))
            return datetime.combine(day.astimezone(zone).date(), time(hh, mm), tzinfo=zone)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ServiceError(f"'{text}' is not a time; write it like 09:45 or 2026-06-20T09:45.") from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def set_voting_closes(ctx: AppContext, event_id: int, text: str, *, actor: str) -> str:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        first = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))).first()
        if event is None:
            raise NotFound("The event is gone.")
        zone = ZoneInfo(event.timezone)
        when = parse_local_time(text.strip(), zone, first.start if first else ctx.now())
        event.voting_closes_at = when
        db.add(event)
        db.add(AuditLog(event_id=event_id, actor=actor, action="setup.closes", detail={"at": when.isoformat()}))
    _reschedule(ctx, event_id)
    return f"Voting now closes at {when.astimezone(zone):%a %d %b %H:%M} ({event.timezone})."


def _reschedule(ctx: AppContext, event_id: int) -> None:
    """The "voting closes in 10 minutes" post follows the new time (the scheduler listens)."""
    for follow in ctx.schedule_changed:
        follow(ctx, event_id)


def feed_token_for(ctx: AppContext, event_id: int, user_id: str) -> str:
    with session_scope(ctx.engine) as db:
        return person_for_slack_user(db, event_id, user_id).feed_token

"""Setting an event up and finding it again."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.event_file import EventFile, EventFileError, resolve_instant, resolved_slots
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import AuditLog, Event, Placement, Room, Slot


def load_event(ctx: AppContext, spec: EventFile, *, actor: str = "cli") -> Event:
    """Create or update the event from a checked file, all in one transaction.

    Rooms and slots are matched by id, so re-loading a corrected file keeps pitches, votes
    and placements. A room or slot that a placed grid still uses cannot be removed.
    """
    zone = ZoneInfo(spec.event.timezone)
    day = spec.event.date
    slots = resolved_slots(spec)
    with session_scope(ctx.engine) as db:
        event = db.exec(select(Event).where(Event.slug == spec.event.slug)).first() or Event(
            slug=spec.event.slug, name=spec.event.name
        )
        e = spec.event
        event.name, event.timezone, event.vote_quota = e.name, e.timezone, e.vote_quota
        event.voting_opens_at = resolve_instant(e.voting.opens, day, zone)
        event.voting_closes_at = resolve_instant(e.voting.closes, day, zone)
        if e.voting.hide_counts is not None:
            event.hide_counts = e.voting.hide_counts
        event.pitches_channel = e.channels.pitches
        event.announce_channel = e.channels.announce
        event.organisers_channel = e.channels.organisers
        event.organisers = list(e.organisers)
        event.organiser_usergroup = e.organiser_usergroup
        event.hashtag, event.notes_url_pattern = e.hashtag, e.notes_url_pattern
        event.grid_post_at = resolve_instant(e.grid_post_at, day, zone)
        if e.team_id:
            event.team_id = e.team_id
        db.add(event)
        db.flush()
        assert event.id is not None
        _sync_rooms(db, event.id, spec, {s.key for s in slots})
        _sync_slots(db, event.id, slots)
        db.add(AuditLog(event_id=event.id, actor=actor, action="event.load", detail={"slug": event.slug}))
    return event


def _sync_rooms(db: Session, event_id: int, spec: EventFile, slot_keys: set[str]) -> None:
    existing = {r.key: r for r in db.exec(select(Room).where(Room.event_id == event_id))}
    for pos, r in enumerate(spec.rooms):
        row = existing.pop(r.id, None) or Room(event_id=event_id, key=r.id, name=r.name, capacity=r.capacity)
        # The organisers' own closures (`/camp close-room`) outlive a reload of the file; a slot the
        # file no longer has is dropped from them. `organiser_closures` lists what stayed.
        kept = [k for k in row.organiser_closed if k in slot_keys]
        row.name, row.capacity, row.features, row.position = r.name, r.capacity, list(r.features), pos
        row.closed_slots = [*r.closed, *(k for k in kept if k not in r.closed)]
        row.organiser_closed = kept
        db.add(row)
    for gone in existing.values():
        if db.exec(select(Placement).where(Placement.room_id == gone.id)).first():
            raise EventFileError(
                f"rooms: {gone.key} ({gone.name}) is in a grid already; close it with 'closed' instead of removing it"
            )
        db.delete(gone)


def _sync_slots(db: Session, event_id: int, slots: list) -> None:
    existing = {s.key: s for s in db.exec(select(Slot).where(Slot.event_id == event_id))}
    for pos, s in enumerate(slots):
        row = existing.pop(s.key, None) or Slot(event_id=event_id, key=s.key, start=s.start, end=s.end)
        row.start, row.end, row.block, row.position = s.start, s.end, s.block, pos
        db.add(row)
    for gone in existing.values():
        if db.exec(select(Placement).where(Placement.slot_id == gone.id)).first():
            raise EventFileError(f"slots: {gone.key} is in a grid already and cannot be removed")
        db.delete(gone)


def get_event(
    ctx: AppContext, slug: str | None = None, *, team_id: str | None = None, only_team: bool = False
) -> Event:
    """The event by slug, or the only/newest one when no slug is given (one-camp installs).

    `only_team` (many workspaces, campbot.slack.oauth): only an event bound to exactly this team_id, never
    one without a team, so no workspace ever sees another's camp."""
    if only_team and not team_id:
        raise NotFound("this workspace has no camp set up; set team_id in the event file and load it")
    with read_scope(ctx.engine) as db:  # every request reads this: a held write lock must not delay it
        query = select(Event)
        if only_team:
            query = query.where(Event.team_id == team_id)
        elif team_id is not None:
            query = query.where((Event.team_id == team_id) | (Event.team_id == None))  # noqa: E711
        slug = slug or ctx.settings.event
        if slug:
            query = query.where(Event.slug == slug)
        event = db.exec(query.order_by(Event.id.desc())).first()  # type: ignore[union-attr]
    if event is None:
        hint = f"no event '{slug}'" if slug else "no event is set up yet"
        raise NotFound(f"{hint}; load one with: campbot event load examples/localgovcamp.yaml")
    return event


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)

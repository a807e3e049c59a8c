"""Organiser use cases: who counts as an organiser, voting open/close, the status report.

The organiser role is decided on our side, never trusted from the request: a Slack slash
command can be typed by anyone in the workspace. An organiser is listed in the event's
`organisers` (Slack user ids) or is a member of its `organiser_usergroup`; the group's
members come from the face's Directory (campbot.slack.directory: usergroups.users.list, cached
for a minute so a burst of commands costs one API call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import NotAllowed, NotFound
from campbot.services.voting import CLOSED, OPEN, voting_is_open, voting_plan
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Pitch, Vote

log = logging.getLogger(__name__)

REFUSAL = "Sorry, only the camp's organisers can do that. Nothing was changed."


class Directory(Protocol):
    """Who is in a group, as a face's people directory knows it (campbot.slack.directory: a Slack
    user group, cached). A directory that cannot tell answers an empty set: the role fails closed."""

    def usergroup_members(self, usergroup_id: str) -> frozenset[str]: ...


def is_organiser(ctx: AppContext, event: Event, user_id: str, directory: Directory | None) -> bool:
    """Whether this Slack user may run organiser commands for this event (the group's members
    from `directory`; without one, only the event's listed organisers)."""
    if not user_id:
        return False
    if user_id in (event.organisers or []):
        return True
    if event.organiser_usergroup and directory is not None:
        return user_id in directory.usergroup_members(event.organiser_usergroup)
    return False


def require_organiser(ctx: AppContext, event: Event, user_id: str, directory: Directory | None) -> None:
    if not is_organiser(ctx, event, user_id, directory):
        raise NotAllowed(REFUSAL)


@dataclass(frozen=True)
class VotingChange:
    open: bool  # whether votes are taken now
    note: str  # what changed, for the organiser


def set_voting(ctx: AppContext, event_id: int, *, open_: bool, actor: str) -> VotingChange:
    """Open or close voting now. Opening outside the event file's window moves the window
    edge to now, because an organiser who says "open" means open, not "open later"."""
    now = ctx.now()
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; load it again with campbot event load.")
        notes = []
        if open_:
            event.voting_status = OPEN
            if event.voting_opens_at and now < event.voting_opens_at:
                event.voting_opens_at = now
                notes.append("the opening time was moved to now")
            if event.voting_closes_at and now >= event.voting_closes_at:
                event.voting_closes_at = None
                notes.append("the closing time had passed, so voting now stays open until you close it")
        else:
            event.voting_status = CLOSED
        db.add(event)
        db.add(
            AuditLog(
                event_id=event_id,
                actor=actor,
                action="voting.open" if open_ else "voting.close",
                detail={"notes": notes},
            )
        )
        is_open = voting_is_open(event, now)
    verb = "open" if is_open else "closed"
    return VotingChange(open=is_open, note=f"Voting is now {verb}" + (f" ({'; '.join(notes)})." if notes else "."))


@dataclass(frozen=True)
class EventStatus:
    name: str
    voting_open: bool
    voting_status: str
    voting_plan: str  # when voting opens and closes, in a sentence
    opens_at: datetime | None
    closes_at: datetime | None
    timezone: str
    quota: int
    pitches_active: int
    pitches_withdrawn: int
    pitches_merged: int
    paper_pitches: int
    votes: int
    voters: int
    published_version: int | None


def event_status(ctx: AppContext, event_id: int) -> EventStatus:
    """The figures an organiser wants at a glance before opening, closing or solving."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; load it again with campbot event load.")
        by_status = dict(
            db.exec(select(Pitch.status, func.count()).where(Pitch.event_id == event_id).group_by(Pitch.status)).all()  # type: ignore[arg-type]
        )
        paper = db.exec(
            select(func.count()).select_from(Pitch).where(Pitch.event_id == event_id, Pitch.paper_votes > 0)
        ).one()
        active_votes = (
            select(Vote.person_id)
            .join(Pitch, Pitch.id == Vote.pitch_id)  # type: ignore[arg-type]
            .where(Vote.event_id == event_id, Pitch.status == "active")
        )
        votes = db.exec(select(func.count()).select_from(active_votes.subquery())).one()
        voters = db.exec(select(func.count()).select_from(active_votes.distinct().subquery())).one()
        published = db.exec(
            select(func.max(GridVersion.number)).where(
                GridVersion.event_id == event_id, GridVersion.status == "published"
            )
        ).one()
        return EventStatus(
            name=event.name,
            voting_open=voting_is_open(event, ctx.now()),
            voting_status=event.voting_status,
            voting_plan=voting_plan(event, ctx.now()),
            opens_at=event.voting_opens_at,
            closes_at=event.voting_closes_at,
            timezone=event.timezone,
            quota=event.vote_quota,
            pitches_active=int(by_status.get("active", 0)),
            pitches_withdrawn=int(by_status.get("withdrawn", 0)),
            pitches_merged=int(by_status.get("merged", 0)),
            paper_pitches=int(paper),
            votes=int(votes),
            voters=int(voters),
            published_version=int(published) if published is not None else None,
        )


def set_hide_counts(ctx: AppContext, event_id: int, *, hide: bool, actor: str) -> str:
    """Blind voting on or off: while voting is open, cards show no count (no bandwagon, and no
    card update per vote); counts appear when voting closes. Returns what to tell the organiser."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; load it again with campbot event load.")
        event.hide_counts = hide
        db.add(event)
        db.add(AuditLog(event_id=event_id, actor=actor, action="voting.hide_counts" if hide else "voting.show_counts",
                        detail={}))
    if hide:
        return "Counts are now hidden on the cards while voting is open; they appear when voting closes."
    return "Counts are shown on the cards again."

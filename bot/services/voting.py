"""Votes: "I'm interested" toggles, with the quota and the voting window enforced.

A toggle reads (is there a vote? how many has this person?) and then writes, so two
clicks at once must not both see "no vote" or both squeeze under the quota. The person's
row is locked first (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are begun
IMMEDIATE, which serialises writers), and the unique (event, person, pitch) constraint is
the last line of defence against a doubled row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.context import AppContext
from bot.services.errors import NotFound, ServiceError
from bot.services.people import person_for_slack_user
from bot.store.db import session_scope
from bot.store.tables import Event, Person, Pitch, Vote


class VotingClosed(ServiceError):
    pass


class OverQuota(ServiceError):
    pass


@dataclass(frozen=True)
class VoteResult:
    pitch_id: int
    voted: bool  # the person's vote after the toggle
    count: int  # votes on the pitch now (Slack votes only; paper votes are shown apart)
    used: int  # the person's votes now
    quota: int


def voting_is_open(event: Event, now: datetime) -> bool:
    """Open when an organiser opened it, and within the window where one is set."""
    if event.voting_status != "open":
        return False
    if event.voting_opens_at and now < event.voting_opens_at:
        return False
    return not (event.voting_closes_at and now >= event.voting_closes_at)


def _lock_person(db: Session, person: Person) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.exec(select(Person).where(Person.id == person.id).with_for_update()).one()


def count_votes(db: Session, pitch_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(Vote).where(Vote.pitch_id == pitch_id)).one())


def votes_used(db: Session, event_id: int, person_id: int) -> int:
    query = (
        select(func.count())
        .select_from(Vote)
        .join(Pitch, Pitch.id == Vote.pitch_id)  # type: ignore[arg-type]
        .where(Vote.event_id == event_id, Vote.person_id == person_id, Pitch.status == "active")
    )
    return int(db.exec(query).one())


def toggle_vote(ctx: AppContext, event_id: int, user_id: str, pitch_id: int, *, want: bool | None = None) -> VoteResult:
    """Flip (or set, with `want`) one person's interest in one pitch.

    Withdrawn and merged pitches keep their votes for the record but take no new ones, and
    votes on them do not count against the quota.
    """
    try:
        return _toggle(ctx, event_id, user_id, pitch_id, want)
    except IntegrityError:
        # A concurrent duplicate insert lost the race: the vote exists, which is what was asked.
        return _toggle(ctx, event_id, user_id, pitch_id, True)


def _toggle(ctx: AppContext, event_id: int, user_id: str, pitch_id: int, want: bool | None) -> VoteResult:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        pitch = db.get(Pitch, pitch_id)
        if event is None or pitch is None or pitch.event_id != event_id:
            raise NotFound("That pitch no longer exists.")
        if not voting_is_open(event, ctx.now()):
            raise VotingClosed("Voting is closed right now, so your vote was not changed.")
        person = person_for_slack_user(db, event_id, user_id)
        assert person.id is not None
        _lock_person(db, person)
        existing = db.exec(
            select(Vote).where(Vote.event_id == event_id, Vote.person_id == person.id, Vote.pitch_id == pitch_id)
        ).first()
        target = (existing is None) if want is None else want
        if target and existing is None:
            if pitch.status != "active":
                raise NotFound("That pitch was withdrawn or merged, so it takes no new votes.")
            used = votes_used(db, event_id, person.id)
            if used >= event.vote_quota:
                raise OverQuota(
                    f"You have used all {event.vote_quota} of your votes. "
                    "Take one back from another pitch first (your App Home lists them)."
                )
            db.add(Vote(event_id=event_id, person_id=person.id, pitch_id=pitch_id))
            db.flush()
        elif not target and existing is not None:
            db.delete(existing)
            db.flush()
        return VoteResult(
            pitch_id=pitch_id,
            voted=target,
            count=count_votes(db, pitch_id),
            used=votes_used(db, event_id, person.id),
            quota=event.vote_quota,
        )

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

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.services.people import person_for_slack_user
from campbot.services.times import day_name, hhmm
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Pitch, Vote


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


WINDOW = "window"  # the default: voting follows the event file's opens/closes by itself
OPEN = "open"  # an organiser opened it (`/camp voting open`): open until the closing time, if any
CLOSED = "closed"  # an organiser closed it: closed, whatever the window says, until opened again


def voting_is_open(event: Event, now: datetime) -> bool:
    """Whether votes are taken now.

    With the file's window (`window`), voting opens at `opens` and closes at `closes` by itself
    (a window with only `closes` is open until then; no window at all waits for an organiser).
    An organiser's `open` keeps the closing time; an organiser's `close` wins over the window."""
    opens, closes = event.voting_opens_at, event.voting_closes_at
    if event.voting_status == CLOSED:
        return False
    if event.voting_status != OPEN and opens is None and closes is None:
        return False
    if opens and now < opens:
        return False
    return not (closes and now >= closes)


@dataclass(frozen=True)
class VotingState:
    """What a pitch card says about voting: open, or why not and until when.

    phase: open | opens (at `opens_at`) | ended (the closing time passed) | closed (an
    organiser closed it) | waiting (no window: an organiser opens it)."""

    phase: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    timezone: str = "UTC"  # the event's: times are said in it

    @property
    def open(self) -> bool:
        return self.phase == "open"


def voting_state(event: Event, now: datetime) -> VotingState:
    opens, closes = event.voting_opens_at, event.voting_closes_at
    if voting_is_open(event, now):
        phase = "open"
    elif closes and now >= closes:
        phase = "ended"
    elif event.voting_status == CLOSED:
        phase = "closed"
    elif opens and now < opens:
        phase = "opens"
    else:
        phase = "waiting"
    return VotingState(phase, opens, closes, event.timezone)


HIDDEN_COUNT = "Counts are hidden until voting closes"


def counts_hidden(event: Event, now: datetime) -> bool:
    """Blind voting: the organiser asked to hide counts, and voting is open (before it opens
    every count is 0; once it closes, the counts are revealed). Both faces ask this one rule."""
    return bool(event.hide_counts) and voting_is_open(event, now)


def voting_closed_words(state: VotingState) -> str:
    """Why a vote is not taken now, in words: "Voting opens Friday 19 June at 09:00"."""
    timezone = state.timezone
    if state.phase == "opens" and state.opens_at is not None:
        return f"Voting opens {day_name(state.opens_at, timezone)} at {hhmm(state.opens_at, timezone)}"
    if state.phase == "ended" and state.closes_at is not None:
        return f"Voting closed at {hhmm(state.closes_at, timezone)}"
    if state.phase == "closed":
        return "The organisers have closed voting for now"
    return "Voting has not opened yet"


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


def toggle_vote_for_person(
    ctx: AppContext, event_id: int, person_id: int, pitch_id: int, *, want: bool | None = None
) -> VoteResult:
    """`toggle_vote` for a voter named by their Person id rather than a Slack user id: an attendee
    voting on the web (campbot.services.attendees.voter_person_id). A linked attendee's person is
    their Slack user's, so both faces spend one quota and make one set of votes."""
    try:
        return _toggle(ctx, event_id, None, pitch_id, want, person_id=person_id)
    except IntegrityError:
        return _toggle(ctx, event_id, None, pitch_id, True, person_id=person_id)


def _toggle(
    ctx: AppContext, event_id: int, user_id: str | None, pitch_id: int, want: bool | None,
    *, person_id: int | None = None,
) -> VoteResult:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        pitch = db.get(Pitch, pitch_id)
        if event is None or pitch is None or pitch.event_id != event_id:
            raise NotFound("That pitch no longer exists.")
        state = voting_state(event, ctx.now())
        if not state.open:
            raise VotingClosed(voting_closed_words(state) + ", so your vote was not changed.")
        if person_id is None:
            assert user_id is not None
            person = person_for_slack_user(db, event_id, user_id)
        else:
            found = db.get(Person, person_id)
            if found is None or found.event_id != event_id:
                raise NotFound("We could not find you at this camp any more: open your personal link again.")
            person = found
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


def _at(moment: datetime, timezone: str) -> str:
    return f"{day_name(moment, timezone)} at {hhmm(moment, timezone)}"


def voting_plan(event: Event, now: datetime) -> str:
    """When voting opens and closes, in one sentence for the organiser: what `campbot event
    load`, `/camp setup` and `/camp status` say, so nobody has to guess whether `opens:` in the
    file opens voting by itself (it does) or whether an earlier `/camp voting close` still holds."""
    tz, opens, closes = event.timezone, event.voting_opens_at, event.voting_closes_at
    state = voting_state(event, now)
    until = f"closes by itself {_at(closes, tz)}" if closes else "stays open until `/camp voting close`"
    if state.phase == "closed":
        return ("Voting is closed: an organiser closed it with `/camp voting close`, and it stays closed "
                "whatever the file's window says, until `/camp voting open`.")
    if state.phase == "ended" and closes is not None:
        return f"Voting closed {_at(closes, tz)}; `/camp voting open` reopens it."
    if state.phase == "opens" and opens is not None:
        return f"Voting opens by itself {_at(opens, tz)} and {until}."
    if state.phase == "waiting":
        return ("The event file sets no voting window (`voting: opens/closes`), so voting stays closed until "
                "an organiser says `/camp voting open`.")
    return f"Voting is open now and {until}."

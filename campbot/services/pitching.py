"""Pitches: a host's own pitch (create, edit, withdraw; from Slack by user id, from the web by
person id) and the data a card shows.

What was typed is checked in campbot.services.pitch_input; the organisers' acts on anyone's
pitches (merge, paper pitches, a show of hands) are campbot.services.pitch_desk, which shares
the row and card helpers here (pitch_of, card_of, set_hosts, slot_keys, by_submission_key).

Each use case is one transaction: a pitch, its hosts and its audit line are written
together or not at all. Only a pitch's hosts may edit or withdraw it (checked here, not in
Slack). Withdrawing keeps the votes (history) but the pitch leaves the solve (the solver
takes active pitches only) and its votes stop counting against the voters' quota.
Some 430 lines, on purpose: the Slack entrances (by user id) and the web's (by person id) of the
same use cases sit side by side, so their rules cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from campbot.config.context import AppContext
from campbot.services.errors import NotAllowed, NotFound, ServiceError
from campbot.services.people import person_for_slack_user
from campbot.services.pitch_input import (
    InvalidPitch,
    PitchInput,
    check_pitch,
)
from campbot.services.voting import VotingState, voting_state
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import AuditLog, Event, Person, Pitch, PitchHost, Slot, Vote


@dataclass(frozen=True)
class PitchCard:
    """What a pitch card, the App Home and organiser replies show about one pitch."""

    id: int
    event_id: int
    title: str
    description: str
    format: str
    length: int
    needs: tuple[str, ...]
    tags: tuple[str, ...]
    unavailable_slots: tuple[str, ...]
    status: str
    merged_into_id: int | None
    host_user_ids: tuple[str, ...]
    host_names: tuple[str, ...]  # hosts not on Slack
    votes: int
    paper_votes: int
    channel: str | None
    message_ts: str | None
    voting: VotingState | None = None  # None: not known here (the card then shows the vote button)

    @property
    def interest(self) -> int:
        return self.votes + self.paper_votes


@dataclass(frozen=True)
class SlotTime:
    """A slot as a host chooses it: its key and local start/end."""

    key: str
    start: datetime
    end: datetime


def event_slots(ctx: AppContext, event_id: int) -> list[SlotTime]:
    """The event's slots in order, in the event's own timezone."""
    with read_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; ask an organiser to load it again.")
        zone = ZoneInfo(event.timezone)
        rows = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(Slot.position)).all()  # type: ignore[arg-type]
        return [SlotTime(s.key, s.start.astimezone(zone), s.end.astimezone(zone)) for s in rows]


def slot_keys(db: Session, event_id: int) -> list[str]:
    return [s.key for s in db.exec(select(Slot).where(Slot.event_id == event_id).order_by(Slot.position))]  # type: ignore[arg-type]


def _checked(db: Session, event_id: int, data: PitchInput, user_id: str | None, *, max_hosts: int) -> PitchInput:
    errors = check_pitch(data, slot_keys(db, event_id), user_id=user_id, max_hosts=max_hosts)
    if errors:
        raise InvalidPitch(errors)
    return PitchInput(
        title=data.title.strip(),
        description=data.description.strip(),
        cohost_user_ids=tuple(dict.fromkeys(u for u in data.cohost_user_ids if u and u != user_id)),
        format=data.format,
        length=data.length,
        needs=tuple(sorted(set(data.needs))),
        unavailable_slots=tuple(dict.fromkeys(data.unavailable_slots)),
        tags=tuple(data.tags),
    )


def _apply(pitch: Pitch, data: PitchInput) -> None:
    pitch.title, pitch.description, pitch.format, pitch.length = data.title, data.description, data.format, data.length
    pitch.needs, pitch.unavailable_slots, pitch.tags = list(data.needs), list(data.unavailable_slots), list(data.tags)


def set_hosts(db: Session, pitch_id: int, person_ids: Iterable[int]) -> None:
    for row in db.exec(select(PitchHost).where(PitchHost.pitch_id == pitch_id)):
        db.delete(row)
    db.flush()
    for pid in dict.fromkeys(person_ids):
        db.add(PitchHost(pitch_id=pitch_id, person_id=pid))


def card_of(db: Session, pitch: Pitch, now: datetime) -> PitchCard:
    """The card as it stands at `now`: counts, hosts, and whether voting is open (the button)."""
    assert pitch.id is not None
    event = db.get(Event, pitch.event_id)
    hosts = db.exec(
        select(Person)
        .join(PitchHost, PitchHost.person_id == Person.id)  # type: ignore[arg-type]
        .where(PitchHost.pitch_id == pitch.id)
        .order_by(Person.id)  # type: ignore[arg-type]
    ).all()
    votes = db.exec(select(func.count()).select_from(Vote).where(Vote.pitch_id == pitch.id)).one()
    return PitchCard(
        id=pitch.id,
        event_id=pitch.event_id,
        title=pitch.title,
        description=pitch.description,
        format=pitch.format,
        length=pitch.length,
        needs=tuple(pitch.needs),
        tags=tuple(pitch.tags),
        unavailable_slots=tuple(pitch.unavailable_slots),
        status=pitch.status,
        merged_into_id=pitch.merged_into_id,
        host_user_ids=tuple(h.slack_user_id for h in hosts if h.slack_user_id),
        host_names=tuple(h.display_name for h in hosts if not h.slack_user_id),
        votes=int(votes),
        paper_votes=pitch.paper_votes,
        channel=pitch.channel,
        message_ts=pitch.message_ts,
        voting=voting_state(event, now) if event is not None else None,
    )


def pitch_of(db: Session, event_id: int, pitch_id: int) -> Pitch:
    pitch = db.get(Pitch, pitch_id)
    if pitch is None or pitch.event_id != event_id:
        raise NotFound(f"There is no pitch #{pitch_id}.")
    return pitch


def _is_host(db: Session, pitch_id: int, person_id: int) -> bool:
    return db.get(PitchHost, (pitch_id, person_id)) is not None


def _host_person(db: Session, event_id: int, pitch: Pitch, user_id: str) -> Person:
    person = person_for_slack_user(db, event_id, user_id)
    assert person.id is not None and pitch.id is not None
    if not _is_host(db, pitch.id, person.id):
        raise NotAllowed("Only the session's hosts can change it. Ask one of them, or an organiser.")
    return person


def _check_pitch_count(db: Session, event_id: int, owner: Person, limit: int) -> None:
    """A person may have `limit` active pitches of their own (Settings.pitches_per_person):
    enough for any honest host, and a cap on one person flooding the pitches channel."""
    count = db.exec(
        select(func.count())
        .select_from(Pitch)
        .where(Pitch.event_id == event_id, Pitch.created_by_id == owner.id, Pitch.status == "active")
    ).one()
    if count >= limit:
        raise ServiceError(
            f"You already have {count} active pitches, the most one person can have here. "
            "Withdraw one (from its card's menu) to pitch another."
        )


def _insert_pitch(
    db: Session, ctx: AppContext, event_id: int, user_id: str, owner: Person, data: PitchInput,
    submission_key: str | None = None,
) -> PitchCard:
    cohosts = [person_for_slack_user(db, event_id, u) for u in data.cohost_user_ids]
    now = ctx.now()
    pitch = Pitch(
        event_id=event_id, title=data.title, created_by_id=owner.id, created_at=now, updated_at=now,
        submission_key=submission_key,
    )
    _apply(pitch, data)
    db.add(pitch)
    db.flush()
    assert pitch.id is not None
    set_hosts(db, pitch.id, [p.id for p in [owner, *cohosts] if p.id is not None])
    db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.create", detail={"pitch": pitch.id}))
    db.flush()
    return card_of(db, pitch, ctx.now())


def create_pitch(
    ctx: AppContext, event_id: int, user_id: str, data: PitchInput, *, display_name: str = ""
) -> PitchCard:
    """Store a new pitch with its submitter and co-hosts as hosts. InvalidPitch if bad."""
    with session_scope(ctx.engine) as db:
        data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
        owner = person_for_slack_user(db, event_id, user_id, display_name)
        _check_pitch_count(db, event_id, owner, ctx.settings.pitches_per_person)
        return _insert_pitch(db, ctx, event_id, user_id, owner, data)


def by_submission_key(db: Session, submission_key: str | None) -> Pitch | None:
    if submission_key is None:
        return None
    return db.exec(select(Pitch).where(Pitch.submission_key == submission_key)).first()


@dataclass(frozen=True)
class Submitted:
    card: PitchCard
    created: bool  # False: a repeat of a pitch already saved; nothing new was stored


def submit_pitch(
    ctx: AppContext,
    event_id: int,
    user_id: str,
    data: PitchInput,
    *,
    submission_key: str | None,
    display_name: str = "",
) -> Submitted:
    """create_pitch for a submitted form: submitting the same form again (same `submission_key`:
    Slack gave up waiting and the person pressed Submit again) returns the pitch already saved
    instead of making a twin. The unique index on submission_key settles a race between copies."""
    return _submit(ctx, event_id, data, user_id, user_id, submission_key,
                   lambda db: person_for_slack_user(db, event_id, user_id, display_name))


def _submit(ctx: AppContext, event_id: int, data: PitchInput, user_id: str | None, actor: str,
            submission_key: str | None, owner_of: Callable[[Session], Person]) -> Submitted:
    """Both faces' submit: check, find the owner, return the copy already saved for this
    `submission_key` or insert. The unique index on submission_key settles a race between copies."""
    try:
        with session_scope(ctx.engine) as db:
            data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
            owner = owner_of(db)
            repeat = by_submission_key(db, submission_key)
            if repeat is not None:
                return Submitted(card_of(db, repeat, ctx.now()), created=False)
            _check_pitch_count(db, event_id, owner, ctx.settings.pitches_per_person)
            return Submitted(_insert_pitch(db, ctx, event_id, actor, owner, data, submission_key), created=True)
    except IntegrityError:
        if submission_key is None:
            raise
        with session_scope(ctx.engine) as db:  # a copy of this very submission won the race
            twin = by_submission_key(db, submission_key)
            if twin is None:
                raise
            return Submitted(card_of(db, twin, ctx.now()), created=False)


def pitch_for_edit(ctx: AppContext, event_id: int, pitch_id: int, user_id: str) -> tuple[PitchCard, PitchInput]:
    """The current values to pre-fill the edit modal; NotAllowed unless the user hosts it."""
    with session_scope(ctx.engine) as db:
        pitch = pitch_of(db, event_id, pitch_id)
        _host_person(db, event_id, pitch, user_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can no longer be changed.")
        card = card_of(db, pitch, ctx.now())
        return card, PitchInput(
            title=pitch.title,
            description=pitch.description,
            cohost_user_ids=tuple(u for u in card.host_user_ids if u != user_id),
            format=pitch.format,
            length=pitch.length,
            needs=tuple(pitch.needs),
            unavailable_slots=tuple(pitch.unavailable_slots),
            tags=tuple(pitch.tags),
        )


def edit_pitch(ctx: AppContext, event_id: int, pitch_id: int, user_id: str, data: PitchInput) -> PitchCard:
    """Change a pitch (hosts only). The editor stays a host; the co-host list is replaced."""
    with session_scope(ctx.engine) as db:
        pitch = pitch_of(db, event_id, pitch_id)
        editor = _host_person(db, event_id, pitch, user_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can't be edited.")
        data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
        # Hosts not on Slack (paper co-hosts) are kept: the modal cannot show them.
        paper = db.exec(
            select(Person.id)
            .join(PitchHost, PitchHost.person_id == Person.id)  # type: ignore[arg-type]
            .where(PitchHost.pitch_id == pitch_id, Person.slack_user_id == None)  # noqa: E711
        ).all()
        cohosts = [person_for_slack_user(db, event_id, u) for u in data.cohost_user_ids]
        _apply(pitch, data)
        pitch.updated_at = ctx.now()
        db.add(pitch)
        set_hosts(db, pitch_id, [editor.id, *(p.id for p in cohosts), *paper])  # type: ignore[list-item]
        db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.edit", detail={"pitch": pitch_id}))
        db.flush()
        return card_of(db, pitch, ctx.now())


def withdraw_pitch(ctx: AppContext, event_id: int, pitch_id: int, user_id: str) -> PitchCard:
    """Take a pitch out (hosts only). Votes stay in the table for the record."""
    with session_scope(ctx.engine) as db:
        pitch = pitch_of(db, event_id, pitch_id)
        _host_person(db, event_id, pitch, user_id)
        if pitch.status == "active":
            pitch.status = "withdrawn"
            pitch.updated_at = ctx.now()
            db.add(pitch)
            db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.withdraw", detail={"pitch": pitch_id}))
            db.flush()
        return card_of(db, pitch, ctx.now())


def get_pitch_card(ctx: AppContext, event_id: int, pitch_id: int) -> PitchCard:
    with session_scope(ctx.engine) as db:
        return card_of(db, pitch_of(db, event_id, pitch_id), ctx.now())


def list_pitches(ctx: AppContext, event_id: int, *, statuses: Iterable[str] | None = ("active",)) -> list[PitchCard]:
    """Pitches in creation order (all statuses when `statuses` is None)."""
    with session_scope(ctx.engine) as db:
        query = select(Pitch).where(Pitch.event_id == event_id)
        if statuses is not None:
            query = query.where(Pitch.status.in_(list(statuses)))  # type: ignore[attr-defined]
        return [card_of(db, p, ctx.now()) for p in db.exec(query.order_by(Pitch.id))]  # type: ignore[arg-type]


def set_card_message(ctx: AppContext, pitch_id: int, channel: str, ts: str) -> None:
    """Remember where the pitch's card was posted, so votes and edits can update it."""
    with session_scope(ctx.engine) as db:
        pitch = db.get(Pitch, pitch_id)
        if pitch is None:
            raise NotFound(f"There is no pitch #{pitch_id}.")
        pitch.channel, pitch.message_ts = channel, ts
        db.add(pitch)


def _person(db: Session, event_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.event_id != event_id:
        raise NotFound("We could not find you at this camp any more: open your personal link again.")
    return person


def _hosted_by(db: Session, event_id: int, pitch_id: int, person_id: int) -> Pitch:
    pitch = pitch_of(db, event_id, pitch_id)
    if not _is_host(db, pitch_id, person_id):
        raise NotAllowed("Only the session's hosts can change it. Ask one of them, or an organiser.")
    return pitch


def submit_pitch_for_person(
    ctx: AppContext, event_id: int, person_id: int, data: PitchInput, *, submission_key: str | None
) -> Submitted:
    """`submit_pitch` for a host named by Person id: the form sent twice (same `submission_key`)
    returns the pitch saved the first time. InvalidPitch (field errors) stores nothing."""
    data = PitchInput(**{**data.__dict__, "cohost_user_ids": ()})
    return _submit(ctx, event_id, data, None, f"person:{person_id}", submission_key,
                   lambda db: _person(db, event_id, person_id))


def pitch_for_edit_by_person(
    ctx: AppContext, event_id: int, pitch_id: int, person_id: int
) -> tuple[PitchCard, PitchInput]:
    """The current values to pre-fill the web's edit form; NotAllowed unless the person hosts it."""
    with read_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can no longer be changed.")
        card = card_of(db, pitch, ctx.now())
        return card, PitchInput(
            title=pitch.title, description=pitch.description, format=pitch.format, length=pitch.length,
            needs=tuple(pitch.needs), unavailable_slots=tuple(pitch.unavailable_slots), tags=tuple(pitch.tags),
        )


def edit_pitch_for_person(ctx: AppContext, event_id: int, pitch_id: int, person_id: int,
                          data: PitchInput) -> PitchCard:
    """`edit_pitch` for a host named by Person id; the hosts stay as they are."""
    data = PitchInput(**{**data.__dict__, "cohost_user_ids": ()})
    with session_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can't be edited.")
        data = _checked(db, event_id, data, None, max_hosts=ctx.settings.hosts_per_pitch)
        _apply(pitch, data)
        pitch.updated_at = ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=f"person:{person_id}", action="pitch.edit",
                        detail={"pitch": pitch_id}))
        db.flush()
        return card_of(db, pitch, ctx.now())


def withdraw_pitch_for_person(ctx: AppContext, event_id: int, pitch_id: int, person_id: int) -> PitchCard:
    """`withdraw_pitch` for a host named by Person id (withdrawing twice is fine)."""
    with session_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status == "active":
            pitch.status = "withdrawn"
            pitch.updated_at = ctx.now()
            db.add(pitch)
            db.add(AuditLog(event_id=event_id, actor=f"person:{person_id}", action="pitch.withdraw",
                            detail={"pitch": pitch_id}))
            db.flush()
        return card_of(db, pitch, ctx.now())

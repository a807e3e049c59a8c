"""Attendees: who is on the camp's ticket list, and who they are on Slack.

One person, one quota. Votes hang off a Person row (campbot.services.voting); a Slack user's
Person is found by their Slack user id. An attendee points at the Person they vote as
(`person_id`): their Slack user's once linked (by the email on their Slack profile, or by
linking themselves), else a Person of their own with no Slack id, made on first use. Linking
later moves what that web Person did (votes, hosting) onto the Slack Person, so the two faces
never count one human twice.

The ticket list's import is campbot.services.attendee_list; the personal links (signed tokens,
revocation, the email that brings them) are campbot.services.attendee_links. For the web face,
per request to `/me/<token>/...`:

    key = signing_key(engine, settings.web_secret)          # once per process, not per request
    attendee = attendee_for_token(engine, key, token)       # None: "this link no longer works"
    person_id = voter_person_id(engine, attendee.id)        # per request: linking changes it
    voting.toggle_vote_for_person(ctx, attendee.event_id, person_id, pitch_id)
    voting.votes_used(db, attendee.event_id, person_id)     # the quota left, as Slack counts it

A linked attendee's person_id is the Person Slack's `toggle_vote(ctx, event_id, user_id, ...)`
finds for that user id, so both faces count one set of votes against one quota.

Everything here takes plain values and returns plain dataclasses: no Slack, no HTTP.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from campbot.services.errors import NotFound, ServiceError
from campbot.services.people import person_for_slack_user
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import Attendee, Event, Person, Pitch, PitchHost, Vote
from campbot.store.types import utcnow

MAX_NAME, MAX_EMAIL, MAX_TICKET = 200, 254, 100  # the column sizes (campbot.store.tables.Attendee)


class AlreadyLinked(ServiceError):
    pass



@dataclass(frozen=True)
class AttendeeView:
    id: int
    event_id: int
    name: str
    email: str
    ticket_ref: str | None
    slack_user_id: str | None
    person_id: int | None
    token_version: int
    link_sent_version: int | None


def attendee_view(row: Attendee) -> AttendeeView:
    assert row.id is not None
    return AttendeeView(row.id, row.event_id, row.name, row.email, row.ticket_ref, row.slack_user_id,
                        row.person_id, row.token_version, row.link_sent_version)



_EMAIL_SHAPE = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]{2,}")


def normalise_email(text: str) -> str:
    """Lower-case and trimmed, `mailto:` dropped: the form an address is stored and matched in."""
    value = unicodedata.normalize("NFKC", text).strip().casefold()
    return value.removeprefix("mailto:").strip()


def email_problem(email: str) -> str | None:
    if not email:
        return "no email address: each attendee needs one for their link; add it and import again"
    shown = email if len(email) <= 60 else email[:57] + "..."
    if len(email) > MAX_EMAIL or not _EMAIL_SHAPE.fullmatch(email) or ".." in email or email.startswith("."):
        return f"'{shown}' is not an email address; correct it in the list and import again"
    return None



def list_attendees(engine: Engine, event_id: int) -> list[AttendeeView]:
    """The event's attendees, by name (as a registration desk looks them up)."""
    with read_scope(engine) as db:
        rows = db.exec(select(Attendee).where(Attendee.event_id == event_id)).all()
    return sorted((attendee_view(a) for a in rows), key=lambda a: (a.name.casefold(), a.email))


def find_attendee(engine: Engine, event_id: int, email_or_ticket: str) -> AttendeeView:
    """The attendee with this email (any case) or ticket reference."""
    wanted = email_or_ticket.strip()
    with read_scope(engine) as db:
        row: Attendee | None = db.exec(select(Attendee).where(Attendee.event_id == event_id,
                                                              Attendee.email == normalise_email(wanted))).first()
        row = row or db.exec(select(Attendee).where(Attendee.event_id == event_id,
                                                    Attendee.ticket_ref == wanted)).first()
    if row is None:
        raise NotFound(f"no attendee with the email or ticket reference '{wanted[:80]}'; "
                       "`campbot attendees links` lists them")
    return attendee_view(row)



def lock_event(db: Session, event_id: int) -> Event | None:
    """The event row, locked on PostgreSQL so that two imports or email matches of one camp run
    one after the other (each reads the list, then writes); SQLite's IMMEDIATE transactions
    already do that."""
    query = select(Event).where(Event.id == event_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.exec(query).first()


def locked_attendee(db: Session, attendee_id: int) -> Attendee | None:
    query = select(Attendee).where(Attendee.id == attendee_id)
    if db.get_bind().dialect.name == "postgresql":  # SQLite: the transaction began IMMEDIATE already
        query = query.with_for_update()
    return db.exec(query).first()



# --------------------------------------------------------------------------- one person, one quota


@dataclass(frozen=True)
class LinkResult:
    attendee: AttendeeView
    changed: bool  # False when it was linked to this Slack user already
    votes_moved: int = 0  # web votes now counted as the Slack user's
    votes_dropped: list[str] = field(default_factory=list)  # pitch titles: past the one quota, newest first
    pitch_ids: list[int] = field(default_factory=list)  # pitches whose count changed (cards to redraw)


def voter_person_id(engine: Engine, attendee_id: int) -> int:
    """The Person id this attendee votes, pitches and hosts as: the one to pass to
    `voting.toggle_vote_for_person` and `voting.votes_used`. A linked attendee's is their Slack
    user's Person (the one `toggle_vote` finds by Slack id); an unlinked one gets a Person of
    their own, with no Slack id, on first use. Look it up per request: linking changes it."""
    with session_scope(engine) as db:
        row = locked_attendee(db, attendee_id)
        if row is None:
            raise NotFound("no such attendee")
        if row.person_id is not None:
            return row.person_id
        if row.slack_user_id is not None:
            person = person_for_slack_user(db, row.event_id, row.slack_user_id)
        else:
            person = Person(event_id=row.event_id, display_name=row.name[:100], feed_token=secrets.token_urlsafe(24))
            db.add(person)
            db.flush()
        assert person.id is not None
        row.person_id = person.id
        db.add(row)
        return person.id


def link_slack_user(engine: Engine, attendee_id: int, slack_user_id: str) -> LinkResult:
    """Make this attendee and this Slack user one person (a person linking themselves)."""
    try:
        with session_scope(engine) as db:
            row = locked_attendee(db, attendee_id)
            if row is None:
                raise NotFound("no such attendee")
            return _link(db, row, slack_user_id)
    except IntegrityError as exc:  # the same Slack user linked to another attendee at the same moment
        if "slack_user" not in str(exc.orig):
            raise
        raise AlreadyLinked("that Slack account is already linked to another attendee on the ticket list") from None


def _link(db: Session, row: Attendee, slack_user_id: str) -> LinkResult:
    if row.slack_user_id == slack_user_id:
        return LinkResult(attendee_view(row), changed=False)
    if row.slack_user_id is not None:
        raise AlreadyLinked(f"{row.name} is already linked to another Slack account")
    taken = db.exec(select(Attendee).where(Attendee.event_id == row.event_id, Attendee.slack_user_id == slack_user_id,
                                           Attendee.id != row.id)).first()
    if taken is not None:
        raise AlreadyLinked("that Slack account is already linked to another attendee on the ticket list")
    slack_person = person_for_slack_user(db, row.event_id, slack_user_id)
    assert slack_person.id is not None
    web_person = db.get(Person, row.person_id) if row.person_id not in (None, slack_person.id) else None
    row.slack_user_id = slack_user_id
    row.person_id = slack_person.id
    row.updated_at = utcnow()
    db.add(row)
    db.flush()
    moved, dropped, pitch_ids = 0, list[str](), list[int]()
    if web_person is not None and web_person.slack_user_id is None:
        moved, dropped, pitch_ids = _merge(db, row.event_id, web_person, slack_person)
    return LinkResult(attendee_view(row), True, moved, dropped, pitch_ids)


def _merge(db: Session, event_id: int, source: Person, target: Person) -> tuple[int, list[str], list[int]]:
    """Move the web Person's votes and hosting onto the Slack Person, then delete it.

    A pitch voted for on both counts once. Past the quota, the newest of the moved votes go
    (the ones cast in Slack stay), and the caller is told which, to tell the person."""
    assert source.id is not None and target.id is not None
    if db.get_bind().dialect.name == "postgresql":  # the same lock a vote takes (campbot.services.voting)
        for pid in sorted((source.id, target.id)):
            db.exec(select(Person).where(Person.id == pid).with_for_update()).one()
    event = db.get(Event, event_id)
    assert event is not None
    target_pitches = set(db.exec(select(Vote.pitch_id).where(Vote.person_id == target.id)).all())
    changed: set[int] = set()
    moved: list[Vote] = []
    for vote in db.exec(select(Vote).where(Vote.person_id == source.id).order_by(col(Vote.created_at), col(Vote.id))):
        if vote.pitch_id in target_pitches:
            db.delete(vote)
            changed.add(vote.pitch_id)
        else:
            vote.person_id = target.id
            db.add(vote)
            moved.append(vote)
    db.flush()
    used = int(db.exec(select(func.count()).select_from(Vote).join(Pitch, col(Pitch.id) == Vote.pitch_id)
                       .where(Vote.person_id == target.id, Pitch.status == "active")).one())
    dropped: list[str] = []
    for vote in reversed(moved):
        if used <= event.vote_quota:
            break
        pitch = db.get(Pitch, vote.pitch_id)
        if pitch is None or pitch.status != "active":
            continue
        dropped.append(pitch.title)
        changed.add(vote.pitch_id)
        db.delete(vote)
        used -= 1
    hosted = set(db.exec(select(PitchHost.pitch_id).where(PitchHost.person_id == target.id)).all())
    for host in db.exec(select(PitchHost).where(PitchHost.person_id == source.id)).all():
        if host.pitch_id not in hosted:
            db.add(PitchHost(pitch_id=host.pitch_id, person_id=target.id))
        db.delete(host)
    for pitch in db.exec(select(Pitch).where(Pitch.created_by_id == source.id)).all():
        pitch.created_by_id = target.id
        db.add(pitch)
    if not target.display_name:
        target.display_name = source.display_name
        db.add(target)
    db.flush()
    db.delete(source)
    db.flush()
    return len(moved) - len(dropped), dropped, sorted(changed)


@dataclass(frozen=True)
class SlackMatchReport:
    linked: list[tuple[str, str]]  # (attendee name, Slack user id) linked now
    already: int  # pairs that were linked before
    unmatched: int  # Slack users whose email is on no attendee (or who show no email)
    problems: list[str]  # matches that could not be made, and why


def link_slack_by_email(engine: Engine, event_id: int, users: Iterable[tuple[str, str | None]]) -> SlackMatchReport:
    """Link attendees to Slack users whose profile email is theirs: `users` is (Slack user id,
    profile email) pairs, as `users.list` gives them with the users:read.email scope. An
    attendee already linked to someone else is left as it is and reported."""
    linked: list[tuple[str, str]] = []
    problems: list[str] = []
    already = unmatched = 0
    with session_scope(engine) as db:
        lock_event(db, event_id)
        query = select(Attendee).where(Attendee.event_id == event_id)
        if db.get_bind().dialect.name == "postgresql":  # no one links these attendees meanwhile
            query = query.with_for_update()
        by_email = {a.email: a for a in db.exec(query)}
        for user_id, email in users:
            attendee = by_email.get(normalise_email(email or ""))
            if attendee is None:
                unmatched += 1
                continue
            if attendee.slack_user_id == user_id:
                already += 1
                continue
            try:
                with db.begin_nested():
                    _link(db, attendee, user_id)
            except AlreadyLinked as exc:
                problems.append(f"{attendee.email}: {exc}")
                continue
            linked.append((attendee.name, user_id))
    return SlackMatchReport(linked, already, unmatched, problems)



def get_attendee(engine: Engine, attendee_id: int) -> AttendeeView | None:
    """One attendee as they are now (None when gone): the web face reads it on every request
    to see whether the link a session was opened with has since been revoked."""
    with read_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
    return attendee_view(row) if row is not None else None

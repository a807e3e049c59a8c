"""People: found or created on first contact, safely when many arrive at once."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from campbot.store.tables import Person


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def person_for_slack_user(db: Session, event_id: int, user_id: str, display_name: str = "") -> Person:
    """The person row for a Slack user, created if new.

    Two first clicks from one person can race; the unique (event, user) constraint lets one
    insert win and the other read it back, inside a savepoint so the caller's work survives.
    """
    query = select(Person).where(Person.event_id == event_id, Person.slack_user_id == user_id)
    found = db.exec(query).first()
    if found:
        if display_name and found.display_name != display_name:
            found.display_name = display_name
            db.add(found)
        return found
    try:
        with db.begin_nested():
            person = Person(
                event_id=event_id, slack_user_id=user_id, display_name=display_name, feed_token=_new_token()
            )
            db.add(person)
            db.flush()
        return person
    except IntegrityError:
        return db.exec(query).one()


def person_by_name(db: Session, event_id: int, name: str) -> Person:
    """Someone not on Slack (a paper pitch host, a simulated attendee), keyed by display name."""
    query = select(Person).where(
        Person.event_id == event_id, Person.slack_user_id == None, Person.display_name == name  # noqa: E711
    )
    found = db.exec(query).first()
    if found:
        return found
    person = Person(event_id=event_id, display_name=name, feed_token=_new_token())
    db.add(person)
    db.flush()
    return person

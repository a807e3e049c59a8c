"""The tables: one module, so that every query in the project refers to the same names.

An Event is the root of everything: every other row hangs off one event, and an event
belongs to one Slack workspace (`team_id`), so a query scoped by event is scoped by team.
Slot and room `key`s are the ids used in solver problem files ("r1", "t3").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from campbot.store.types import UTCDateTime, utcnow


def _json(default: Any = None) -> Any:
    return Field(default_factory=lambda: [] if default is None else default, sa_column=Column(JSON, nullable=False))


def _when(nullable: bool = True, **kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable), **kw)


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    team_id: str | None = Field(default=None, index=True, max_length=32)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/London", max_length=64)
    vote_quota: int = 10
    # window (follow voting_opens_at/closes_at by itself) | open | closed (an organiser said so)
    voting_status: str = Field(default="window", max_length=16)
    voting_opens_at: datetime | None = _when(default=None)
    voting_closes_at: datetime | None = _when(default=None)
    pitches_channel: str | None = Field(default=None, max_length=64)
    announce_channel: str | None = Field(default=None, max_length=64)
    organisers_channel: str | None = Field(default=None, max_length=64)
    organisers: list[str] = _json()
    organiser_usergroup: str | None = Field(default=None, max_length=32)
    hashtag: str = Field(default="", max_length=64)
    notes_url_pattern: str = Field(default="", max_length=300)
    grid_post_at: datetime | None = _when(default=None)
    hide_counts: bool = False  # blind voting: cards show no count until voting closes
    created_at: datetime = _when(nullable=False, default_factory=utcnow)


class Room(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    key: str = Field(max_length=32)
    name: str = Field(max_length=100)
    capacity: int
    features: list[str] = _json()
    closed_slots: list[str] = _json()  # slot keys in which the room is not available (file's + organisers')
    # the part of closed_slots an organiser closed (`/camp close-room`): kept when the file is loaded again
    organiser_closed: list[str] = _json()
    position: int = 0


class Slot(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    key: str = Field(max_length=32)
    start: datetime = _when(nullable=False)
    end: datetime = _when(nullable=False)
    block: str = Field(default="", max_length=32)
    position: int = 0


class Person(SQLModel, table=True):
    """Someone at the camp: a Slack user, or a name only (paper pitches)."""

    __table_args__ = (UniqueConstraint("event_id", "slack_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    slack_user_id: str | None = Field(default=None, max_length=32)
    display_name: str = Field(default="", max_length=100)
    reminders_enabled: bool = True
    feed_token: str = Field(index=True, max_length=64)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)


class Pitch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    format: str = Field(default="discussion", max_length=32)
    length: int = 1
    needs: list[str] = _json()
    unavailable_slots: list[str] = _json()  # slot keys the hosts cannot make
    tags: list[str] = _json()
    status: str = Field(default="active", max_length=16)  # active | withdrawn | merged
    merged_into_id: int | None = Field(default=None, foreign_key="pitch.id")
    paper_votes: int = 0  # show of hands for people not on Slack
    pin_room_key: str | None = Field(default=None, max_length=32)
    pin_slot_key: str | None = Field(default=None, max_length=32)
    excluded: bool = False
    channel: str | None = Field(default=None, max_length=64)
    message_ts: str | None = Field(default=None, max_length=32)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _when(nullable=False, default_factory=utcnow)
    updated_at: datetime = _when(nullable=False, default_factory=utcnow)
    # One per submitted form (the Slack view id): a form submitted twice (Slack gave up waiting
    # and the person pressed Submit again) makes one pitch; the unique index makes it race-safe.
    submission_key: str | None = Field(default=None, index=True, unique=True, max_length=80)


class PitchHost(SQLModel, table=True):
    pitch_id: int = Field(foreign_key="pitch.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class Vote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "person_id", "pitch_id", name="uq_vote_once"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    pitch_id: int = Field(foreign_key="pitch.id", index=True)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)


class SolveRun(SQLModel, table=True):
    """One background solve: its lifecycle lets a crashed or hung run be shown as failed."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    kind: str = Field(default="solve", max_length=16)  # solve | replan
    status: str = Field(default="running", max_length=16)  # running | done | failed
    requested_by: str | None = Field(default=None, max_length=32)
    progress: float = 0.0
    progress_note: str = Field(default="", max_length=200)
    seconds: float = 0.0
    problem: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    solution: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    baseline: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str = Field(default="", max_length=2000)
    channel: str | None = Field(default=None, max_length=64)
    message_ts: str | None = Field(default=None, max_length=32)
    started_at: datetime = _when(nullable=False, default_factory=utcnow)
    finished_at: datetime | None = _when(default=None)


class GridVersion(SQLModel, table=True):
    """A grid: a draft from a solve, and once published, numbered version N of the event."""

    __table_args__ = (UniqueConstraint("event_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    solve_run_id: int | None = Field(default=None, foreign_key="solverun.id")
    number: int | None = None  # set when published
    status: str = Field(default="draft", max_length=16)  # draft | published
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changelog: list[str] = _json()
    created_at: datetime = _when(nullable=False, default_factory=utcnow)
    published_at: datetime | None = _when(default=None)


class Placement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("grid_version_id", "pitch_id"),)
    id: int | None = Field(default=None, primary_key=True)
    grid_version_id: int = Field(foreign_key="gridversion.id", index=True)
    pitch_id: int = Field(foreign_key="pitch.id")
    room_id: int = Field(foreign_key="room.id")
    slot_id: int = Field(foreign_key="slot.id")  # the first slot of a double session
    length: int = 1


class SentNotification(SQLModel, table=True):
    """What was sent. The unique key (kind:target:slot-or-version) is what stops a double send."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=32)
    target: str = Field(max_length=64)
    status: str = Field(default="sent", max_length=16)  # claimed | sent | failed
    attempts: int = 0
    detail: str = Field(default="", max_length=500)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)
    sent_at: datetime | None = _when(default=None)


class SeenRequest(SQLModel, table=True):
    """Slack retries and replays carry the same id; remembering it makes a handler run once."""

    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _when(nullable=False, default_factory=utcnow)


class Lease(SQLModel, table=True):
    """A named lock with an expiry: only the holder runs the reminder scheduler."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime = _when(nullable=False)


class SlackBudget(SQLModel, table=True):
    """One Slack rate-limit budget (workspace + method, or + channel for posts), shared by every
    process: `tat` is the GCRA "theoretical arrival time" (epoch seconds) up to which the budget
    is spoken for (campbot.slack.outbound.budget)."""

    key: str = Field(primary_key=True, max_length=200)
    tat: float = 0.0


class CardState(SQLModel, table=True):
    """What a pitch card in Slack shows now (a hash of its text and blocks), and who is refreshing
    it (an expiring claim, epoch seconds), so processes refresh a card one at a time
    (campbot.slack.listeners.cards)."""

    pitch_id: int = Field(primary_key=True)  # no foreign key: deleting a camp need not know this table
    shown_hash: str = Field(default="", max_length=64)
    shown_at: float = 0.0
    refreshing_until: float = 0.0


class Attendee(SQLModel, table=True):
    """Someone on the camp's ticket list (`campbot attendees import`), who gets a personal link.

    One ticket reference and one email address per attendee in an event: re-importing the list
    finds the same row again instead of adding a second. `token_version` is part of the signed
    link, so raising it (revoking) stops every earlier link at once (and makes `link_sent_version`
    stale, so the new link is mailed on the next send). `person_id` is the voter this attendee is:
    the Slack user's Person once linked, so a person on Slack and on the web has one set of votes
    and one quota (campbot.services.attendees)."""

    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_attendee_email"),
        UniqueConstraint("event_id", "ticket_ref", name="uq_attendee_ticket"),
        UniqueConstraint("event_id", "slack_user_id", name="uq_attendee_slack_user"),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)  # lower-case
    ticket_ref: str | None = Field(default=None, max_length=100)
    slack_user_id: str | None = Field(default=None, max_length=32)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    token_version: int = 1
    link_sent_version: int | None = None  # the token_version last mailed (`campbot attendees send`)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)
    updated_at: datetime = _when(nullable=False, default_factory=utcnow)


class StoredSecret(SQLModel, table=True):
    """A secret campbot made for itself when none was configured (the key that signs attendee
    links), kept so that what it signed stays valid across restarts and worker processes."""

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
    created_at: datetime = _when(nullable=False, default_factory=utcnow)

"""What campbot tells people, as plain data: one frozen dataclass per kind of message.

The services decide *what* to say and *to whom* (a channel or a person) and keep the ledger
that says it once; a face (campbot.slack.notifier today, e-mail or the web tomorrow) decides
*how it looks*. So nothing here knows Block Kit, Slack's escaping or its 50-block limit: every
string is raw user text, every time a UTC datetime with the event's timezone beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campbot.services.grid_queries import ResolvedGrid


@dataclass(frozen=True)
class SessionLine:
    """One placed session as a reminder or a closing post lists it."""

    title: str
    room: str
    start: datetime
    end: datetime
    hosts: tuple[str, ...] = ()
    notes_url: str = ""


@dataclass(frozen=True)
class GridPost:
    """A published version of the grid, for the announcement channel (a face may need several messages)."""

    grid: ResolvedGrid
    changelog_hint: bool = False


@dataclass(frozen=True)
class ChangelogPost:
    """What moved, was added or was dropped in version `number`."""

    event_name: str
    number: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ReplanDM:
    """To a host or voter of sessions that changed in version `number`: [(role, changelog line)]."""

    event_name: str
    number: int
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class HostDM:
    """At version 1, to each host: [(title, "Library, 11:00–11:45", notes link)]."""

    event_name: str
    sessions: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class UpNextPost:
    """Minutes before a slot, in the announcement channel."""

    event_name: str
    slot_start: datetime
    timezone: str
    sessions: tuple[SessionLine, ...]
    grid_url: str


@dataclass(frozen=True)
class ReminderDM:
    """Minutes before a slot, to a person hosting or attending a session that starts then."""

    event_name: str
    slot_start: datetime
    timezone: str
    hosting: tuple[SessionLine, ...]
    attending: tuple[SessionLine, ...]


@dataclass(frozen=True)
class VotingClosingPost:
    event_name: str
    closes_at: datetime
    timezone: str
    minutes_left: int


@dataclass(frozen=True)
class VotingOpenedPost:
    event_name: str
    closes_at: datetime | None
    timezone: str
    quota: int


@dataclass(frozen=True)
class VotingEndedPost:
    event_name: str
    closed_at: datetime
    timezone: str


@dataclass(frozen=True)
class ClosingPost:
    """After the last session: "share your notes", with every session's notes link."""

    event_name: str
    timezone: str
    sessions: tuple[SessionLine, ...]
    hashtag: str = ""


Notice = (GridPost | ChangelogPost | ReplanDM | HostDM | UpNextPost | ReminderDM | VotingClosingPost
          | VotingOpenedPost | VotingEndedPost | ClosingPost)

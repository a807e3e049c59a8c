"""The published grid as the public sees it: the data the services hand to every export face.

campbot.services.exporting builds these frozen snapshots from the database; the renderers in
campbot.web.exports turn them into HTML, iCal, CSV, JSON and frab. Only public facts: host
display names, never Slack ids; all user-typed text raw (each renderer escapes for its format).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ViewRoom:
    """A room as attendees see it.  ``features`` uses the same names as session needs."""

    id: str
    name: str
    capacity: int
    features: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()  # slot ids in which the room is not available (shown as "Closed")


@dataclass(frozen=True)
class ViewSlot:
    """A time slot; ``start``/``end`` are timezone-aware, ``block`` names the run between breaks."""

    id: str
    start: datetime
    end: datetime
    block: str = ""


@dataclass(frozen=True)
class ViewSession:
    """A placed session.  ``slot_ids`` holds one slot, or two consecutive ones for a double."""

    id: str  # stable pitch id, e.g. "p12"
    title: str
    room_id: str
    slot_ids: tuple[str, ...]
    hosts: tuple[str, ...] = ()  # display names only, never Slack ids
    description: str = ""
    format: str = "discussion"
    needs: tuple[str, ...] = ()  # step_free, projector, hearing_loop, quiet, whiteboard (services.event_file.FEATURES)
    tags: tuple[str, ...] = ()
    interested: int = 0


@dataclass(frozen=True)
class GridView:
    """One published version of the grid, frozen, with everything the exports need."""

    event_name: str
    event_slug: str
    timezone: str  # IANA name, e.g. "Europe/London"
    version: int
    published_at: datetime
    rooms: tuple[ViewRoom, ...]
    slots: tuple[ViewSlot, ...]
    sessions: tuple[ViewSession, ...]
    hashtag: str = ""  # event tag, e.g. "#LGC26"
    # e.g. "https://notes.example.org/lgc26/{session}"; placeholders {session}, {slug}, {slot}, {room}
    notes_url_pattern: str = ""
    changelog: tuple[str, ...] = ()  # e.g. "moved: X, Room 2 11:00 -> Room 5 14:00"

    @property
    def tz(self) -> ZoneInfo:
        """The event's timezone; every time a person reads is shown in it."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class PitchListItem:
    """One pitch for the open pitch list: public facts only, no Slack ids, no voters."""

    id: str
    title: str
    hosts: tuple[str, ...] = ()
    format: str = "discussion"
    tags: tuple[str, ...] = ()
    interested: int = 0
    status: str = "open"  # e.g. open, withdrawn, merged, scheduled

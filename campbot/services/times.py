"""How times and places are said to people, in the camp's own timezone: plain words, no markup.

Services need these words too (a solve's reasons, a voting plan, a pitch card's placement), so
they live here, service-side; the Slack Block Kit builders (campbot.slack.blocks) and the
command line import them from here and add their own markup and escaping. Slot keys ("t4")
are the bot's and the solver's ids; no person should have to read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class TimedSlot(Protocol):
    """Anything with a slot's key and its start and end instants (a Slot row, a SlotInfo)."""

    @property
    def key(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


class PlacedSession(Protocol):
    """Anything placed in a room over a time (a GridEntry)."""

    @property
    def room_name(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


def slot_time(start: datetime, end: datetime, tz: tzinfo) -> str:
    """"14:00–14:45": how a slot is named to people, in the camp's local time."""
    return f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}"


def slot_label(start_end: tuple[datetime, datetime], tz: ZoneInfo) -> str:
    """"Sat 14:00–14:45": a slot with its day, for grids that a reader may keep for later."""
    start, end = start_end
    return f"{start.astimezone(tz):%a} {slot_time(start, end, tz)}"


def slot_times(keys: Iterable[str], slots: Iterable[TimedSlot], tz: ZoneInfo) -> str:
    """Slot keys as times, in the order given: "t1, t4" -> "10:00–10:45, 14:00–14:45".

    A key that is not among `slots` stays as it is (better a key than nothing)."""
    by_key = {s.key: s for s in slots}
    return ", ".join(slot_time(by_key[k].start, by_key[k].end, tz) if k in by_key else k for k in keys)


def placement_words(entry: PlacedSession | None, tz: ZoneInfo, number: int) -> str:
    """What a pitch card says once a grid is out, as plain (unescaped) text for the card
    builder: "Main hall, Sat 11:00–11:45 (grid version 2)", or that it is not in the grid."""
    if entry is None:
        return f"Not in the grid (version {number})"
    return f"{entry.room_name}, {slot_label((entry.start, entry.end), tz)} (grid version {number})"


def hhmm(moment: datetime, timezone: str) -> str:
    """24-hour "14:00" in the event's timezone (never the server's, never UTC)."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def day_name(moment: datetime, timezone: str) -> str:
    """"Saturday 20 June" in the event's timezone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B}"

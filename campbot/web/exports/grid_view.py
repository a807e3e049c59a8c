"""What every export format asks of the published grid, answered once.

Every renderer in :mod:`campbot.web.exports` takes a :class:`GridView` (or a list of
:class:`PitchListItem`), the data contract defined service-side in campbot.services.public_grid
and named here too, and returns text or bytes.  Nothing here knows about the database or
Slack, so the renderers stay pure and are trivial to test.  All user-typed text (titles, host
names, descriptions) arrives raw; each renderer escapes for its own format.

The helpers below answer the questions every format asks ("which slots, in
what order, which day is this", "where and when does this session happen", "what is
its notes link") once, so the HTML, iCal, CSV and frab outputs can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

# the data contract, named here too for the renderers and their tests
from campbot.services.public_grid import GridView as GridView
from campbot.services.public_grid import PitchListItem as PitchListItem
from campbot.services.public_grid import ViewRoom as ViewRoom
from campbot.services.public_grid import ViewSession as ViewSession
from campbot.services.public_grid import ViewSlot as ViewSlot
from campbot.services.slugs import slugify

NEED_LABELS: dict[str, str] = {
    "step_free": "Step-free access",
    "projector": "Projector",
    "hearing_loop": "Hearing loop",
    "quiet": "Quiet room",
    "whiteboard": "Whiteboard",
}


def need_label(need: str) -> str:
    """Human words for a need id; unknown ids are made readable rather than dropped."""
    return NEED_LABELS.get(need, need.replace("_", " ").strip().capitalize())


@dataclass(frozen=True)
class Placement:
    """Where and when one session happens, resolved against the view's rooms and slots."""

    session: ViewSession
    room: ViewRoom
    slots: tuple[ViewSlot, ...]  # in time order

    @property
    def start(self) -> datetime:
        return self.slots[0].start

    @property
    def end(self) -> datetime:
        return self.slots[-1].end

    @property
    def is_double(self) -> bool:
        return len(self.slots) > 1


def ordered_slots(view: GridView) -> list[ViewSlot]:
    """Slots by start time (then end, then id), whatever order the caller gave them in."""
    return sorted(view.slots, key=lambda s: (s.start, s.end, s.id))


def local_time(view: GridView, moment: datetime) -> datetime:
    """``moment`` in the event's timezone. At the very ends of the calendar (a slot dated year 1
    or 9999 that reached the database) the shift can leave the range datetime can hold: then
    the UTC moment itself, so an export still renders instead of answering 500."""
    try:
        return moment.astimezone(view.tz)
    except OverflowError:
        return moment


def local_day(view: GridView, moment: datetime) -> date:
    """The calendar day of ``moment`` in the event's timezone (not the server's, not UTC)."""
    return local_time(view, moment).date()


def days(view: GridView) -> list[date]:
    """The event's days, in order, as calendar dates in the event timezone."""
    return sorted({local_day(view, s.start) for s in view.slots})


def slot_numbers(view: GridView) -> dict[str, int]:
    """Slot id -> its number within its day (1, 2, 3...), as the GovCamp sheet counts them."""
    numbers: dict[str, int] = {}
    per_day: dict[date, int] = {}
    for slot in ordered_slots(view):
        day = local_day(view, slot.start)
        per_day[day] = per_day.get(day, 0) + 1
        numbers[slot.id] = per_day[day]
    return numbers


def placements(view: GridView) -> list[Placement]:
    """Every session resolved to its room and slots, ordered by start time, then room order.

    Raises ``ValueError`` for a session that names an unknown room or slot: that is a bug
    in whoever built the view, and publishing a silently incomplete grid would be worse.
    """
    rooms = {r.id: r for r in view.rooms}
    slots = {s.id: s for s in view.slots}
    room_order = {r.id: i for i, r in enumerate(view.rooms)}
    result: list[Placement] = []
    for session in view.sessions:
        if session.room_id not in rooms:
            raise ValueError(f"session {session.id!r} is in unknown room {session.room_id!r}")
        if not session.slot_ids:
            raise ValueError(f"session {session.id!r} has no slot")
        missing = [sid for sid in session.slot_ids if sid not in slots]
        if missing:
            raise ValueError(f"session {session.id!r} is in unknown slot(s) {missing!r}")
        its_slots = tuple(sorted((slots[sid] for sid in session.slot_ids), key=lambda s: (s.start, s.id)))
        result.append(Placement(session=session, room=rooms[session.room_id], slots=its_slots))
    result.sort(key=lambda p: (p.start, room_order[p.room.id], p.session.id))
    return result


def notes_url(view: GridView, placement: Placement) -> str:
    """The session's notes link from the event's pattern, or "" when the event has none.

    Unknown placeholders are left as typed instead of raising, so one organiser typo in
    the pattern cannot take the whole export down.
    """
    pattern = view.notes_url_pattern
    if not pattern:
        return ""
    values = {
        "session": placement.session.id,
        "slug": slugify(placement.session.title) or placement.session.id,
        "slot": placement.slots[0].id,
        "room": placement.room.id,
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), pattern)


def event_tag(view: GridView) -> str:
    """The event hashtag normalised to one ``#word`` ("LGC 26" -> "#LGC26"), or ""."""
    word = re.sub(r"[^\w]", "", view.hashtag)
    return f"#{word}" if word else ""


def session_tag(view: GridView, session: ViewSession) -> str:
    """The per-session hashtag, ``#LGC26_p12``, or "" when the event has no tag.

    Joined with an underscore, not a hyphen: on Mastodon, Bluesky, X and LinkedIn a
    hyphen ends a hashtag, so ``#LGC26-p12`` would be read as plain ``#LGC26``.  The
    pitch id (not the room or slot) keeps the tag stable when a re-plan moves the session.
    """
    tag = event_tag(view)
    if not tag:
        return ""
    suffix = re.sub(r"[^\w]", "", session.id)
    return f"{tag}_{suffix}"


def hashtags(view: GridView, session: ViewSession) -> str:
    """Event tag plus session tag, space separated: ``#LGC26 #LGC26_p12``."""
    return " ".join(t for t in (event_tag(view), session_tag(view, session)) if t)


def hhmm(view: GridView, moment: datetime) -> str:
    """``moment`` as 24-hour HH:MM in the event timezone."""
    return local_time(view, moment).strftime("%H:%M")


def join_names(names: Iterable[str]) -> str:
    """Names as a person would read them aloud: A; A and B; A, B and C."""
    items = [n for n in names if n]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]

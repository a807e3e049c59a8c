"""iCalendar (RFC 5545) feeds: the whole event, and one person's own sessions.

Why it looks like this:

* One VEVENT per session occurrence (a double session is one VEVENT spanning both
  slots), with a UID built from the event slug and the stable pitch id.  The UID never
  changes, and SEQUENCE is ``version - 1``, so when a re-plan publishes version 2 a
  subscribed calendar *moves* the event instead of showing it twice.
* Times carry ``TZID=<event zone>`` and the file embeds a VTIMEZONE generated from
  zoneinfo by the ``icalendar`` package, so a phone set to another zone still shows
  the right moment, including across a daylight-saving change.
* DTSTAMP is the publication time, not "now": rendering the same version twice gives
  byte-identical output, which keeps feeds cacheable and tests exact.
* Text goes through ``icalendar`` (which escapes commas, semicolons and newlines); bare
  carriage returns are normalised first so no user text can start a new content line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, timedelta

from icalendar import Calendar, Event, Timezone

from campbot.web.exports.grid_view import (
    GridView,
    Placement,
    days,
    hashtags,
    join_names,
    local_time,
    notes_url,
    placements,
)

PRODID = "-//campbot//campbot grid exports//EN"
REFRESH = "PT15M"  # how often subscribed clients should re-fetch; re-plans happen on the day


def _text(value: str) -> str:
    """Multi-line text with every line break as a plain newline (icalendar escapes it)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _line(value: str) -> str:
    """One-line text (names, titles): any run of whitespace, newlines included, is one space."""
    return " ".join(value.split())


def event_uid(view: GridView, session_id: str) -> str:
    """The stable UID of a session's VEVENT: the same in every version and every feed."""
    return f"{view.event_slug}-{session_id}@campbot"


def _description(view: GridView, placement: Placement) -> str:
    session = placement.session
    lines: list[str] = []
    if session.hosts:
        lines.append(f"Hosted by {_line(join_names(session.hosts))}")
    if placement.is_double:
        lines.append("Double session")
    link = notes_url(view, placement)
    if link:
        lines.append(f"Notes: {link}")
    tags = hashtags(view, session)
    if tags:
        lines.append(tags)
    if session.description:
        lines += ["", session.description]
    return _text("\n".join(lines))


def _vevent(view: GridView, placement: Placement) -> Event:
    session = placement.session
    event = Event()
    event.add("uid", event_uid(view, session.id))
    event.add("dtstamp", view.published_at.astimezone(UTC))
    event.add("last-modified", view.published_at.astimezone(UTC))
    event.add("sequence", max(view.version - 1, 0))
    event.add("dtstart", local_time(view, placement.start))
    event.add("dtend", local_time(view, placement.end))
    event.add("summary", _line(session.title))
    event.add("location", _line(placement.room.name))
    event.add("description", _description(view, placement))
    event.add("status", "CONFIRMED")
    link = notes_url(view, placement)
    if link:
        event.add("url", link)
    if session.tags:
        event.add("categories", [_line(t) for t in session.tags])
    return event


def _calendar(view: GridView, name: str, chosen: Iterable[Placement]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _line(name))
    cal.add("x-wr-timezone", view.timezone)
    cal.add("x-published-ttl", REFRESH)
    cal.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    for placement in chosen:
        cal.add_component(_vevent(view, placement))
    # The VTIMEZONE covers the whole calendar year(s) of the event, so both daylight-saving
    # rules are present even when the event itself sits inside one of them.
    event_days = days(view) or [local_time(view, view.published_at).date()]
    first, last = zone_span(event_days[0], event_days[-1])
    cal.add_missing_timezones(first_date=first, last_date=last)
    if not cal.timezones:
        # No session yet: still declare the zone, so X-WR-TIMEZONE is backed by a VTIMEZONE.
        cal.subcomponents.insert(0, Timezone.from_tzid(view.timezone, first_date=first, last_date=last))
    return cal.to_ical()


ZONE_YEARS = (1970, 2200)  # the VTIMEZONE's rules are generated for years inside this range


def zone_span(first_day: date, last_day: date) -> tuple[date, date]:
    """The years the VTIMEZONE covers: the event's, clamped so a mistyped year (1 or 9999 that
    reached the database) cannot overflow date arithmetic and turn the feed into a 500."""
    low, high = ZONE_YEARS
    first = min(max(first_day.year, low), high)
    last = min(max(last_day.year, first), high) + 1
    return date(first, 1, 1), date(last, 1, 1)


def render_event_ical(view: GridView) -> bytes:
    """The whole event: every placed session as one VEVENT."""
    return _calendar(view, view.event_name, placements(view))


def render_person_ical(view: GridView, session_ids: Collection[str], person_name: str) -> bytes:
    """One person's feed: the sessions in ``session_ids`` (voted for or hosted).

    Ids that are not in this version of the grid (a session withdrawn or left out in a
    re-plan) are skipped rather than treated as an error.
    """
    wanted = set(session_ids)
    mine = [p for p in placements(view) if p.session.id in wanted]
    name = f"{person_name}: {view.event_name}" if person_name else view.event_name
    return _calendar(view, name, mine)

"""CSV open data: the grid in the GovCamp session-sheet columns, and the pitch list.

The grid CSV is the sheet UKGovCamp-style camps already publish; live session-grid
pages read it *by position*, so the header below is fixed, including the space in
"Leader 4".  Column meanings:

* ``Year``: the calendar year of the slot, in the event timezone (plain integer).
* ``Time``: the slot's start as 24-hour ``HH:MM`` in the event timezone.
* ``Session``: the slot's number within its day, 1, 2, 3... by start time, counted per
  calendar day in the event timezone (so a two-day camp starts again at 1).
* ``Room`` / ``Capacity``: room name and its seats (plain integer).
* ``Leader1``..``Leader 4``: the first four hosts' display names; more are dropped.
* ``Session notes``: the event's notes URL pattern filled in for this session ("" if
  the event has none).
* ``Hashtag``: the event tag and the session's own tag, e.g. ``#LGC26 #LGC26_p12``.  The
  session part is the stable pitch id joined by an underscore (a hyphen would end the
  hashtag on Mastodon, Bluesky, X and LinkedIn), so it survives a re-plan.

One row per room and slot that holds a session: a double session gives a row for each
of its two slots.  Rows are ordered by time, then by the event's room order.

Spreadsheet safety: a user-typed cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
carriage return gets a leading apostrophe, so opening the open data in Excel or Sheets
cannot run a formula (OWASP "CSV injection").  Everything else is exactly as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from campbot.web.exports.grid_view import (
    GridView,
    PitchListItem,
    hashtags,
    hhmm,
    local_time,
    notes_url,
    placements,
    slot_numbers,
)

GRID_HEADER: tuple[str, ...] = (
    "Year",
    "Time",
    "Session",
    "Room",
    "Capacity",
    "Title",
    "Leader1",
    "Leader2",
    "Leader3",
    "Leader 4",
    "Session notes",
    "Hashtag",
)

PITCHES_HEADER: tuple[str, ...] = ("Id", "Title", "Hosts", "Format", "Tags", "Interested", "Status")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would treat as a formula; leave the rest alone."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _write(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def grid_rows(view: GridView) -> list[list[object]]:
    """The grid CSV's data rows (without the header), in sheet order."""
    numbers = slot_numbers(view)
    room_order = {r.id: i for i, r in enumerate(view.rooms)}
    keyed: list[tuple[tuple[datetime, str, int], list[object]]] = []
    for placement in placements(view):
        session = placement.session
        leaders = [safe_cell(h) for h in session.hosts[:4]]
        leaders += [""] * (4 - len(leaders))
        for slot in placement.slots:
            local = local_time(view, slot.start)
            row: list[object] = [
                local.year,
                hhmm(view, slot.start),
                numbers[slot.id],
                safe_cell(placement.room.name),
                placement.room.capacity,
                safe_cell(session.title),
                *leaders,
                notes_url(view, placement),
                hashtags(view, session),
            ]
            keyed.append(((slot.start, slot.id, room_order[placement.room.id]), row))
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


def render_grid_csv(view: GridView) -> str:
    """The published grid as the GovCamp session sheet (header row included)."""
    return _write(GRID_HEADER, grid_rows(view))


def render_pitches_csv(items: Iterable[PitchListItem]) -> str:
    """The pitch list: one row per pitch, hosts and tags joined with "; "."""
    rows = (
        [
            item.id,
            safe_cell(item.title),
            safe_cell("; ".join(item.hosts)),
            item.format,
            safe_cell("; ".join(item.tags)),
            item.interested,
            item.status,
        ]
        for item in items
    )
    return _write(PITCHES_HEADER, rows)

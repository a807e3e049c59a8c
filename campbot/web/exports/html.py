"""The grid as one self-contained HTML page: for the wall, the big screen and phones.

Design choices, and why:

* A real ``<table>`` (caption, ``th scope``) so screen readers can announce "Room 3,
  11:00" for every cell; rooms across, slots down, a double session is one cell with
  ``rowspan="2"`` so nobody mistakes it for two sessions.
* No JavaScript at all: the page must work from a printout's QR code on any phone, on a
  locked-down council laptop and on a kiosk browser.  A ``Content-Security-Policy``
  without ``script-src`` (set by the WSGI app) can then forbid scripts outright.
* One inline stylesheet (campbot.web.exports.grid_style), system fonts, dark text on light backgrounds (every pair is
  at least WCAG AA), so the page prints on A3/A4 landscape and survives being saved.
* Below ~40em wide the table reflows into one section per slot (a plain list, no
  sideways scrolling); each cell then shows its room name, which the column header
  carried before.
* The page is a Jinja2 template (``templates/grid.html``, on the same ``layout.html`` as the
  attendee pages) with autoescape on: a title such as ``<script>`` or ``<!channel>`` is shown
  exactly as typed.  This module works out *what* goes in each cell (spans of double sessions,
  the Now/Next marks, what a phone reader would miss) as plain data; the template says how.
* ``mode="screen"`` is for the projector in the foyer: bigger type, the slot running
  "now" and the "next" one highlighted with a visible word (not colour alone), and a
  meta refresh every 60 s so the highlight moves on by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import urlsplit

from markupsafe import Markup

from campbot.web.exports.grid_style import STYLE
from campbot.web.exports.grid_view import (
    GridView,
    Placement,
    ViewRoom,
    ViewSlot,
    days,
    join_names,
    local_day,
    local_time,
    need_label,
    notes_url,
    ordered_slots,
    placements,
)
from campbot.web.templating import environment

Mode = Literal["print", "screen"]

# Glyphs chosen from what DejaVu/Liberation and phone system fonts all carry (no emoji,
# which would print as empty boxes on many machines).  The words are always in the page.
NEED_ICONS: dict[str, str] = {
    "step_free": "\u267f",  # wheelchair symbol
    "projector": "\u25a3",  # a framed screen
    "hearing_loop": "T",  # loop signs show a "T" (the hearing aid's T setting)
    "quiet": "\u263e",  # crescent moon
    "whiteboard": "\u25a1",  # a blank board
}


@dataclass(frozen=True)
class _Time:
    """A local time for a ``<time datetime=...>`` element."""

    iso: str
    hhmm: str


def _time(view: GridView, moment: datetime) -> _Time:
    local = local_time(view, moment)
    return _Time(local.isoformat(timespec="minutes"), f"{local:%H:%M}")


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@dataclass(frozen=True)
class _Need:
    key: str
    label: str
    icon: str


def _need(need: str) -> _Need:
    return _Need(need, need_label(need), NEED_ICONS.get(need, "\u2022"))


def _safe_link(url: str) -> str:
    """Only http(s) links become ``href``s; anything else (``javascript:``...) is dropped."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def _link_ok(url: str) -> bool:
    """An http(s) URL or a same-site absolute path (not "//host", which leaves the site)."""
    return bool(_safe_link(url)) or (url.startswith("/") and not url.startswith("//"))


@dataclass(frozen=True)
class _Highlight:
    now: str | None  # slot id running at ``now``
    next: str | None  # slot id starting next


def _highlight(slots: list[ViewSlot], now: datetime) -> _Highlight:
    current = next((s for s in slots if s.start <= now < s.end), None)
    upcoming = next((s for s in slots if s.start > now and s is not current), None)
    return _Highlight(now=current.id if current else None, next=upcoming.id if upcoming else None)


def _cell_map(view: GridView) -> dict[tuple[str, str], Placement]:
    """(slot id, room id) -> the placement there; two sessions in one cell is a bug upstream."""
    cells: dict[tuple[str, str], Placement] = {}
    for placement in placements(view):
        for slot in placement.slots:
            key = (slot.id, placement.room.id)
            if key in cells:
                raise ValueError(
                    f"sessions {cells[key].session.id!r} and {placement.session.id!r} "
                    f"are both in room {placement.room.id!r} at slot {slot.id!r}"
                )
            cells[key] = placement
    return cells


@dataclass(frozen=True)
class _Cell:
    """One ``<td>``: a session (spanning `rowspan` rows), or a free or closed room."""

    room: str
    classes: str
    placement: Placement | None = None  # None: free or closed
    closed: bool = False
    rowspan: int = 1
    anchor: str | None = None  # the id of a session's first cell
    format: str | None = None
    started: _Time | None = None  # a double session that began in an earlier row of another block
    until: _Time | None = None  # a double session's end
    needs: tuple[_Need, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class _PhoneNote:
    """What a phone reader of a slot would otherwise miss: a session going on from the row
    above (`title` in `room` until `until`), or, with no title, that nothing is on."""

    title: str = ""
    room: str = ""
    until: _Time | None = None


@dataclass(frozen=True)
class _Row:
    id: str
    classes: str
    badge: str | None
    start: _Time
    end: _Time
    notes: list[_PhoneNote]
    cells: list[_Cell]


@dataclass(frozen=True)
class _Group:
    label: str | None
    rows: list[_Row] = field(default_factory=list)


@dataclass(frozen=True)
class _RoomHead:
    id: str
    name: str
    capacity: int
    features: tuple[_Need, ...]


@dataclass(frozen=True)
class _Day:
    id: str
    caption: str
    rooms: list[_RoomHead]
    groups: list[_Group]


def _session_cell(view: GridView, placement: Placement, rowspan: int, continued: bool, marks: list[str]) -> _Cell:
    session = placement.session
    classes = ["session", *marks]
    if placement.is_double:
        classes.append("double")
    fmt = None
    if session.format and session.format != "discussion":
        fmt = session.format.replace("_", " ").replace("-", " ").capitalize()
    return _Cell(
        room=placement.room.name, classes=" ".join(classes), placement=placement, rowspan=rowspan,
        anchor=None if continued else f"session-{session.id}", format=fmt,
        started=_time(view, placement.start) if continued else None,
        until=_time(view, placement.end) if placement.is_double or continued else None,
        needs=tuple(_need(n) for n in session.needs), notes=_safe_link(notes_url(view, placement)),
    )


def _phone_notes(
    view: GridView,
    slot: ViewSlot,
    rooms: Sequence[ViewRoom],
    cells: dict[tuple[str, str], Placement],
    covered: set[tuple[str, str]],
) -> list[_PhoneNote]:
    """What a phone reader of this slot would otherwise miss, shown only in the narrow layout.

    There the table is one box per slot and free cells are left out, so a slot where a
    double session goes on (its cell belongs to the row above) or where nothing is on
    would be an empty box.  On a wide screen the grid itself shows both, so this is hidden.
    """
    notes = []
    for room in rooms:
        if (slot.id, room.id) in covered:
            placement = cells[(slot.id, room.id)]
            notes.append(_PhoneNote(placement.session.title, room.name, _time(view, placement.end)))
    if not notes and not any((slot.id, room.id) in cells for room in rooms):
        notes.append(_PhoneNote())
    return notes


def _day_table(
    view: GridView,
    day: date,
    slots: list[ViewSlot],
    cells: dict[tuple[str, str], Placement],
    highlight: _Highlight | None,
    multi_day: bool,
) -> _Day:
    rooms = view.rooms
    heads = [_RoomHead(r.id, r.name, r.capacity, tuple(_need(f) for f in r.features)) for r in rooms]
    # One <tbody> per block, so a break between blocks is visible and rowspans stay inside it.
    runs: list[list[ViewSlot]] = []
    for slot in slots:
        if runs and runs[-1][-1].block == slot.block:
            runs[-1].append(slot)
        else:
            runs.append([slot])
    groups: list[_Group] = []
    for run in runs:
        block = run[0].block
        group = _Group(label=(f"{block} · {_long_date(day)}" if multi_day else block) if block else None)
        groups.append(group)
        covered: set[tuple[str, str]] = set()
        run_ids = [s.id for s in run]
        for index, slot in enumerate(run):
            marks: list[str] = []
            badge = None
            if highlight and slot.id == highlight.now:
                marks, badge = ["now"], "Now"
            elif highlight and slot.id == highlight.next:
                marks, badge = ["next"], "Next"
            notes = _phone_notes(view, slot, rooms, cells, covered)
            row_cells: list[_Cell] = []
            for room in rooms:
                key = (slot.id, room.id)
                if key in covered:
                    continue
                placement = cells.get(key)
                if placement is None:
                    closed = slot.id in room.closed
                    row_cells.append(_Cell(room.name, " ".join(["closed" if closed else "free", *marks]),
                                           closed=closed))
                    continue
                own_ids = [s.id for s in placement.slots]
                first_here = own_ids.index(slot.id)
                # Span down over this session's following slots while they are the next rows.
                span = 1
                while (
                    first_here + span < len(own_ids)
                    and index + span < len(run_ids)
                    and own_ids[first_here + span] == run_ids[index + span]
                ):
                    covered.add((run_ids[index + span], room.id))
                    span += 1
                spanned = run_ids[index : index + span]
                cell_marks = []
                if highlight and highlight.now in spanned:
                    cell_marks.append("now")
                elif highlight and highlight.next in spanned:
                    cell_marks.append("next")
                row_cells.append(_session_cell(view, placement, span, first_here > 0, cell_marks))
            group.rows.append(_Row(slot.id, " ".join(["slot", *marks]), badge, _time(view, slot.start),
                                   _time(view, slot.end), notes, row_cells))
    caption = f"{view.event_name}, {_long_date(day)}: rooms across, times down"
    return _Day(f"day-{day.isoformat()}", caption, heads, groups)


def render_grid_html(
    view: GridView,
    *,
    mode: Mode = "print",
    now: datetime | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """Render the published grid as a complete HTML document (a ``str``).

    ``mode="print"`` is the default page (wall printout, laptop, phone).  ``mode="screen"``
    is the big-screen page; its "Now"/"Next" highlight is relative to ``now`` (tz-aware;
    the current time when ``None``).  ``links`` are (label, URL) pairs listed in the footer
    on screens (the calendar feed, open data), for a page that knows where they are served.
    """
    if mode not in ("print", "screen"):
        raise ValueError(f"unknown mode {mode!r}")
    slots = ordered_slots(view)
    cells = _cell_map(view)
    highlight = None
    if mode == "screen":
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        highlight = _highlight(slots, now)
    hidden = 0
    if highlight is not None and now is not None:
        # A foyer screen should show what is on now and later, not a morning that is over.
        upcoming = [s for s in slots if s.end > now]
        if upcoming:
            hidden = len(slots) - len(upcoming)
            slots = upcoming
    event_days = sorted({local_day(view, s.start) for s in slots}) or days(view)
    published = local_time(view, view.published_at)
    tables = [
        _day_table(view, day, [s for s in slots if local_day(view, s.start) == day], cells, highlight,
                   len(event_days) > 1)
        for day in event_days
    ]
    return environment().get_template("grid.html").render(
        view=view,
        mode=mode,
        style=Markup(STYLE),  # noqa: S704 - campbot's own stylesheet, a constant
        title=f"{view.event_name} session grid",
        dates=", ".join(_long_date(d) for d in event_days),
        clock=_time(view, now) if highlight is not None and now is not None else None,
        hidden=hidden,
        any_slots=bool(slots),
        days=tables,
        legend=[_need(n) for n in NEED_ICONS],
        links=[(label, url) for label, url in links if _link_ok(url)] if mode == "print" else [],
        published=_Time(published.isoformat(timespec="minutes"),
                        f"{_long_date(published.date())} at {published:%H:%M}"),
        host_names=join_names,
    )

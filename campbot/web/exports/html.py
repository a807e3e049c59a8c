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
* Every piece of user text goes through :func:`html.escape`: a title such as
  ``<script>`` or ``<!channel>`` is shown exactly as typed.
* ``mode="screen"`` is for the projector in the foyer: bigger type, the slot running
  "now" and the "next" one highlighted with a visible word (not colour alone), and a
  meta refresh every 60 s so the highlight moves on by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from typing import Literal
from urllib.parse import urlsplit

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


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _time(view: GridView, moment: datetime) -> str:
    local = local_time(view, moment)
    return f'<time datetime="{_e(local.isoformat(timespec="minutes"))}">{local:%H:%M}</time>'


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def need_icon(need: str) -> str:
    """One need as an icon with its words for screen readers and a tooltip for the rest."""
    label = need_label(need)
    icon = NEED_ICONS.get(need, "\u2022")
    return (
        f'<span class="need need-{_e(need)}" title="{_e(label)}">'
        f'<span aria-hidden="true">{_e(icon)}</span><span class="sr-only">{_e(label)}</span></span>'
    )


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


def _session_cell(
    view: GridView,
    placement: Placement,
    rowspan: int,
    continued: bool,
    marks: list[str],
) -> str:
    session = placement.session
    classes = ["session", *marks]
    if placement.is_double:
        classes.append("double")
    attrs = f' class="{" ".join(classes)}"'
    if rowspan > 1:
        attrs += f' rowspan="{rowspan}"'
    if not continued:
        attrs += f' id="session-{_e(session.id)}"'
    parts = [
        f'<span class="where">{_e(placement.room.name)}</span>',
        f'<span class="title">{_e(session.title)}</span>',
    ]
    if session.hosts:
        parts.append(f'<span class="hosts">with {_e(join_names(session.hosts))}</span>')
    meta: list[str] = []
    if session.format and session.format != "discussion":
        meta.append(_e(session.format.replace("_", " ").replace("-", " ").capitalize()))
    if continued:
        meta.append(f"Double session, started {_time(view, placement.start)}, until {_time(view, placement.end)}")
    elif placement.is_double:
        meta.append(f"Double session, until {_time(view, placement.end)}")
    if meta:
        parts.append(f'<span class="meta">{" · ".join(meta)}</span>')
    if session.needs:
        parts.append('<span class="needs">' + "".join(need_icon(n) for n in session.needs) + "</span>")
    link = _safe_link(notes_url(view, placement))
    if link:
        parts.append(
            f'<a class="notes" href="{_e(link)}">Notes<span class="sr-only"> for {_e(session.title)}</span></a>'
        )
    return f"<td{attrs}>{''.join(parts)}</td>"


def _free_cell(room: ViewRoom, marks: list[str], slot_id: str) -> str:
    closed = slot_id in room.closed
    classes = " ".join(["closed" if closed else "free", *marks])
    word = "Closed" if closed else "Free"
    return f'<td class="{classes}"><span class="where">{_e(room.name)}</span>{word}</td>'


def _room_header(room: ViewRoom) -> str:
    features = "".join(need_icon(f) for f in room.features)
    features_html = f'<span class="features">{features}</span>' if features else ""
    return (
        f'<th scope="col" id="room-{_e(room.id)}"><span class="room-name">{_e(room.name)}</span>'
        f'<span class="cap">{room.capacity} seats</span>{features_html}</th>'
    )


def _phone_notes(
    view: GridView,
    slot: ViewSlot,
    rooms: Sequence[ViewRoom],
    cells: dict[tuple[str, str], Placement],
    covered: set[tuple[str, str]],
) -> str:
    """What a phone reader of this slot would otherwise miss, shown only in the narrow layout.

    There the table is one box per slot and free cells are left out, so a slot where a
    double session goes on (its cell belongs to the row above) or where nothing is on
    would be an empty box.  On a wide screen the grid itself shows both, so this is hidden.
    """
    notes = []
    for room in rooms:
        if (slot.id, room.id) in covered:
            placement = cells[(slot.id, room.id)]
            notes.append(
                f'<span class="phone-note">{_e(placement.session.title)} continues in {_e(room.name)}'
                f" until {_time(view, placement.end)}</span>"
            )
    if not notes and not any((slot.id, room.id) in cells for room in rooms):
        notes.append('<span class="phone-note">No sessions</span>')
    return "".join(notes)


def _day_table(
    view: GridView,
    day: date,
    slots: list[ViewSlot],
    cells: dict[tuple[str, str], Placement],
    highlight: _Highlight | None,
    multi_day: bool,
) -> str:
    rooms = view.rooms
    ncols = len(rooms) + 1
    caption = f"{_e(view.event_name)}, {_long_date(day)}: rooms across, times down"
    out = [
        f'<table class="grid" id="day-{day.isoformat()}">',
        f"<caption>{caption}</caption>",
        '<thead><tr><th scope="col" class="corner">Time</th>'
        + "".join(_room_header(r) for r in rooms)
        + "</tr></thead>",
    ]
    # One <tbody> per block, so a break between blocks is visible and rowspans stay inside it.
    groups: list[list[ViewSlot]] = []
    for slot in slots:
        if groups and groups[-1][-1].block == slot.block:
            groups[-1].append(slot)
        else:
            groups.append([slot])
    for group in groups:
        out.append("<tbody>")
        block = group[0].block
        if block:
            label = f"{_e(block)} · {_long_date(day)}" if multi_day else _e(block)
            out.append(f'<tr class="block-row"><th scope="rowgroup" colspan="{ncols}">{label}</th></tr>')
        covered: set[tuple[str, str]] = set()
        group_ids = [s.id for s in group]
        for index, slot in enumerate(group):
            marks: list[str] = []
            badge = ""
            if highlight and slot.id == highlight.now:
                marks, badge = ["now"], '<span class="badge">Now</span>'
            elif highlight and slot.id == highlight.next:
                marks, badge = ["next"], '<span class="badge">Next</span>'
            row_class = " ".join(["slot", *marks])
            out.append(f'<tr class="{row_class}" id="slot-{_e(slot.id)}">')
            out.append(
                f'<th scope="row">{badge}<span class="when">{_time(view, slot.start)}'
                f"\u2013{_time(view, slot.end)}</span>{_phone_notes(view, slot, rooms, cells, covered)}</th>"
            )
            for room in rooms:
                key = (slot.id, room.id)
                if key in covered:
                    continue
                placement = cells.get(key)
                if placement is None:
                    out.append(_free_cell(room, marks, slot.id))
                    continue
                own_ids = [s.id for s in placement.slots]
                first_here = own_ids.index(slot.id)
                # Span down over this session's following slots while they are the next rows.
                span = 1
                while (
                    first_here + span < len(own_ids)
                    and index + span < len(group_ids)
                    and own_ids[first_here + span] == group_ids[index + span]
                ):
                    covered.add((group_ids[index + span], room.id))
                    span += 1
                spanned = group_ids[index : index + span]
                cell_marks = []
                if highlight and highlight.now in spanned:
                    cell_marks.append("now")
                elif highlight and highlight.next in spanned:
                    cell_marks.append("next")
                out.append(_session_cell(view, placement, span, first_here > 0, cell_marks))
            out.append("</tr>")
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def _legend() -> str:
    # The words sit right beside each icon here, so the icon itself is hidden from screen readers.
    items = "".join(
        f'<li><span class="need need-{_e(n)}" aria-hidden="true">{_e(icon)}</span> {_e(need_label(n))}</li>'
        for n, icon in NEED_ICONS.items()
    )
    return f'<div class="legend"><h2>Key</h2><ul>{items}</ul></div>'


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
    dates = ", ".join(_long_date(d) for d in event_days)
    title = f"{view.event_name} session grid"
    head = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]
    if mode == "screen":
        head.append('<meta http-equiv="refresh" content="60">')
    head += [
        f"<title>{_e(title)} (version {view.version})</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        f'<body class="mode-{mode}">',
        "<header>",
        f"<h1>{_e(view.event_name)}</h1>",
    ]
    subtitle = f"{dates} · times in {_e(view.timezone)}"
    if highlight is not None and now is not None:
        subtitle += f' · <span class="clock">as of {_time(view, now)}</span>'
        if hidden:
            subtitle += " · finished slots are not shown"
    head.append(f"<p>{subtitle}</p>")
    head.append("</header>")
    body = ["<main>"]
    if not slots:
        body.append("<p>No sessions have been scheduled.</p>")
    for day in event_days:
        day_slots = [s for s in slots if local_day(view, s.start) == day]
        body.append(_day_table(view, day, day_slots, cells, highlight, len(event_days) > 1))
    body.append("</main>")
    foot = ["<footer>", _legend()]
    if view.changelog:
        items = "".join(f"<li>{_e(line)}</li>" for line in view.changelog)
        foot.append(f'<section class="changes"><h2>Changes in version {view.version}</h2><ul>{items}</ul></section>')
    safe_links = [(label, url) for label, url in links if _link_ok(url)]
    if safe_links and mode == "print":
        items = "".join(f'<li><a href="{_e(url)}">{_e(label)}</a></li>' for label, url in safe_links)
        foot.append(
            f'<nav class="elsewhere" aria-label="Other formats"><h2>Take it with you</h2><ul>{items}</ul></nav>'
        )
    foot.append(
        f'<p class="version">Version {view.version}, published '
        f'<time datetime="{_e(published.isoformat(timespec="minutes"))}">'
        f"{_long_date(published.date())} at {published:%H:%M}</time>.</p>"
    )
    foot += ["</footer>", "</body>", "</html>", ""]
    return "\n".join(head + body + foot)

"""The HTML grid: semantic table, escaping, doubles, needs icons, print and big-screen modes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from campbot.web.exports.grid_view import GridView
from campbot.web.exports.html import NEED_ICONS, render_grid_html
from tests.web.exports.conftest import at


class Page(HTMLParser):
    """Collects start tags (with attributes) and visible text, the way a browser parses."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def plain(self) -> str:
        return "".join(self.text)


def classes(attrs: dict[str, str | None]) -> set[str]:
    return set((attrs.get("class") or "").split())


def test_semantic_table(lgc_view: GridView) -> None:
    page = Page(render_grid_html(lgc_view))
    assert len(page.all("table")) == 1
    assert len(page.all("caption")) == 1
    assert len(page.all("thead")) == 1
    # Corner + one column header per room, one row header per slot.
    assert len(page.all("th", scope="col")) == 1 + 7
    assert len(page.all("th", scope="row")) == 5
    assert len(page.all("th", scope="rowgroup")) == 2  # Morning, Afternoon
    assert page.all("html")[0]["lang"] == "en"


def test_no_javascript_at_all(lgc_view: GridView) -> None:
    source = render_grid_html(lgc_view)
    page = Page(source)
    assert not page.all("script")
    assert not any(k.startswith("on") for _, a in page.tags for k in a)
    assert "<script" not in source.lower()


def test_user_text_is_escaped_and_shown_as_typed(lgc_view: GridView) -> None:
    source = render_grid_html(lgc_view)
    page = Page(source)
    assert "<script>alert(1)</script>" in page.plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "<!channel> free pizza" in page.plain
    assert 'Tea & "biscuits": a <b>bold</b> claim' in page.plain
    assert "with <b>Mallory</b>" in page.plain
    assert not page.all("b")


def test_sessions_hosts_and_free_cells(lgc_view: GridView) -> None:
    page = Page(render_grid_html(lgc_view))
    text = page.plain
    for session in lgc_view.sessions:
        assert session.title in text
    assert "with Asha Patel, Ben O'Brien, Chloé Dubois, Dev Sharma and Eve Nakamura" in text
    free = [a for t, a in page.tags if t == "td" and "free" in classes(a)]
    # 7 rooms x 5 slots = 35 cells; 23 are taken (22 sessions, one of them double).
    assert len(free) == 35 - 23
    assert text.count("Free") == 12


def test_double_session_spans_two_rows(lgc_view: GridView) -> None:
    page = Page(render_grid_html(lgc_view))
    cell = page.all("td", id="session-p7")
    assert len(cell) == 1 and cell[0]["rowspan"] == "2"
    assert "Double session, until 16:00" in page.plain
    # The 15:05 row has one cell fewer: 6 cells instead of 7.
    html = render_grid_html(lgc_view)
    row = html.split('id="slot-s5"')[1].split("</tr>")[0]
    assert row.count("<td") == 6


def test_phone_layout_says_what_a_slot_without_a_starting_session_holds(lgc_view: GridView) -> None:
    html = render_grid_html(lgc_view)
    # 15:05: the double session from 14:00 goes on in Room 2; the narrow layout shows no cell for it.
    header = html.split('id="slot-s5"')[1].split("</th>")[0]
    assert (
        '<span class="phone-note">Build a service map together (double session) continues in Room 2 until '
        '<time datetime="2026-06-20T16:00+01:00">16:00</time></span>'
    ) in header
    assert "phone-note" not in html.split('id="slot-s4"')[1].split("</th>")[0]  # it starts there: shown as a cell
    # A slot with nothing on at all says so (free cells are left out of the narrow layout).
    empty = dataclasses.replace(lgc_view, sessions=tuple(s for s in lgc_view.sessions if s.slot_ids != ("s1",)))
    header = render_grid_html(empty).split('id="slot-s1"')[1].split("</th>")[0]
    assert '<span class="phone-note">No sessions</span>' in header
    assert ".where, .phone-note { display: none; }" in html  # hidden where the grid itself shows it


def test_needs_icons_have_text_alternatives(lgc_view: GridView) -> None:
    page = Page(render_grid_html(lgc_view))
    needs = [a for t, a in page.tags if t == "span" and "need" in classes(a)]
    in_grid = [a for a in needs if a.get("aria-hidden") != "true"]
    assert len(in_grid) > 20
    assert all(a.get("title") for a in in_grid)
    # The key's icons are decorative: their words are printed right beside them.
    assert len(needs) - len(in_grid) == len(NEED_ICONS)
    source = render_grid_html(lgc_view)
    assert (
        '<span class="need need-step_free" title="Step-free access"><span aria-hidden="true">\u267f</span>'
        '<span class="sr-only">Step-free access</span></span>'
    ) in source
    for label in ("Step-free access", "Projector", "Hearing loop", "Quiet room"):
        assert label in page.plain


def test_times_are_in_the_event_timezone(lgc_view: GridView) -> None:
    # The same moments given in UTC must still print as London wall-clock times.
    utc_slots = tuple(
        dataclasses.replace(s, start=s.start.astimezone(UTC), end=s.end.astimezone(UTC)) for s in lgc_view.slots
    )
    page = Page(render_grid_html(dataclasses.replace(lgc_view, slots=utc_slots)))
    assert "10:00\u201310:55" in page.plain
    assert "09:00" not in page.plain
    times = page.all("time")
    assert times[0]["datetime"] == "2026-06-20T10:00+01:00"


def test_print_mode_css_and_footer(lgc_view: GridView) -> None:
    source = render_grid_html(lgc_view)
    page = Page(source)
    assert "@page { size: A3 landscape" in source
    assert "@media print" in source
    assert "@media (max-width: 40em)" in source
    assert not page.all("meta", **{"http-equiv": "refresh"})
    assert "Version 2, published Saturday 20 June 2026 at 09:30." in page.plain
    assert "Changes in version 2" in page.plain
    assert "moved: Digital skills for councillors, Room 5 11:05 -> Room 2 12:10" in page.plain
    assert "Now" not in page.plain.split()
    links = [a["href"] for a in page.all("a")]
    assert "https://notes.example.org/lgc26/p12-cafe-culture-and-informal-networks" in links


def test_only_http_links_become_hrefs(lgc_view: GridView) -> None:
    view = dataclasses.replace(lgc_view, notes_url_pattern="javascript:alert('{session}')")
    page = Page(render_grid_html(view))
    assert not page.all("a")


def test_screen_mode_highlights_now_and_next(lgc_view: GridView) -> None:
    source = render_grid_html(lgc_view, mode="screen", now=at(2026, 6, 20, 11, 20))
    page = Page(source)
    assert page.all("meta", **{"http-equiv": "refresh", "content": "60"})
    assert page.all("body")[0]["class"] == "mode-screen"
    rows = {a["id"]: classes(a) for t, a in page.tags if t == "tr" and a.get("id")}
    assert "now" in rows["slot-s2"] and "next" in rows["slot-s3"]
    assert "slot-s1" not in rows  # finished slots are left off the big screen
    badges = [a for t, a in page.tags if t == "span" and "badge" in classes(a)]
    assert len(badges) == 2
    assert "Now" in page.plain and "Next" in page.plain
    assert "as of 11:20" in page.plain


def test_screen_mode_in_a_break_and_in_a_double(lgc_view: GridView) -> None:
    lunch = Page(render_grid_html(lgc_view, mode="screen", now=at(2026, 6, 20, 13, 30)))
    rows = {a["id"]: classes(a) for t, a in lunch.tags if t == "tr" and a.get("id")}
    assert "next" in rows["slot-s4"] and not any("now" in c for c in rows.values())
    late = Page(render_grid_html(lgc_view, mode="screen", now=at(2026, 6, 20, 15, 30)))
    # The double session started in a slot that is now over: it is still shown, as continuing.
    cell = [a for t, a in late.tags if t == "td" and "double" in classes(a)]
    assert len(cell) == 1 and "now" in classes(cell[0])
    assert "Double session, started 14:00, until 16:00" in late.plain


def test_screen_mode_after_the_event_shows_everything(lgc_view: GridView) -> None:
    page = Page(render_grid_html(lgc_view, mode="screen", now=datetime(2026, 6, 21, tzinfo=UTC)))
    assert len(page.all("th", scope="row")) == 5
    assert "Now" not in page.plain.split()


def test_two_day_event_has_a_table_per_day(dst_view: GridView) -> None:
    page = Page(render_grid_html(dst_view))
    assert len(page.all("table")) == 2
    captions = page.plain
    assert "Saturday 24 October 2026" in captions and "Sunday 25 October 2026" in captions


def test_rejects_bad_arguments(lgc_view: GridView) -> None:
    with pytest.raises(ValueError):
        render_grid_html(lgc_view, mode="poster")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_grid_html(lgc_view, mode="screen", now=datetime(2026, 6, 20, 11))
    clash = dataclasses.replace(lgc_view.sessions[0], id="p99")
    with pytest.raises(ValueError, match="both in room"):
        render_grid_html(dataclasses.replace(lgc_view, sessions=(*lgc_view.sessions, clash)))


def test_links_to_other_formats_are_listed_on_screen_only(lgc_view: GridView) -> None:
    links = [
        ("Add to your calendar", "/camp/ical/event.ics"),
        ("Open data", "https://camp.example.org/data/grid.json"),
        ("Sneaky", "//evil.example/x"),
        ("Sneakier", "javascript:alert(1)"),
    ]
    page = Page(render_grid_html(lgc_view, links=links))
    hrefs = [a["href"] for a in page.all("a")]
    assert "/camp/ical/event.ics" in hrefs and "https://camp.example.org/data/grid.json" in hrefs
    assert "//evil.example/x" not in hrefs and "javascript:alert(1)" not in hrefs
    assert page.all("nav", **{"aria-label": "Other formats"})
    screen = Page(render_grid_html(lgc_view, mode="screen", now=at(2026, 6, 20, 11), links=links))
    assert not screen.all("nav")
    assert not Page(render_grid_html(lgc_view)).all("nav")


def test_a_closed_room_shows_closed_not_free(lgc_view: GridView) -> None:
    busy = {(sess.room_id, s) for sess in lgc_view.sessions for s in sess.slot_ids}
    i, room, free_slot = next((i, r, s.id) for i, r in enumerate(lgc_view.rooms) for s in lgc_view.slots
                              if (r.id, s.id) not in busy)
    rooms = list(lgc_view.rooms)
    rooms[i] = dataclasses.replace(room, closed=(free_slot,))
    view = dataclasses.replace(lgc_view, rooms=tuple(rooms))
    page = render_grid_html(view)
    assert '<td class="closed' in page and f"{room.name}</span>Closed</td>" in page
    assert render_grid_html(lgc_view).count("</span>Closed</td>") == 0

"""Property tests: whatever people type as a title or a name, every format keeps it intact
and nothing they type can become markup, a formula, or a new calendar line."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from campbot.web.exports.csv_export import render_grid_csv, safe_cell
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.grid_view import GridView
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import render_event_ical
from campbot.web.exports.json_export import render_grid_json
from tests.web.exports.conftest import make_lgc_view

BASE = make_lgc_view()
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "main", "table", "caption",
    "thead", "tbody", "tr", "th", "td", "span", "time", "a", "footer", "div", "ul", "li", "section",
}  # fmt: skip

# What people type in Slack: any printable text, including markup, quotes and line breaks.
typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00") | st.sampled_from("\n\r\t"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())


def with_text(title: str, host: str) -> GridView:
    first = dataclasses.replace(BASE.sessions[0], title=title, hosts=(host, "Second Host"))
    return dataclasses.replace(BASE, sessions=(first, *BASE.sessions[1:]))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@settings(max_examples=60, deadline=None)
@given(title=typed, host=typed)
def test_html_shows_text_as_typed_and_adds_no_markup(title: str, host: str) -> None:
    parser = Tags()
    parser.feed(render_grid_html(with_text(title, host)))
    assert parser.tags <= ALLOWED_TAGS
    text = "".join(parser.text)
    assert title in text


@settings(max_examples=60, deadline=None)
@given(title=typed, host=typed)
def test_csv_round_trips(title: str, host: str) -> None:
    rows = list(csv.reader(io.StringIO(render_grid_csv(with_text(title, host)), newline="")))
    first = rows[1]
    assert len(first) == 12
    assert first[5] == safe_cell(title)
    assert first[6] == safe_cell(host)


@settings(max_examples=60, deadline=None)
@given(title=typed, host=typed)
def test_ical_keeps_one_event_per_session(title: str, host: str) -> None:
    cal = Calendar.from_ical(render_event_ical(with_text(title, host)))
    events = cal.walk("VEVENT")
    assert len(events) == len(BASE.sessions)
    assert not cal.walk("VALARM")
    first = next(e for e in events if str(e["UID"]) == "lgc26-p1@campbot")
    assert str(first["SUMMARY"]) == " ".join(title.split())


@settings(max_examples=30, deadline=None)
@given(title=typed, host=typed)
def test_json_outputs_round_trip(title: str, host: str) -> None:
    view = with_text(title, host)
    grid = json.loads(render_grid_json(view))
    assert grid["sessions"][0]["title"] == title
    assert grid["sessions"][0]["hosts"][0] == host
    frab = json.loads(render_frab_json(view))
    event = frab["schedule"]["conference"]["days"][0]["rooms"]["Main Hall"][0]
    assert event["title"] == title and event["persons"][0]["name"] == host

"""Edge cases every renderer must survive: a grid with no sessions, or no slots at all."""

from __future__ import annotations

import dataclasses
import json

import pytest
from icalendar import Calendar

from campbot.web.exports import (
    render_event_ical,
    render_frab_json,
    render_grid_csv,
    render_grid_html,
    render_grid_json,
    render_person_ical,
)
from campbot.web.exports.grid_view import GridView
from tests.web.exports.conftest import at


@pytest.fixture(params=["no sessions", "no slots"])
def empty(request: pytest.FixtureRequest, lgc_view: GridView) -> GridView:
    if request.param == "no sessions":
        return dataclasses.replace(lgc_view, sessions=())
    return dataclasses.replace(lgc_view, sessions=(), slots=())


def test_html(empty: GridView) -> None:
    page = render_grid_html(empty)
    assert "Version 2, published" in page
    screen = render_grid_html(empty, mode="screen", now=at(2026, 6, 20, 11))
    assert 'http-equiv="refresh"' in screen
    if not empty.slots:
        assert "No sessions have been scheduled." in page
    else:
        assert page.count(">Free</td>") == 35


def test_csv(empty: GridView) -> None:
    assert render_grid_csv(empty).splitlines() == [
        "Year,Time,Session,Room,Capacity,Title,Leader1,Leader2,Leader3,Leader 4,Session notes,Hashtag"
    ]


def test_ical(empty: GridView) -> None:
    for data in (render_event_ical(empty), render_person_ical(empty, {"p1"}, "Sam")):
        cal = Calendar.from_ical(data)
        assert cal.walk("VEVENT") == []
        assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_json_and_frab(empty: GridView) -> None:
    assert json.loads(render_grid_json(empty))["sessions"] == []
    conference = json.loads(render_frab_json(empty))["schedule"]["conference"]
    assert all(room == [] for day in conference["days"] for room in day["rooms"].values())
    assert conference["daysCount"] == (1 if empty.slots else 0)

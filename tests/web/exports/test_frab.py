"""frab/pretalx schedule JSON, checked against the shape the c3voc schema requires."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.grid_view import GridView

EVENT_KEYS = {
    "id", "guid", "date", "start", "duration", "room", "slug", "url", "title", "subtitle", "track", "type",
    "language", "abstract", "description", "persons", "links", "attachments",
}  # fmt: skip


def load(view: GridView, **kwargs: Any) -> dict[str, Any]:
    data = json.loads(render_frab_json(view, **kwargs))
    assert set(data) == {"schedule"}
    return data["schedule"]


def all_events(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for day in schedule["conference"]["days"] for room in day["rooms"].values() for e in room]


def test_conference_block(lgc_view: GridView) -> None:
    schedule = load(lgc_view, base_url="https://camp.example.org/")
    assert schedule["version"] == "2"
    assert schedule["base_url"] == "https://camp.example.org/"
    conf = schedule["conference"]
    assert conf["acronym"] == "lgc26" and re.fullmatch(r"[a-z0-9_-][a-z0-9_]{3,}", conf["acronym"])
    assert conf["title"] == "LocalGovCamp 2026"
    assert (conf["start"], conf["end"], conf["daysCount"]) == ("2026-06-20", "2026-06-20", 1)
    assert conf["timeslot_duration"] == "00:05"
    assert conf["time_zone_name"] == "Europe/London"
    assert [r["name"] for r in conf["rooms"]] == [r.name for r in lgc_view.rooms]
    assert all(set(r) == {"name", "guid", "description", "capacity"} for r in conf["rooms"])
    day = conf["days"][0]
    assert day["index"] == 1 and day["date"] == "2026-06-20"
    assert day["day_start"] == "2026-06-20T10:00:00+01:00"
    assert day["day_end"] == "2026-06-20T16:00:00+01:00"
    assert list(day["rooms"]) == [r.name for r in lgc_view.rooms]


def test_events_have_every_required_field(lgc_view: GridView) -> None:
    events = all_events(load(lgc_view))
    assert len(events) == 22
    for event in events:
        assert set(event) == EVENT_KEYS
        assert isinstance(event["id"], int) and event["id"] >= 1
        uuid.UUID(event["guid"])
        assert re.fullmatch(r"\d\d:\d\d", event["start"])
        assert re.fullmatch(r"\d+:\d\d", event["duration"])
        assert re.fullmatch(r"[a-z0-9_-]+[a-z0-9]", event["slug"])
        assert event["date"].endswith("+01:00")
        assert event["language"] == "en"
    assert len({e["id"] for e in events}) == len({e["guid"] for e in events}) == 22


def test_double_session_and_people(lgc_view: GridView) -> None:
    events = {e["title"]: e for e in all_events(load(lgc_view))}
    double = events["Build a service map together (double session)"]
    assert (double["id"], double["start"], double["duration"], double["room"]) == (7, "14:00", "02:00", "Room 2")
    assert double["date"] == "2026-06-20T14:00:00+01:00"
    assert double["type"] == "workshop" and double["track"] == "design"
    assert double["persons"] == [
        {"name": "Gill Porter", "public_name": "Gill Porter"},
        {"name": "Hassan Ali", "public_name": "Hassan Ali"},
    ]
    assert double["links"] == [{"url": double["url"], "title": "Session notes"}]
    assert double["url"].startswith("https://notes.example.org/lgc26/p7-")


def test_guids_are_stable_across_versions(lgc_view: GridView) -> None:
    v1 = {e["title"]: e["guid"] for e in all_events(load(dataclasses.replace(lgc_view, version=1)))}
    v5 = {e["title"]: e["guid"] for e in all_events(load(dataclasses.replace(lgc_view, version=5)))}
    assert v1 == v5
    other_event = {e["title"]: e["guid"] for e in all_events(load(dataclasses.replace(lgc_view, event_slug="x27")))}
    assert not set(v1.values()) & set(other_event.values())


def test_two_days_across_the_clock_change(dst_view: GridView) -> None:
    conf = load(dst_view)["conference"]
    assert conf["daysCount"] == 2
    assert [d["date"] for d in conf["days"]] == ["2026-10-24", "2026-10-25"]
    assert [d["index"] for d in conf["days"]] == [1, 2]
    assert conf["days"][1]["day_start"] == "2026-10-25T10:00:00+00:00"
    sunday = conf["days"][1]["rooms"]["Hall"][0]
    assert (sunday["title"], sunday["start"], sunday["duration"]) == ("Sunday double", "10:00", "02:00")
    assert sunday["persons"] == [{"name": "Wendy Winter", "public_name": "Wendy Winter"}]
    assert conf["days"][1]["rooms"]["Studio"][0]["persons"] == []


def test_non_numeric_ids_still_get_unique_positive_integers(lgc_view: GridView) -> None:
    renamed = tuple(dataclasses.replace(s, id=f"pitch-{s.title[:5]}-{i}x") for i, s in enumerate(lgc_view.sessions))
    events = all_events(load(dataclasses.replace(lgc_view, sessions=renamed)))
    ids = [e["id"] for e in events]
    assert all(isinstance(i, int) and i >= 1 for i in ids)
    assert len(set(ids)) == len(ids)

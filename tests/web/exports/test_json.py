"""Open-data JSON: the grid with times and hosts' display names, and the pitch list."""

from __future__ import annotations

import json

from campbot.web.exports.grid_view import GridView, PitchListItem
from campbot.web.exports.json_export import render_grid_json, render_pitches_json


def test_grid_json_structure(lgc_view: GridView) -> None:
    data = json.loads(render_grid_json(lgc_view))
    assert data["schema"] == "campbot.grid/1"
    assert data["event"] == {
        "name": "LocalGovCamp 2026",
        "slug": "lgc26",
        "timezone": "Europe/London",
        "hashtag": "#LGC26",
    }
    assert data["version"] == 2
    assert data["published_at"] == "2026-06-20T09:30:00+01:00"
    assert [r["name"] for r in data["rooms"]][:2] == ["Main Hall", "Room 2"]
    assert [s["id"] for s in data["slots"]] == ["s1", "s2", "s3", "s4", "s5"]  # sorted by time
    assert data["slots"][0] == {
        "id": "s1",
        "day": "2026-06-20",
        "number": 1,
        "start": "2026-06-20T10:00:00+01:00",
        "end": "2026-06-20T10:55:00+01:00",
        "block": "Morning",
    }
    assert len(data["sessions"]) == 22
    p7 = next(s for s in data["sessions"] if s["id"] == "p7")
    assert p7["room"] == "Room 2" and p7["slot_ids"] == ["s4", "s5"] and p7["double"] is True
    assert (p7["start"], p7["end"]) == ("2026-06-20T14:00:00+01:00", "2026-06-20T16:00:00+01:00")
    assert p7["hosts"] == ["Gill Porter", "Hassan Ali"]
    assert p7["needs"][0] == {"id": "step_free", "label": "Step-free access"}
    assert data["changelog"] == list(lgc_view.changelog)


def test_grid_json_keeps_user_text_verbatim(lgc_view: GridView) -> None:
    text = render_grid_json(lgc_view)
    data = json.loads(text)
    titles = {s["title"] for s in data["sessions"]}
    assert "<script>alert(1)</script>" in titles
    assert "Café culture ☕ and informal networks" in titles
    assert "Café" in text  # readable UTF-8, not \u escapes


def test_grid_json_has_no_personal_data_beyond_display_names(lgc_view: GridView) -> None:
    data = json.loads(render_grid_json(lgc_view))
    session_keys = set().union(*(s.keys() for s in data["sessions"]))
    assert not {k for k in session_keys if "user" in k or "slack" in k or "email" in k or "voter" in k}


def test_dst_offsets_change_between_days(dst_view: GridView) -> None:
    data = json.loads(render_grid_json(dst_view))
    assert [s["start"][-6:] for s in data["slots"]] == ["+01:00", "+01:00", "+00:00", "+00:00"]
    assert [s["number"] for s in data["slots"]] == [1, 2, 1, 2]


def test_pitches_json(pitches: list[PitchListItem]) -> None:
    data = json.loads(render_pitches_json(pitches))
    assert data["schema"] == "campbot.pitches/1"
    assert [p["id"] for p in data["pitches"]] == ["p1", "p3", "p5", "p30"]
    assert data["pitches"][3] == {
        "id": "p30",
        "title": "Merged away",
        "hosts": ["Old Host", "Second Host"],
        "format": "workshop",
        "tags": [],
        "interested": 0,
        "status": "merged",
    }
    assert json.loads(render_pitches_json([])) == {"schema": "campbot.pitches/1", "pitches": []}

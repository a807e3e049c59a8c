"""The GovCamp session-sheet CSV: exact header, one row per room and slot, sheet order."""

from __future__ import annotations

import csv
import dataclasses
import io

from campbot.web.exports.csv_export import render_grid_csv, render_pitches_csv
from campbot.web.exports.grid_view import GridView, PitchListItem

HEADER = "Year,Time,Session,Room,Capacity,Title,Leader1,Leader2,Leader3,Leader 4,Session notes,Hashtag"


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_is_exactly_the_session_sheet(lgc_view: GridView) -> None:
    text = render_grid_csv(lgc_view)
    assert text.splitlines()[0] == HEADER
    assert text.endswith("\r\n")


def test_one_row_per_room_and_slot_with_a_session(lgc_view: GridView) -> None:
    data = rows(render_grid_csv(lgc_view))[1:]
    # 22 sessions, one of them a double: 23 rows.
    assert len(lgc_view.sessions) == 22
    assert len(data) == 23
    assert all(len(r) == 12 for r in data)
    double = [r for r in data if r[5] == "Build a service map together (double session)"]
    assert [(r[1], r[2], r[3]) for r in double] == [("14:00", "4", "Room 2"), ("15:05", "5", "Room 2")]


def test_rows_are_in_time_then_room_order_with_local_times(lgc_view: GridView) -> None:
    data = rows(render_grid_csv(lgc_view))[1:]
    room_order = [r.name for r in lgc_view.rooms]
    keys = [(int(r[2]), room_order.index(r[3])) for r in data]
    assert keys == sorted(keys)
    # Slots are 10:00 BST (09:00 UTC): the sheet shows the event's wall-clock time.
    assert [r[1] for r in data if r[2] == "1"] == ["10:00"] * 6
    assert {r[0] for r in data} == {"2026"}
    first = data[0]
    assert first[:6] == ["2026", "10:00", "1", "Main Hall", "120", "What does good digital inclusion look like?"]


def test_session_numbers_restart_each_day(dst_view: GridView) -> None:
    data = rows(render_grid_csv(dst_view))[1:]
    assert [(r[1], r[2], r[3]) for r in data] == [
        ("10:00", "1", "Hall"),
        ("11:05", "2", "Studio"),
        ("10:00", "1", "Hall"),
        ("10:00", "1", "Studio"),
        ("11:05", "2", "Hall"),
    ]


def test_leaders_notes_and_hashtags(lgc_view: GridView) -> None:
    data = {r[5]: r for r in rows(render_grid_csv(lgc_view))[1:]}
    five = data["Co-designing services with residents"]
    assert five[6:10] == ["Asha Patel", "Ben O'Brien", "Chloé Dubois", "Dev Sharma"]  # the fifth is dropped
    assert five[10] == "https://notes.example.org/lgc26/p8-co-designing-services-with-residents"
    assert five[11] == "#LGC26 #LGC26_p8"
    assert data["Data standards for planning"][6:10] == ["Priya Shah", "Tom Reed", "", ""]
    no_pattern = rows(render_grid_csv(dataclasses.replace(lgc_view, notes_url_pattern="")))[1:]
    assert {r[10] for r in no_pattern} == {""}


def test_user_text_round_trips_and_formulas_are_defused(lgc_view: GridView) -> None:
    titles = [r[5] for r in rows(render_grid_csv(lgc_view))[1:]]
    assert "<script>alert(1)</script>" in titles
    assert 'Tea & "biscuits": a <b>bold</b> claim' in titles
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert not any(t.startswith(("=", "+", "@")) for t in titles)


def test_pitches_csv(pitches: list[PitchListItem]) -> None:
    data = rows(render_pitches_csv(pitches))
    assert data[0] == ["Id", "Title", "Hosts", "Format", "Tags", "Interested", "Status"]
    assert data[2][1] == "<script>alert(1)</script>"
    assert data[3][1].startswith("'=")
    assert data[3][4] == "a,b"
    assert data[4][2] == "Old Host; Second Host"
    assert len(data) == 1 + len(pitches)

"""The shared helpers every format relies on: ordering, day numbering, links, tags."""

from __future__ import annotations

import dataclasses

import pytest

from campbot.web.exports.grid_view import (
    GridView,
    ViewSession,
    event_tag,
    hashtags,
    join_names,
    notes_url,
    placements,
    slot_numbers,
    slugify,
)


def test_slots_are_numbered_per_day_in_time_order(lgc_view: GridView, dst_view: GridView) -> None:
    assert slot_numbers(lgc_view) == {"s1": 1, "s2": 2, "s3": 3, "s4": 4, "s5": 5}
    assert slot_numbers(dst_view) == {"d1s1": 1, "d1s2": 2, "d2s1": 1, "d2s2": 2}


def test_placements_resolve_rooms_and_order_by_time_then_room(lgc_view: GridView) -> None:
    items = placements(lgc_view)
    assert len(items) == len(lgc_view.sessions)
    starts = [(p.start, [r.id for r in lgc_view.rooms].index(p.room.id)) for p in items]
    assert starts == sorted(starts)
    double = next(p for p in items if p.session.id == "p7")
    assert double.is_double and [s.id for s in double.slots] == ["s4", "s5"]
    assert (double.start.hour, double.end.hour) == (14, 16)


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (ViewSession("px", "Lost", "r99", ("s1",)), "unknown room"),
        (ViewSession("px", "Lost", "r1", ("s99",)), "unknown slot"),
        (ViewSession("px", "Lost", "r1", ()), "no slot"),
    ],
)
def test_a_session_pointing_nowhere_is_a_clear_error(lgc_view: GridView, session: ViewSession, message: str) -> None:
    broken = dataclasses.replace(lgc_view, sessions=(*lgc_view.sessions, session))
    with pytest.raises(ValueError, match=message):
        placements(broken)


def test_notes_url_fills_every_placeholder_and_keeps_unknown_ones(lgc_view: GridView) -> None:
    view = dataclasses.replace(lgc_view, notes_url_pattern="https://n.example/{session}/{slug}/{slot}/{room}/{oops}")
    p12 = next(p for p in placements(view) if p.session.id == "p12")
    assert notes_url(view, p12) == "https://n.example/p12/cafe-culture-and-informal-networks/s2/r7/{oops}"
    assert notes_url(dataclasses.replace(view, notes_url_pattern=""), p12) == ""


def test_slugify_is_ascii_and_tidy() -> None:
    assert slugify("Café & culture!  ☕") == "cafe-culture"
    assert slugify("<script>alert(1)</script>") == "script-alert-1-script"
    assert slugify("!!!") == ""


def test_hashtags_are_event_plus_stable_session_tag(lgc_view: GridView, dst_view: GridView) -> None:
    p12 = next(s for s in lgc_view.sessions if s.id == "p12")
    assert hashtags(lgc_view, p12) == "#LGC26 #LGC26_p12"
    assert event_tag(dst_view) == "#AutumnCamp"  # the "#" is added when the organiser left it off
    assert hashtags(dataclasses.replace(lgc_view, hashtag=""), p12) == ""


def test_join_names_reads_naturally() -> None:
    assert join_names([]) == ""
    assert join_names(["A"]) == "A"
    assert join_names(["A", "B", "C"]) == "A, B and C"

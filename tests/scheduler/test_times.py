"""Times in reasons are the event's local clock (issue 13, point 2): never a slot key, never UTC."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.problem_file import parse_problem
from scheduler.solve import SolveConfig, solve
from tests.scheduler.helpers import raw, session


def _clash_at(start: str, end: str, timezone: str = "Europe/London") -> str:
    """The explanation of two pins on one cell whose slot runs start..end."""
    data: dict[str, Any] = raw(rooms=1, slots=1, sessions=2)
    data["event"]["timezone"] = timezone
    data["slots"][0].update(start=start, end=end)
    for sid in ("p1", "p2"):
        session(data, sid)["pin"] = {"room": "r1", "slot": "t1"}
    sol = solve(parse_problem(data), SolveConfig(time_limit=1.0, workers=1))
    assert sol.status == "INFEASIBLE"
    return " ".join(sol.explanation)


@pytest.mark.parametrize(("start", "end", "shown"), [
    # a British summer (BST, UTC+1) date, given in UTC as the bot used to: shown an hour later
    ("2026-06-20T09:00:00+00:00", "2026-06-20T09:45:00+00:00", "10:00–10:45"),
    # the same date given in local time with its offset, as the shared problem files do
    ("2026-06-20T10:00:00+01:00", "2026-06-20T10:45:00+01:00", "10:00–10:45"),
    # a winter (GMT, UTC+0) date: local time is UTC
    ("2026-01-17T09:00:00+00:00", "2026-01-17T09:45:00+00:00", "09:00–09:45"),
    ("2026-01-17T09:00:00Z", "2026-01-17T09:45:00Z", "09:00–09:45"),
])
def test_reason_times_are_local_on_bst_and_gmt_dates(start: str, end: str, shown: str) -> None:
    text = _clash_at(start, end)
    assert f"at {shown}" in text
    assert "t1" not in text and "+00:00" not in text


def test_an_unknown_time_zone_keeps_the_slots_own_offsets() -> None:
    text = _clash_at("2026-06-20T10:00:00+01:00", "2026-06-20T10:45:00+01:00", timezone="Mars/Olympus_Mons")
    assert "at 10:00–10:45" in text


def test_weekday_shown_when_the_event_spans_several_days() -> None:
    data: dict[str, Any] = raw(rooms=1, slots=2, sessions=3, votes={"u1": ["p1"], "u2": ["p2"]})
    data["slots"][1].update(start="2026-06-21T10:00:00+01:00", end="2026-06-21T10:45:00+01:00", block="d2")
    session(data, "p3")["unavailable"] = ["t1"]
    session(data, "p3")["hosts"] = ["h2"]
    sol = solve(parse_problem(data), SolveConfig(time_limit=1.0, workers=1))
    assert {p.session: p.slot for p in sol.placements} == {"p1": "t1", "p2": "t2"}
    (left,) = sol.unscheduled
    assert left.session == "p3" and "`/camp pin p3 r1 Sun 10:00`" in left.reason  # 2026-06-21 is a Sunday

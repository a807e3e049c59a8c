"""One tiny model per hard rule: a case that can be met, and one that cannot.

Each solution is also run through the independent validator and check.py, so a rule broken by
the model would fail twice over.
"""

from __future__ import annotations

from typing import Any

from scheduler.problem import Solution
from scheduler.problem_file import parse_problem
from scheduler.solve import SolveConfig, solve
from scheduler.validate import violations
from tests.scheduler.helpers import check, raw, session

FAST = SolveConfig(time_limit=2.0, seed=1, workers=1)


def run(data: dict[str, Any]) -> Solution:
    p = parse_problem(data)
    sol = solve(p, FAST)
    if sol.status != "INFEASIBLE":
        assert violations(p, sol.placements) == []
        report = check(data, sol)
        assert report["violations"] == []
        assert report["left_out_with_room"] == []
        assert report["unaccounted"] == []
    return sol


def cells(sol: Solution) -> dict[str, tuple[str, str]]:
    return {p.session: (p.room, p.slot) for p in sol.placements}


def test_one_session_per_room_and_slot() -> None:
    sol = run(raw(rooms=1, slots=1, sessions=2, votes={"u1": ["p1"], "u2": ["p1"], "u3": ["p2"]}))
    assert cells(sol) == {"p1": ("r1", "t1")}
    assert [u.session for u in sol.unscheduled] == ["p2"]
    assert "taken" in sol.unscheduled[0].reason
    sol = run(raw(rooms=2, slots=1, sessions=2))
    assert len(sol.placements) == 2


def test_session_at_most_once_and_voters_attend_one_at_a_time() -> None:
    # two sessions wanted by the same voter go to different slots
    sol = run(raw(rooms=2, slots=2, sessions=2, votes={"u1": ["p1", "p2"]}))
    assert len({slot for _, slot in cells(sol).values()}) == 2
    assert sol.metrics.coverage == 100.0
    assert sol.status == "OPTIMAL"


def test_double_takes_two_slots_of_one_block_in_one_room() -> None:
    data = raw(rooms=1, slots=3, sessions=1)
    data["slots"][0]["block"] = "am"
    for s in data["slots"][1:]:
        s["block"] = "pm"
    session(data, "p1")["length"] = 2
    sol = run(data)
    assert cells(sol) == {"p1": ("r1", "t2")}
    # a double cannot straddle the break: with one slot per block it cannot run
    data = raw(rooms=1, slots=2, sessions=1)
    data["slots"][1]["block"] = "pm"
    session(data, "p1")["length"] = 2
    sol = run(data)
    assert sol.placements == ()
    assert "in a row" in sol.unscheduled[0].reason


def test_double_blocks_the_room_for_both_slots() -> None:
    data = raw(rooms=1, slots=2, sessions=2, votes={"u1": ["p1"], "u2": ["p1"], "u3": ["p2"]})
    session(data, "p1")["length"] = 2
    sol = run(data)
    assert cells(sol) == {"p1": ("r1", "t1")}


def test_room_features() -> None:
    data = raw(rooms=2, slots=1, sessions=1)
    data["rooms"][1]["features"] = ["step_free"]
    session(data, "p1")["needs"] = ["step_free"]
    assert cells(run(data)) == {"p1": ("r2", "t1")}
    # a need no room meets leaves that one pitch out, with its reason and the fix; the rest runs
    data = raw(rooms=2, slots=1, sessions=2)
    session(data, "p1").update(title="Wheelchair basketball", needs=["step_free"])
    sol = run(data)
    assert sol.status in ("OPTIMAL", "FEASIBLE") and cells(sol) == {"p2": ("r1", "t1")}
    (out,) = sol.unscheduled
    assert out.session == "p1" and "step-free" in out.reason and "no room has" in out.reason
    assert "drop that need" in out.reason


def test_features_counted_per_slot() -> None:
    # two sessions need the single projector room: they must go to different slots
    data = raw(rooms=2, slots=2, sessions=2)
    data["rooms"][0]["features"] = ["projector"]
    for sid in ("p1", "p2"):
        session(data, sid)["needs"] = ["projector"]
    sol = run(data)
    assert {c for c in cells(sol).values()} == {("r1", "t1"), ("r1", "t2")}


def test_closed_room() -> None:
    data = raw(rooms=2, slots=1, sessions=2)
    data["rooms"][0]["unavailable"] = ["t1"]
    sol = run(data)
    assert len(sol.placements) == 1 and sol.placements[0].room == "r2"


def test_no_host_in_two_places() -> None:
    data = raw(rooms=2, slots=2, sessions=2)
    session(data, "p2")["hosts"] = ["h1"]
    sol = run(data)
    assert len({slot for _, slot in cells(sol).values()}) == 2
    data = raw(rooms=2, slots=1, sessions=2)
    session(data, "p2")["hosts"] = ["h9", "h1"]
    sol = run(data)
    assert len(sol.placements) == 1
    assert "host" in sol.unscheduled[0].reason


def test_hosts_unavailable() -> None:
    data = raw(rooms=1, slots=2, sessions=1)
    session(data, "p1")["unavailable"] = ["t1"]
    assert cells(run(data)) == {"p1": ("r1", "t2")}
    session(data, "p1")["unavailable"] = ["t1", "t2"]
    sol = run(data)
    assert sol.status in ("OPTIMAL", "FEASIBLE")
    assert sol.placements == () and "cannot make any slot" in sol.unscheduled[0].reason


def test_pins_kept() -> None:
    data = raw(rooms=2, slots=2, sessions=2)
    session(data, "p1")["pin"] = {"room": "r2", "slot": "t2"}
    session(data, "p2")["pin"] = {"slot": "t2"}
    sol = run(data)
    assert cells(sol) == {"p1": ("r2", "t2"), "p2": ("r1", "t2")}


def test_two_pins_on_one_cell_is_infeasible_and_explained() -> None:
    data = raw(rooms=2, slots=4, sessions=8)
    session(data, "p3")["pin"] = {"room": "r2", "slot": "t4"}
    session(data, "p8")["pin"] = {"room": "r2", "slot": "t4"}
    sol = run(data)
    assert sol.status == "INFEASIBLE" and sol.placements == ()
    text = " ".join(sol.explanation)
    assert "p3" in text and "p8" in text and "r2" in text and "13:00–13:45" in text and "pinned" in text
    assert "t4" not in text  # organisers read clock times, not slot keys


def test_pins_that_only_the_solver_can_refute_are_explained() -> None:
    # three sessions pinned to one slot with two rooms: no single pair shares a cell
    data = raw(rooms=2, slots=2, sessions=3)
    for sid in ("p1", "p2", "p3"):
        session(data, sid)["pin"] = {"slot": "t1"}
    sol = run(data)
    assert sol.status == "INFEASIBLE"
    text = " ".join(sol.explanation)
    assert "p1" in text and "p2" in text and "p3" in text


def test_pin_to_room_without_the_need_is_infeasible() -> None:
    data = raw(rooms=2, slots=1, sessions=1)
    data["rooms"][0]["features"] = ["projector"]
    session(data, "p1").update(needs=["projector"], pin={"room": "r2"})
    sol = run(data)
    assert sol.status == "INFEASIBLE"
    assert "has no projector" in " ".join(sol.explanation)


def test_frozen_slots_exactly_as_published() -> None:
    data = raw(rooms=2, slots=2, sessions=4, votes={"u1": ["p3", "p4"], "u2": ["p3"]})
    data["previous"] = {"p1": {"room": "r2", "slot": "t1"}}
    data["frozen"] = ["t1"]
    sol = run(data)
    got = cells(sol)
    assert got["p1"] == ("r2", "t1")
    assert all(slot != "t1" for sid, (_, slot) in got.items() if sid != "p1")


def test_frozen_session_whose_room_closed_is_infeasible() -> None:
    data = raw(rooms=2, slots=2, sessions=1)
    data["rooms"][1]["unavailable"] = ["t1"]
    data["previous"] = {"p1": {"room": "r2", "slot": "t1"}}
    data["frozen"] = ["t1"]
    sol = run(data)
    assert sol.status == "INFEASIBLE"
    assert "p1" in " ".join(sol.explanation)


def test_replan_moves_only_what_is_forced() -> None:
    data = raw(rooms=2, slots=3, sessions=4, votes={"u1": ["p1", "p2", "p3"], "u2": ["p4", "p1"]})
    data["previous"] = {"p1": {"room": "r1", "slot": "t1"}, "p2": {"room": "r1", "slot": "t2"},
                        "p3": {"room": "r2", "slot": "t3"}}
    data["rooms"][1]["unavailable"] = ["t3"]  # r2 lost at t3: p3 must move
    data["frozen"] = ["t1"]
    sol = run(data)
    assert sol.metrics.moves == 1
    got = cells(sol)
    assert got["p1"] == ("r1", "t1") and got["p2"] == ("r1", "t2") and got["p3"] != ("r2", "t3")
    assert "p4" in got  # the late pitch goes where a cell is free


def test_every_pitch_that_can_run_runs() -> None:
    # nobody voted for p2 and p3, but free cells exist: they run
    sol = run(raw(rooms=2, slots=2, sessions=3, votes={"u1": ["p1"]}))
    assert sol.metrics.scheduled == 3 and sol.unscheduled == ()

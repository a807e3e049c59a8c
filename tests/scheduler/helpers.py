"""Small problems built in code, the project's own instances, and the referees of a solution.

The tests stand alone: instances live in bench/instances, and every solution is judged by the
project's own validator and figures (scheduler.validate.report). When CAMPBOT_REFERENCE_CHECK
names an independent reference checker (CI sets it), it judges every solution too, as an extra
referee that must agree; without it nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from scheduler.problem import Problem, Solution
from scheduler.problem_file import load_problem, parse_problem
from scheduler.solution_file import solution_to_dict
from scheduler.validate import report

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "instances"
INSTANCES = ["localgovcamp", "ukgovcamp", "minnebar", "mega", "ukgovcamp-replan"]
_NAMED = os.environ.get("CAMPBOT_REFERENCE_CHECK", "")
REFERENCE_CHECK = Path(_NAMED) if _NAMED else None


@lru_cache(maxsize=1)
def reference_check() -> ModuleType | None:
    """The independent checker, when CI names one; None in a clone of the project alone."""
    if REFERENCE_CHECK is None or not REFERENCE_CHECK.is_file():
        return None
    spec = importlib.util.spec_from_file_location("campbot_reference_check", REFERENCE_CHECK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def instance(name: str) -> tuple[dict[str, Any], Problem]:
    """A shared instance as raw JSON and as a Problem (the project's copy)."""
    path = BENCH / f"{name}.json"
    return json.loads(path.read_text()), load_problem(path)


def raw(rooms: int = 2, slots: int = 2, sessions: int = 2, **extra: Any) -> dict[str, Any]:
    """A valid problem dict: rooms r1.., slots t1.. (one block), sessions p1.. hosted by h1.."""
    data: dict[str, Any] = {
        "format": "campbot.problem/1",
        "event": {"name": "test", "timezone": "Europe/London"},
        "rooms": [{"id": f"r{i}", "name": f"Room {i}", "capacity": 10 * i, "features": []}
                  for i in range(1, rooms + 1)],
        "slots": [{"id": f"t{i}", "start": f"2026-06-20T{9 + i:02d}:00:00+01:00",
                   "end": f"2026-06-20T{9 + i:02d}:45:00+01:00", "block": "am"} for i in range(1, slots + 1)],
        "sessions": [{"id": f"p{i}", "title": f"Talk {i}", "hosts": [f"h{i}"], "length": 1}
                     for i in range(1, sessions + 1)],
        "votes": {},
    }
    data.update(extra)
    return data


FEATURES = ["projector", "step_free", "quiet"]


def draw_session(draw: st.DrawFn, i: int, hosts: list[str], slot_ids: list[str], max_needs: int) -> dict[str, Any]:
    """A random session p{i} for the hypothesis camps: one or two hosts, mostly single-slot."""
    return {
        "id": f"p{i}", "title": f"Talk {i}",
        "hosts": draw(st.lists(st.sampled_from(hosts), unique=True, min_size=1, max_size=2)),
        "length": min(len(slot_ids), draw(st.sampled_from([1, 1, 1, 2]))),
        "needs": draw(st.lists(st.sampled_from(FEATURES), unique=True, max_size=max_needs)),
        "unavailable": draw(st.lists(st.sampled_from(slot_ids), unique=True, max_size=2)),
    }


def problem(**kw: Any) -> Problem:
    return parse_problem(raw(**kw))


def session(data: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in data["sessions"] if s["id"] == sid)


def judge(problem_dict: dict[str, Any], placements: list[dict[str, Any]],
          unscheduled: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Our report on a grid given as JSON placements; the reference checker, when present, must
    report the same violations and figures."""
    from scheduler.problem import Placement

    p = parse_problem(problem_dict)
    mine = report(p, [Placement(x["session"], x["room"], x["slot"]) for x in placements],
                  [u["session"] for u in unscheduled or []])
    ref = reference_check()
    if ref is not None:
        theirs = ref.check(problem_dict, {"placements": placements, "unscheduled": unscheduled or []})
        # same broken rules (the wording of a kept pin differs slightly, so count them)
        assert len(theirs["violations"]) == len(mine["violations"]), (theirs["violations"], mine["violations"])
        for key in ("coverage", "seats_short", "moves", "scheduled", "left_out_with_room", "unaccounted"):
            assert theirs[key] == mine[key], (key, theirs[key], mine[key])
    return mine


def check(problem_dict: dict[str, Any], solution: Solution) -> dict[str, Any]:
    """The referees' report on a solution (see judge); its figures must be the solution's own."""
    data = solution_to_dict(solution)
    result = judge(problem_dict, data["placements"], data["unscheduled"])
    if solution.status in ("OPTIMAL", "FEASIBLE"):
        assert (result["coverage"], result["seats_short"], result["moves"]) == (
            solution.metrics.coverage, solution.metrics.seats_short, solution.metrics.moves)
    return result

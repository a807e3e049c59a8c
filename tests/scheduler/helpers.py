"""Small problems built in code, and the reference checker loaded by path."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from scheduler.problem import Problem, Solution, parse_problem, solution_to_dict

BENCH = Path(os.environ.get("CAMPBOT_BENCH_DIR", Path(__file__).resolve().parents[3] / "shared" / "bench"))
INSTANCES = ["localgovcamp", "ukgovcamp", "minnebar", "mega", "ukgovcamp-replan"]


def load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("campbot_reference_check", BENCH / "check.py")
    assert spec and spec.loader, f"reference checker not found at {BENCH / 'check.py'}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def problem(**kw: Any) -> Problem:
    return parse_problem(raw(**kw))


def session(data: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in data["sessions"] if s["id"] == sid)


def check(problem_dict: dict[str, Any], solution: Solution) -> dict[str, Any]:
    result: dict[str, Any] = load_check().check(problem_dict, solution_to_dict(solution))
    return result

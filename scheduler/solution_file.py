"""Reading and writing a solution file (campbot.solution/1)."""

from __future__ import annotations

import json
from typing import Any

from scheduler.problem import SOLUTION_FORMAT, STATUSES, Metrics, Placement, ProblemError, Solution, Unscheduled
from scheduler.problem_file import _dict, _list, _str


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """The campbot.solution/1 form; metrics also carry scheduled and left_out_with_room."""
    m = solution.metrics
    return {
        "format": SOLUTION_FORMAT,
        "status": solution.status,
        "seconds": round(solution.seconds, 3),
        "placements": [{"session": p.session, "room": p.room, "slot": p.slot} for p in solution.placements],
        "unscheduled": [{"session": u.session, "reason": u.reason} for u in solution.unscheduled],
        "metrics": {"coverage": m.coverage, "seats_short": m.seats_short, "moves": m.moves,
                    "scheduled": m.scheduled, "left_out_with_room": list(m.left_out_with_room)},
        "bound": solution.bound,
        "explanation": list(solution.explanation),
    }


def dump_solution(solution: Solution) -> str:
    return json.dumps(solution_to_dict(solution), indent=1, ensure_ascii=False)


def parse_solution(data: Any) -> Solution:
    """Read a campbot.solution/1 object (as written by solution_to_dict or another solver)."""
    data = _dict(data, "solution")
    if data.get("format") != SOLUTION_FORMAT:
        raise ProblemError(f"format: expected '{SOLUTION_FORMAT}', got {data.get('format')!r}")
    status = data.get("status")
    if status not in STATUSES:
        raise ProblemError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    placements = []
    for i, p in enumerate(_list(data.get("placements") or [], "placements")):
        p = _dict(p, f"placements[{i}]")
        placements.append(Placement(session=_str(p.get("session"), f"placements[{i}].session"),
                                    room=_str(p.get("room"), f"placements[{i}].room"),
                                    slot=_str(p.get("slot"), f"placements[{i}].slot")))
    unscheduled = []
    for i, u in enumerate(_list(data.get("unscheduled") or [], "unscheduled")):
        u = _dict(u, f"unscheduled[{i}]")
        unscheduled.append(Unscheduled(session=_str(u.get("session"), f"unscheduled[{i}].session"),
                                       reason=str(u.get("reason", ""))))
    m = _dict(data.get("metrics") or {}, "metrics")
    metrics = Metrics(coverage=float(m.get("coverage", 0.0)), seats_short=float(m.get("seats_short", 0.0)),
                      moves=int(m.get("moves", 0)), scheduled=int(m.get("scheduled", len(placements))),
                      left_out_with_room=tuple(m.get("left_out_with_room") or ()))
    bound = data.get("bound")
    return Solution(status=status, seconds=float(data.get("seconds", 0.0)), placements=tuple(placements),
                    unscheduled=tuple(unscheduled), metrics=metrics,
                    bound=float(bound) if bound is not None else None,
                    explanation=tuple(str(e) for e in data.get("explanation") or ()))

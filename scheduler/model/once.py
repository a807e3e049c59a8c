"""A session runs at most once; sessions that must run (pinned, frozen as published) run.

At most once is `placed == sum(options)` with `placed` boolean (variables.py). Here we add the
must-run sessions: an organiser's pin is a promise, and a session in a frozen slot has started.
The returned literals are the assumptions used to explain an infeasible set-up.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.model.variables import Variables


def must_run(v: Variables) -> list[int]:
    """Sessions the grid has to contain: pinned ones and the frozen part of the published grid."""
    return [s for s, sess in enumerate(v.geo.sessions) if sess.pin is not None or s in v.geo.fixed]


def add(v: Variables, assumptions: dict[int, cp_model.IntVar] | None = None) -> None:
    """Require every must-run session; with `assumptions`, through one assumption literal each
    (only for explaining an infeasible set-up: assumptions weaken CP-SAT's presolve)."""
    for s in must_run(v):
        if assumptions is None:
            if s in v.placed:
                v.model.add(v.placed[s] == 1)
            else:
                v.model.add_bool_or([])
            continue
        lit = v.model.new_bool_var(f"must_{v.geo.sessions[s].id}")
        if s in v.placed:
            v.model.add_implication(lit, v.placed[s])
        else:
            v.model.add_bool_or([lit.negated()])
        assumptions[s] = lit

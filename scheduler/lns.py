"""Large-neighbourhood search: re-solve a few slots exactly with CP-SAT, keeping the rest.

The neighbourhood is "everything in these k slots, plus every pitch left out": CP-SAT may reshuffle
those sessions among the chosen slots (and rooms), swap left-out pitches in, and leave the rest of
the grid alone. On small grids such a sub-model is solved to optimality in a fraction of a second,
which climbs out of the local optima annealing gets stuck in (it moves one or two sessions at a time).
Each sub-solve is deterministic (fixed seed, deterministic time limit), so the search is too.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace

from ortools.sat.python import cp_model

from scheduler.cells import Geometry
from scheduler.metrics import coverage_counts
from scheduler.model import Built, build
from scheduler.model.seats import match_rooms
from scheduler.problem import Placement

Grid = dict[int, tuple[int, int]]


def _neighbourhood(geo: Geometry, grid: Grid, slots: set[int]) -> Geometry:
    """The geometry in which only sessions inside `slots` (and left-out ones) may move."""
    starts = list(geo.starts)
    fixed = dict(geo.fixed)
    for s in range(len(geo.sessions)):
        if s in geo.fixed:
            continue
        cell = grid.get(s)
        if cell is not None and not set(geo.span(s, cell[1])) <= slots:
            starts[s] = (cell,)
            fixed[s] = cell
        else:
            starts[s] = tuple((r, t) for r, t in geo.starts[s] if set(geo.span(s, t)) <= slots)
    return replace(geo, starts=tuple(starts), fixed=fixed)


def improve(geo: Geometry, grid: Grid, deadline: float, seed: int, workers: int, dtime: float,
            k: int = 2) -> Grid:
    """Cycle through groups of k slots, re-solving each exactly, until a full cycle brings nothing
    or the time runs out. Returns the best grid (rooms re-matched where the model left them open)."""
    n_slots = len(geo.slots)
    k = min(k, n_slots)
    groups = [set(c) for c in itertools.combinations(range(n_slots), k)]
    random.Random(seed).shuffle(groups)
    best = dict(grid)
    best_value: int | None = None
    stale = 0
    i = 0
    while stale < len(groups) and time.perf_counter() < deadline:
        slots = groups[i % len(groups)]
        i += 1
        sub = _neighbourhood(geo, best, slots)
        built = build(sub)
        _hint(built, best)
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = max(1, workers)
        p.interleave_search = workers > 1
        p.random_seed = seed + i
        p.max_deterministic_time = dtime
        p.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
        status = solver.solve(built.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stale += 1
            continue
        got = round(solver.objective_value)
        if best_value is None:
            best_value = value(geo, best, built)
        if got > best_value:
            new = _grid_from(sub, built, solver, best)
            if new is not None:
                best, best_value, stale = new, got, 0
                continue
        stale += 1
    return best


def _hint(built, grid: Grid) -> None:  # type: ignore[no-untyped-def]
    from scheduler.solve import _grid_to_hint

    _grid_to_hint(built, grid)


def value(geo: Geometry, grid: Grid, built: Built) -> int:
    """The model's objective for a grid, from the figures (the model's terms are exact)."""
    placements = [Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id) for s, (r, t) in grid.items()]
    served, _ = coverage_counts(geo.problem, placements)
    weights = {term.name: term.weight for term in built.terms}
    total = weights["coverage"] * served + weights["scheduled"] * len(grid)
    if "moves" in weights:
        moves = sum(1 for sid, c in geo.problem.previous.items()
                    if grid.get(geo.session_pos[sid]) != (geo.room_pos[c.room], geo.slot_pos[c.slot]))
        total += weights["moves"] * moves
    return total


def _grid_from(geo: Geometry, built, solver: cp_model.CpSolver, old: Grid) -> Grid | None:  # type: ignore[no-untyped-def]
    v = built.vars
    starts: dict[int, int] = {}
    rooms: dict[int, int] = {}
    for (s, r, t), lit in v.x.items():
        if solver.boolean_value(lit):
            starts[s], rooms[s] = t, r
    for (s, t), lit in v.y.items():
        if solver.boolean_value(lit):
            starts[s] = t
    allowed = {s: ([rooms[s]] if s in rooms else sorted({r for r, ts in geo.starts[s] if ts == t}))
               for s, t in starts.items()}
    matched = match_rooms(geo, starts, {}, allowed, rooms)
    if matched is None:
        return None
    return {s: (matched[s], t) for s, t in starts.items()}

"""Running the CP-SAT model: solver parameters that make a run reproducible, the grid handed to it
as a hint, progress reports, and reading the answer back. Apart from scheduler.solve, which
decides what to run and for how long, so that each reads on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from scheduler.model import Built, coverage
from scheduler.model.variables import Variables

Progress = Callable[[str, float], None]


class SafeProgress:
    """Forwards progress to the caller, never backwards, and never lets a broken callback (a
    closed Slack message, say) stop the solve: after one failure it goes quiet."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, message: str, fraction: float) -> None:
        with self._lock:
            if self._progress is None:
                return
            self._last = max(self._last, min(1.0, max(0.0, fraction)))
            try:
                self._progress(message, self._last)
            except Exception:
                self._progress = None


class Reporter(cp_model.CpSolverSolutionCallback):
    """Calls progress() on each improving grid, with the share of the time limit used."""

    def __init__(self, built: Built, began: float, limit: float, progress: SafeProgress) -> None:
        super().__init__()
        self._built, self._began, self._limit, self._progress = built, began, limit, progress

    def on_solution_callback(self) -> None:
        served = sum(self.value(t.expr) for t in self._built.terms if t.name == "coverage")
        pct = 100 * served / max(1, self._built.perfect)
        frac = min(0.95, (time.perf_counter() - self._began) / max(1e-9, self._limit))
        self._progress(f"found a grid: coverage {pct:.1f}%", frac)


def add_hints(built: Built, grid: dict[int, tuple[int, int]]) -> None:
    """Hint every decision literal from a full, valid grid, so CP-SAT starts from it at once."""
    v = built.vars
    chosen: dict[tuple[int, int, int], int] = {}
    chosen_y: dict[tuple[int, int], int] = {}
    for s, (r, t) in grid.items():
        if (s, r, t) in v.x:
            chosen[s, r, t] = 1
        elif (s, t) in v.y:
            chosen_y[s, t] = 1
    for key, lit in v.x.items():
        v.model.add_hint(lit, chosen.get(key, 0))
    for key_y, lit in v.y.items():
        v.model.add_hint(lit, chosen_y.get(key_y, 0))
    for s, lit in v.placed.items():
        v.model.add_hint(lit, 1 if s in grid else 0)
    for (s, t), lit in v.at.items():
        if lit.name.startswith("at_"):
            v.model.add_hint(lit, s in grid and t in v.geo.span(s, grid[s][1]))
    for (s, t), lit in v.start.items():
        if lit.name.startswith("start_"):
            v.model.add_hint(lit, s in grid and grid[s][1] == t)
    coverage.hint(v, built.attends, grid)


def set_params(solver: cp_model.CpSolver, *, workers: int, seed: int, wall: float, planned: float) -> None:
    """Reproducible by construction: a fixed seed, interleaved workers and a deterministic budget."""
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, wall)
    p.num_workers = max(1, workers)
    p.random_seed = seed
    # Interleaved search runs the workers' steps in a fixed order, which (with a deterministic
    # budget) makes the same seed and worker count give the same grid.
    p.interleave_search = True
    p.max_deterministic_time = planned * DTIME_PER_SECOND
    p.log_search_progress = False


# CP-SAT stops on deterministic time (work done, not seconds), so a seed gives one grid. It spends
# between 0.25 (tiny and huge models) and 1.3 (mid-sized) units per second with 2 workers on the
# bench machine; budgeting well under the lowest rate means the clock almost never decides where it
# stops. (The annealing before it does most of the work, so little is lost.)
# The wall-clock limit stays as the guard for a slow or busy machine.
DTIME_PER_SECOND = 0.15
def extract(v: Variables, solver: cp_model.CpSolver) -> tuple[dict[int, int], dict[int, int]]:
    """(start slot per placed session, room where the model fixed one)."""
    starts: dict[int, int] = {}
    rooms: dict[int, int] = {}
    for (s, r, t), lit in v.x.items():
        if solver.boolean_value(lit):
            starts[s] = t
            rooms[s] = r
    for (s, t), lit in v.y.items():
        if solver.boolean_value(lit):
            starts[s] = t
    return starts, rooms

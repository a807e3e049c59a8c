"""solve(problem, config) -> Solution: the whole pipeline, inside the time limit.

1. static checks: set-ups that cannot work (a need no room meets, clashing pins) are explained
   at once, without a solver;
2. a by-hand grid (baseline.py) in milliseconds, then simulated annealing from it (search.py),
   which does most of the work: it is sized in moves, not seconds, so a seed gives one grid;
3. the slot-first CP-SAT model (model/), hinted with the annealed grid, polishes
   moves-then-coverage-then-grid-size and proves a bound, on a deterministic-time budget;
4. rooms are matched to the chosen slots minimising seats short (model/seats.py);
5. the fill pass puts any pitch that still fits into a free cell;
6. figures, reasons for every left-out pitch, and the bound.

The limit covers the whole call: the plan splits it between the steps from size estimates, and
keeps a reserve for steps 4-6.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from scheduler.anneal import anneal, anneal_moves, anneal_room_for_everyone, anneal_runs, move_cost
from scheduler.baseline import baseline_grid, popularity
from scheduler.bound import coverage_bound
from scheduler.cells import Geometry, geometry, voter_sets
from scheduler.cpsat import Progress, Reporter, SafeProgress, add_hints, extract, set_params
from scheduler.explain import core_sentence, left_out_reasons, static_conflicts
from scheduler.fill import fill
from scheduler.metrics import demand, measure
from scheduler.model import build
from scheduler.model.seats import match_rooms
from scheduler.problem import Metrics, Placement, Problem, Solution, Unscheduled
from scheduler.validate import violations

OBJECTIVES = ("coverage", "seats")


@dataclass(frozen=True)
class SolveConfig:
    """time_limit in seconds for the whole call; seed and workers make a run reproducible.

    objective: "coverage" (default) is the highest-coverage grid, with seats short kept within
    reach of the by-hand grid's; "seats" ("room for everyone") never has more seats short than the
    by-hand grid, and then as much coverage as possible.
    """

    time_limit: float = 10.0
    seed: int = 1
    workers: int = 2
    objective: str = "coverage"
    # extra seconds after the time limit for proving the coverage bound (a background run can afford
    # them; the grid does not change with them)
    bound_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.bound_seconds < math.inf:
            raise ValueError("bound_seconds must be 0 or more")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {self.objective!r}")


# The annealing is sized in moves (so that a seed gives one grid) for a share of the time limit:
# small grids gain most from CP-SAT, large ones from annealing (measured with bench/solver.py).
# SA_GUARD is the share after which it stops anyway, on a slower machine.
SA_GUARD = 0.92
# Seats short may grow to this multiple of the by-hand grid's (plus two seats) for coverage.
SEATS_SLACK = 1.45


def _anneal_share(geo: Geometry) -> float:
    return 0.8 + 0.1 * min(1.0, len(geo.sessions) / 500)

# seconds kept free at the end of the limit after proving the bound (returning, writing the file)
BOUND_MARGIN = 0.1


def _allowed_rooms(geo: Geometry, starts: dict[int, int], model_rooms: dict[int, int],
                   kept: set[int]) -> dict[int, list[int]]:
    allowed: dict[int, list[int]] = {}
    for s, t in starts.items():
        if s in kept or s in geo.fixed:
            allowed[s] = [model_rooms[s]]
        else:
            allowed[s] = sorted({r for r, ts in geo.starts[s] if ts == t})
    return allowed


def _finish(problem: Problem, geo: Geometry, grid: dict[int, tuple[int, int]], status: str, began: float,
            bound: float | None, explanation: tuple[str, ...] = ()) -> Solution:
    placements = tuple(Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id)
                       for s, (r, t) in sorted(grid.items()))
    reasons = left_out_reasons(geo, grid)
    unscheduled = tuple(Unscheduled(geo.sessions[s].id, reasons[s]) for s in sorted(reasons))
    metrics = measure(problem, placements)
    if not problem.previous:
        simple = _simple_bound(geo)
        bound = simple if bound is None else min(bound, simple)
    if bound is not None:
        bound = max(bound, metrics.coverage)
    return Solution(status=status, seconds=time.perf_counter() - began, placements=placements,
                    unscheduled=unscheduled, metrics=metrics, bound=bound, explanation=explanation)


def _infeasible(geo: Geometry, began: float, sentences: list[str]) -> Solution:
    reasons = {s: "the set-up is infeasible; see the explanation" for s in range(len(geo.sessions))}
    return Solution(status="INFEASIBLE", seconds=time.perf_counter() - began, placements=(),
                    unscheduled=tuple(Unscheduled(geo.sessions[s].id, reasons[s]) for s in reasons),
                    metrics=Metrics(coverage=0.0, seats_short=0.0, moves=len(geo.problem.previous),
                                    scheduled=0),
                    explanation=tuple(sentences))


def _explain_core(geo: Geometry, config: SolveConfig, seconds: float) -> list[str]:
    """Re-solve without objective, must-run sessions as assumptions, and name a conflicting set."""
    built = build(geo, explain=True)
    built.model.clear_objective()
    built.model.add_assumptions(list(built.assumptions.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = config.seed
    status = solver.solve(built.model)
    if status != cp_model.INFEASIBLE:
        return ["the pinned and frozen sessions cannot all be placed together"]
    core = set(solver.sufficient_assumptions_for_infeasibility())
    members = [s for s, lit in built.assumptions.items() if lit.index in core]
    if not members:
        return ["the pinned and frozen sessions cannot all be placed together"]
    return [core_sentence(geo, members)]


def _rooms_and_fill(geo: Geometry, problem: Problem, starts: dict[int, int], model_rooms: dict[int, int],
                    kept: set[int]) -> dict[int, tuple[int, int]]:
    """Match rooms (seats short), then fill free cells, repeating while the fill adds sessions."""
    wanted = {geo.session_pos[k]: float(n) for k, n in popularity(problem).items()}
    grid: dict[int, tuple[int, int]] = {}
    for _ in range(10):
        provisional = tuple(Placement(geo.sessions[s].id, geo.rooms[0].id, geo.slots[t].id)
                            for s, t in starts.items())
        crowd = {geo.session_pos[k]: c for k, c in demand(problem, provisional).items()}
        allowed = _allowed_rooms(geo, starts, model_rooms, kept)
        rooms = match_rooms(geo, starts, crowd, allowed, model_rooms)
        if rooms is None:
            if grid:  # keep the last matched grid
                break
            rooms = _greedy_rooms(geo, starts, allowed)
        grid = {s: (rooms[s], t) for s, t in starts.items() if s in rooms}
        added = fill(geo, grid, wanted)
        if not added:
            break
        starts = {s: t for s, (_, t) in grid.items()}
        model_rooms = {s: grid[s][0] for s in grid if s in model_rooms or s in added}
    return grid


def _greedy_rooms(geo: Geometry, starts: dict[int, int], allowed: dict[int, list[int]]) -> dict[int, int]:
    """A fallback matching (most constrained first); sessions it cannot seat stay out."""
    taken: set[tuple[int, int]] = set()
    rooms: dict[int, int] = {}
    for s in sorted(starts, key=lambda s: (len(allowed[s]), -geo.sessions[s].length)):
        for r in sorted(allowed[s], key=lambda r: geo.rooms[r].capacity):
            span = geo.span(s, starts[s])
            if not any((r, u) in taken for u in span):
                rooms[s] = r
                taken.update((r, u) for u in span)
                break
    return rooms


def solve(problem: Problem, config: SolveConfig = SolveConfig(), progress: Progress | None = None) -> Solution:
    """The best grid found within config.time_limit seconds (the whole call), with its figures."""
    began = time.perf_counter()
    deadline = began + config.time_limit
    report = SafeProgress(progress)
    geo = geometry(problem)
    report("checking the set-up", 0.0)
    conflicts = static_conflicts(geo, [s for s, sess in enumerate(geo.sessions)
                                       if sess.pin is not None or s in geo.fixed])
    if conflicts:
        return _infeasible(geo, began, conflicts)

    hint_grid = baseline_grid(geo)
    seats_limit = math.inf
    got = (0.0, math.inf)  # (coverage, seats short) of the annealed grid
    must = [s for s, sess in enumerate(geo.sessions) if sess.pin is not None or s in geo.fixed]
    hint_ok = all(s in hint_grid for s in must) and not violations(
        problem, [Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id) for s, (r, t) in hint_grid.items()])
    # The plan is made from estimates, never from the clock, so that the same problem, seed and
    # workers take the same steps (the clock only cuts a step short on a slow or busy machine).
    limit = config.time_limit
    reserve = min(2.0 + 0.02 * len(geo.sessions) / 10, 0.1 * limit) + 0.05
    runs = anneal_runs(geo)
    judging = (runs + 3) * _judge_estimate(geo) if hint_ok else 0.0
    seats_first = config.objective == "seats"
    # room for everyone: CP-SAT does not see seats short, so the search that does gets all the time
    share = SA_GUARD - 0.05 if seats_first else _anneal_share(geo)
    moves = min(anneal_moves(geo, share * limit - judging), 3000 * len(geo.sessions))
    sa_seconds = moves * move_cost(geo) if hint_ok else 0.0
    cp_seconds = limit - sa_seconds - judging - reserve - _build_estimate(geo)
    run_cp = not hint_ok or (cp_seconds >= max(0.5, 0.05 * limit) and not seats_first)
    by_hand_grid = dict(hint_grid)
    if hint_ok:
        if seats_first:  # the by-hand grid as the organisers would see it, not re-seated
            seats_limit = measure(problem, _placements(geo, hint_grid)).seats_short
        else:
            seats_limit = SEATS_SLACK * _judge(geo, problem, hint_grid)[1] + 2.0
        guard = began + SA_GUARD * limit - judging
        search = anneal_room_for_everyone if seats_first else anneal
        hint_grid, got = search(geo, hint_grid, moves, guard, config.seed,
                                judge=lambda grid: _judge(geo, problem, grid), seats_limit=seats_limit)
        report(f"found a grid: coverage {got[0]:.1f}%", (time.perf_counter() - began) / limit)

    if hint_ok and (not run_cp or deadline - time.perf_counter() - reserve < _build_estimate(geo) + 0.2):
        # no time to build and run the model: the annealed grid is the answer
        grid = _rooms_and_fill(geo, problem, {s: t for s, (_, t) in hint_grid.items()},
                               {s: r for s, (r, _) in hint_grid.items()}, _kept(geo, hint_grid))
        sol = _finish(problem, geo, grid, "FEASIBLE", began, None)
        if seats_first:
            sol = _room_for_everyone(problem, geo, sol, by_hand_grid, seats_limit, began)
        sol = _prove_bound(geo, sol, deadline, began, config.bound_seconds)
        report(f"done: coverage {sol.metrics.coverage:.1f}%", 1.0)
        return sol
    built = build(geo)
    v = built.vars
    if hint_ok:
        add_hints(built, hint_grid)
    report("improving the grid", (time.perf_counter() - began) / limit)

    solver = cp_model.CpSolver()
    set_params(solver, workers=config.workers, seed=config.seed, wall=deadline - time.perf_counter() - reserve,
               planned=max(0.05, cp_seconds))
    status = solver.solve(built.model, Reporter(built, began, limit, report))

    if status == cp_model.INFEASIBLE:
        left = max(0.2, deadline - time.perf_counter() - 0.1)
        return _infeasible(geo, began, _explain_core(geo, config, left))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts, model_rooms = extract(v, solver)
        kept = {s for s, lit in v.keep.items() if solver.boolean_value(lit)}
        bound = None
        if not problem.previous:
            served = math.floor(solver.best_objective_bound / built.coverage_weight + 1e-9)
            bound = round(100 * min(served, built.perfect) / max(1, built.perfect), 3)
        grid = _rooms_and_fill(geo, problem, starts, model_rooms, kept)
        label = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
        if hint_ok and not problem.previous:
            # CP-SAT does not see seats short: keep the annealed grid if CP-SAT's is over the limit
            # (and the annealed one is not), or is no better on coverage and worse on seats
            mine = _judge(geo, problem, grid)
            over = mine[1] > seats_limit and got[1] <= seats_limit
            if over or (mine[0] <= got[0] and mine[1] > got[1]):
                grid = _rooms_and_fill(geo, problem, {s: t for s, (_, t) in hint_grid.items()},
                                       {s: r for s, (r, _) in hint_grid.items()}, _kept(geo, hint_grid))
                label = "FEASIBLE"
        sol = _finish(problem, geo, grid, label, began, bound)
        if seats_first and hint_ok:
            sol = _room_for_everyone(problem, geo, sol, by_hand_grid, seats_limit, began)
    elif hint_ok:
        grid = _rooms_and_fill(geo, problem, {s: t for s, (_, t) in hint_grid.items()},
                               {s: r for s, (r, _) in hint_grid.items()}, _kept(geo, hint_grid))
        sol = _finish(problem, geo, grid, "FEASIBLE", began, None,
                      ("CP-SAT found no grid in time; this is the annealed grid",))
    else:
        return Solution(status="UNKNOWN", seconds=time.perf_counter() - began, placements=(),
                        unscheduled=tuple(Unscheduled(s.id, "no grid was found in time") for s in geo.sessions),
                        metrics=Metrics(0.0, 0.0, len(problem.previous), 0),
                        explanation=(f"no grid found within {config.time_limit:g} s: tried the by-hand "
                                     "method (it could not place every pinned session) and CP-SAT; "
                                     "give it more time",))
    sol = _prove_bound(geo, sol, deadline, began, config.bound_seconds)
    report(f"done: coverage {sol.metrics.coverage:.1f}%", 1.0)
    return sol


def _prove_bound(geo: Geometry, sol: Solution, deadline: float, began: float, extra: float) -> Solution:
    """Spend what is left of the time limit (at most twice as long as the grid took, so that a
    quick grid stays quick), plus `extra` seconds, proving a bound on coverage (bound.py); the grid
    is already chosen, so the clock here never changes it. A bound of 100% or more says nothing and
    is dropped; on a re-plan coverage is not the first goal, so no bound is shown."""
    bound = sol.bound
    now = time.perf_counter()
    left = min(deadline - now - BOUND_MARGIN, max(1.0, 2 * (now - began))) + extra
    proven_best = sol.status == "OPTIMAL" or (bound is not None and bound <= sol.metrics.coverage)
    if not geo.problem.previous and sol.placements and left >= 0.2 and not proven_best:
        grid = {geo.session_pos[p.session]: (geo.room_pos[p.room], geo.slot_pos[p.slot]) for p in sol.placements}
        proven = coverage_bound(geo, grid, left).percent
        if proven is not None:
            bound = proven if bound is None else min(bound, proven)
    if bound is not None:
        bound = max(bound, sol.metrics.coverage)  # a proven bound is never below a grid; this only rounds
        if bound >= 100.0 or geo.problem.previous:
            bound = None
    return replace(sol, bound=bound, seconds=time.perf_counter() - began)


def _placements(geo: Geometry, grid: dict[int, tuple[int, int]]) -> list[Placement]:
    return [Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id) for s, (r, t) in grid.items()]


def _room_for_everyone(problem: Problem, geo: Geometry, sol: Solution, by_hand: dict[int, tuple[int, int]],
                       limit: float, began: float) -> Solution:
    """The "seats" objective's promise: never more seats short than the by-hand grid. If the search
    could not keep it, the by-hand grid itself (rooms re-matched, which only lowers seats short) is
    the answer."""
    if sol.metrics.seats_short <= limit + 1e-9:
        return sol
    grid = _rooms_and_fill(geo, problem, {s: t for s, (_, t) in by_hand.items()},
                           {s: r for s, (r, _) in by_hand.items()}, _kept(geo, by_hand))
    if measure(problem, _placements(geo, grid)).seats_short > limit + 1e-9:
        grid = by_hand  # the fill pass seated one more pitch in too small a room: as by hand, then
    return _finish(problem, geo, grid, "FEASIBLE", began, sol.bound,
                   ("no grid with more coverage and no more seats short than the by-hand grid was found "
                    "in time; this is the by-hand grid",))


def _simple_bound(geo: Geometry) -> float:
    """A bound that needs no solver: each voter attends at most one session per slot, and only
    sessions that have some allowed room and slot (percent, as coverage)."""
    runnable = {geo.sessions[s].id for s in range(len(geo.sessions)) if geo.starts[s]}
    n = len(geo.slots)
    got = perfect = 0
    for votes, weight in voter_sets(geo.problem).items():
        perfect += weight * min(len(votes), n)
        got += weight * min(sum(1 for x in votes if x in runnable), n)
    return round(100 * got / max(1, perfect), 3)


def _judge_estimate(geo: Geometry) -> float:
    """Seconds one _judge call takes (room matching and figures), from the instance's size."""
    votes = sum(len(vs) for vs in geo.problem.votes.values())
    return 0.005 + 2e-5 * votes + 1e-6 * len(geo.sessions) * len(geo.rooms) * len(geo.slots)


def _judge(geo: Geometry, problem: Problem, grid: dict[int, tuple[int, int]]) -> tuple[float, float]:
    """(coverage, seats short) a grid will be reported with, after room matching."""
    grid = _rooms_and_fill(geo, problem, {s: t for s, (_, t) in grid.items()},
                           {s: r for s, (r, _) in grid.items()}, _kept(geo, grid))
    m = measure(problem, [Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id)
                          for s, (r, t) in grid.items()])
    return m.coverage, m.seats_short


def _build_estimate(geo: Geometry) -> float:
    """Seconds to build the CP-SAT model, from its size (measured on the bench machine)."""
    groups = len(voter_sets(geo.problem))
    options = sum(len(o) for s, o in enumerate(geo.starts) if geo.sessions[s].length > 1)
    return 0.1 + 5e-5 * groups * len(geo.slots) + 2e-5 * (options + len(geo.sessions) * len(geo.slots))


def _kept(geo: Geometry, grid: dict[int, tuple[int, int]]) -> set[int]:
    """Sessions of a grid sitting in their published cell."""
    out = set()
    for sid, cell in geo.problem.previous.items():
        s = geo.session_pos[sid]
        if grid.get(s) == (geo.room_pos[cell.room], geo.slot_pos[cell.slot]):
            out.add(s)
    return out

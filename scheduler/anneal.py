"""How long and how hard to anneal (scheduler.search): the move budget from an instance's size,
and the staged runs that turn `Search` into a grid for each objective.

Apart from the search itself because these are the tuning knobs (stages, restarts, weights),
measured on the bench machine, while `Search` is the move machinery they drive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from scheduler.cells import Geometry, voter_sets
from scheduler.metrics import demand
from scheduler.problem import Placement
from scheduler.search import SEAT_WEIGHT, Search


def move_cost(geo: Geometry) -> float:
    """Seconds one move takes on the bench machine, from the instance's size: a base amount, plus
    the voters touched, plus the rooms scanned."""
    n = max(1, len(geo.sessions))
    groups = sum(len(vs) for vs in voter_sets(geo.problem)) / n
    rooms = sum(len(o) for o in geo.starts) / max(1, n * len(geo.slots))
    return (80 + 1.0 * groups + 3.5 * rooms) * 1e-6


def anneal_moves(geo: Geometry, seconds: float) -> int:
    """How many moves fit in `seconds` on the bench machine."""
    return max(0, int(seconds / move_cost(geo)))


def anneal_runs(geo: Geometry) -> int:
    """Independent first-stage runs: restarts make small grids far less seed-dependent, while large
    ones need long runs."""
    n = len(geo.sessions)
    return 4 if n <= 80 else 2 if n <= 250 else 1


Judged = tuple[float, float]  # (coverage, seats short) as they will be reported


def anneal(geo: Geometry, grid: dict[int, tuple[int, int]], moves: int, deadline: float, seed: int,
           judge: Callable[[dict[int, tuple[int, int]]], Judged],
           seats_limit: float = math.inf) -> tuple[dict[int, tuple[int, int]], Judged]:
    """The best grid annealing finds from `grid` within `moves` proposals, and how it is judged.

    The estimate of seats short used while searching is rough (it ignores voters splitting between
    their picks in one slot), so `judge` (grid -> (coverage, seats short) after room matching)
    checks every stage's grid: the first stage is independent runs from the start, later ones
    continue from the best so far (see below). The best grid within `seats_limit` wins; if none is,
    the one with fewest seats short.
    """
    weight = SEAT_WEIGHT
    found: list[tuple[Judged, dict[int, tuple[int, int]]]] = []

    def pick() -> tuple[Judged, dict[int, tuple[int, int]]]:
        within = [f for f in found if f[0][1] <= seats_limit]
        if within:
            return max(within, key=lambda f: f[0][0])
        return min(found, key=lambda f: f[0][1])

    runs = anneal_runs(geo)
    for i in range(runs):
        search = Search(geo, grid, seed + i, seat_weight=weight)
        got = search.run(int(moves * STAGES[0] / runs), deadline)
        found.append((judge(got), got))
        if time.perf_counter() > deadline:
            judged, best = pick()
            return best, judged
    for stage, share in enumerate(STAGES[1:], start=1):
        # later stages continue from the best grid so far, with the crowds it really draws, and
        # weigh seats harder while they are over the limit: the further over, the harder (24 times
        # at 50% over), so a grid only a little over gives up little coverage to get back under
        judged, best = pick()
        if judged[1] > seats_limit:
            weight *= 1 + 23 * min(1.0, (judged[1] - seats_limit) / max(seats_limit, 2.0) / 0.5)
        crowd = _crowd(geo, best, Search(geo, {}, seed).pop)
        got = Search(geo, best, seed + runs + stage, seat_weight=weight, crowd=crowd).run(
            int(moves * share), deadline, t_start=0.5)
        found.append((judge(got), got))
        if time.perf_counter() > deadline:
            break
    judged, best = pick()
    return best, judged


def anneal_room_for_everyone(geo: Geometry, grid: dict[int, tuple[int, int]], moves: int, deadline: float,
                             seed: int, judge: Callable[[dict[int, tuple[int, int]]], Judged],
                             seats_limit: float) -> tuple[dict[int, tuple[int, int]], Judged]:
    """The "room for everyone" search: as much coverage as possible with no more seats short than
    `seats_limit` (the by-hand grid's). `grid` (the by-hand grid) is within the limit, so the search
    starts inside it and weighs a seat short like a wish served, with the crowds each stage's grid
    really draws; after each stage the weight goes up while the grid is over the limit and eases
    off while it is under, so the search walks along the limit towards more coverage."""
    weight = SEATS_FIRST_WEIGHT
    moves = int(moves * SEATS_FIRST_MOVES)
    found: list[tuple[Judged, dict[int, tuple[int, int]]]] = [(judge(grid), dict(grid))]
    best = dict(grid)
    for stage, share in enumerate(SEATS_FIRST_STAGES):
        got = Search(geo, best, seed + stage, seat_weight=weight, exact_seats=True).run(
            int(moves * share), deadline, t_start=1.0 if stage == 0 else 0.5)
        judged = judge(got)
        found.append((judged, got))
        weight *= 2.0 if judged[1] > seats_limit else 0.75
        # over the limit: go on from there, weighing seats harder, so the coverage won is not lost;
        # under it: go on from the best grid within the limit
        within = [f for f in found if f[0][1] <= seats_limit]
        best = got if judged[1] > seats_limit else max(within, key=lambda f: f[0][0])[1]
        if time.perf_counter() > deadline:
            break
    within = [f for f in found if f[0][1] <= seats_limit]
    judged_best, chosen = max(within, key=lambda f: f[0][0]) if within else min(found, key=lambda f: f[0][1])
    return chosen, judged_best


# the room-for-everyone search: a seat short weighs this many wishes at first, and the shares of
# its moves per stage (see anneal_room_for_everyone)
SEATS_FIRST_WEIGHT = 1.0
SEATS_FIRST_STAGES = (0.4, 0.15, 0.15, 0.15, 0.15)
SEATS_FIRST_MOVES = 0.4  # exact crowds make a move about 2.5 times dearer: fewer moves in the same time


def _crowd(geo: Geometry, grid: dict[int, tuple[int, int]], interest: list[float]) -> list[float]:
    """Expected crowd per session in `grid` (metrics.demand); a session out of the grid gets its
    interest scaled by the grid's typical crowd-to-interest ratio."""
    placements = [Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id) for s, (r, t) in grid.items()]
    real = demand(geo.problem, placements)
    ratios = sorted(real[geo.sessions[s].id] / interest[s] for s in grid
                    if interest[s] > 0 and geo.sessions[s].id in real)
    typical = ratios[len(ratios) // 2] if ratios else 1.0
    return [real.get(sess.id, interest[s] * typical) if s in grid else interest[s] * typical
            for s, sess in enumerate(geo.sessions)]


# shares of the annealing moves per stage (see anneal)
STAGES = (0.7, 0.3)

"""The organisers' way at the wall, for comparison in every report.

Sticky notes go up most-wanted first; each goes into the slot with the fewest sessions so far
(spreading the popular ones over the day), in the smallest free room that seats its crowd (or the
biggest free room when none does). Pins and the frozen part of a re-plan go up first, as the
organisers would put them. It never breaks a rule, but it ignores who voted for what together.
"""

from __future__ import annotations

import time
from collections import Counter

from scheduler.cells import Geometry, geometry
from scheduler.explain import left_out_reasons
from scheduler.metrics import measure
from scheduler.problem import Placement, Problem, Solution, Unscheduled


def popularity(problem: Problem) -> Counter[str]:
    """Votes plus show of hands per session: what the organisers see on the wall."""
    counts: Counter[str] = Counter()
    for vs in problem.votes.values():
        counts.update(set(vs))
    for sid, n in problem.extra_demand.items():
        counts[sid] += n
    return counts


def baseline_grid(geo: Geometry) -> dict[int, tuple[int, int]]:
    """session index -> (room index, start slot index), by the wall method."""
    wanted = popularity(geo.problem)
    grid: dict[int, tuple[int, int]] = {}
    taken: set[tuple[int, int]] = set()
    busy: set[tuple[str, int]] = set()
    per_slot = Counter[int]()

    def put(s: int, r: int, t: int) -> None:
        grid[s] = (r, t)
        for u in geo.span(s, t):
            taken.add((r, u))
            busy.update((h, u) for h in geo.sessions[s].hosts)
            per_slot[u] += 1

    def best_cell(s: int) -> tuple[int, int] | None:
        crowd = wanted[geo.sessions[s].id]
        by_slot: dict[int, list[int]] = {}
        for r, t in geo.starts[s]:
            by_slot.setdefault(t, []).append(r)
        load = {t: sum(per_slot[u] for u in geo.span(s, t)) for t in by_slot}
        best: tuple[int, int, int, int, int] | None = None
        for t in sorted(by_slot, key=lambda t: (load[t], t)):
            if best is not None and load[t] > best[0]:
                break  # the least-loaded slots with a free room have been seen
            for r in by_slot[t]:
                if not _free(geo, s, (r, t), taken, busy):
                    continue
                cap = geo.rooms[r].capacity
                fits = cap >= crowd
                key = (load[t], 0 if fits else 1, cap if fits else -cap, t, r)
                if best is None or key < best:
                    best = key
        return None if best is None else (best[4], best[3])

    order = sorted(range(len(geo.sessions)), key=lambda s: (-wanted[geo.sessions[s].id], geo.sessions[s].id))
    first = [s for s in order if s in geo.fixed or geo.sessions[s].pin is not None]
    for s in first:
        cell = best_cell(s)
        if cell is not None:
            put(s, *cell)
    # on a re-plan, the organisers first leave every published session where it was if they can
    previous = geo.problem.previous
    for s in order:
        sid = geo.sessions[s].id
        if s in grid or sid not in previous:
            continue
        cell = (geo.room_pos[previous[sid].room], geo.slot_pos[previous[sid].slot])
        if cell in geo.starts[s] and _free(geo, s, cell, taken, busy):
            put(s, *cell)
    for s in order:
        if s not in grid:
            cell = best_cell(s)
            if cell is not None:
                put(s, *cell)
    return grid


def _free(geo: Geometry, s: int, cell: tuple[int, int], taken: set[tuple[int, int]],
          busy: set[tuple[str, int]]) -> bool:
    r, t = cell
    return not any((r, u) in taken or any((h, u) in busy for h in geo.sessions[s].hosts)
                   for u in geo.span(s, t))


def baseline(problem: Problem) -> Solution:
    """The by-hand grid with the same figures and left-out reasons as a solve."""
    began = time.perf_counter()
    geo = geometry(problem)
    grid = baseline_grid(geo)
    placements = tuple(Placement(geo.sessions[s].id, geo.rooms[r].id, geo.slots[t].id)
                       for s, (r, t) in sorted(grid.items()))
    reasons = left_out_reasons(geo, grid)
    unscheduled = tuple(Unscheduled(geo.sessions[s].id, reasons[s]) for s in sorted(reasons))
    return Solution(status="FEASIBLE", seconds=time.perf_counter() - began, placements=placements,
                    unscheduled=unscheduled, metrics=measure(problem, placements))

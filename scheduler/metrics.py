"""The figures of a grid, defined exactly as the reference checker (bench/check.py) defines them.

Kept independent of the model on purpose: the solver's own objective could drift from what the
organisers are shown, and this module is what the tests compare against check.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scheduler.cells import run_of
from scheduler.problem import Metrics, Placement, Problem


def _spans(problem: Problem, placements: Iterable[Placement]) -> dict[str, tuple[str, str, range]]:
    """session -> (room, first slot, slot positions), for placements that are well formed."""
    slots = problem.ordered_slots
    pos = {s.id: i for i, s in enumerate(slots)}
    sessions = {s.id: s for s in problem.sessions}
    rooms = {r.id for r in problem.rooms}
    out: dict[str, tuple[str, str, range]] = {}
    for p in placements:
        if p.session not in sessions or p.room not in rooms or p.session in out or p.slot not in pos:
            continue
        run = run_of(slots, pos[p.slot], sessions[p.session].length)
        if run is not None:
            out[p.session] = (p.room, p.slot, run)
    return out


def well_placed(problem: Problem, placements: Iterable[Placement]) -> set[str]:
    """Sessions whose placement names a known room and a start that can hold them (as check.py counts)."""
    return set(_spans(problem, placements))


def coverage_counts(problem: Problem, placements: Iterable[Placement]) -> tuple[int, int]:
    """(wishes served, wishes possible): the numerator and denominator of coverage."""
    spans = _spans(problem, placements)
    n_slots = len(problem.slots)
    got = perfect = 0
    known = {s.id for s in problem.sessions}
    for vs in problem.votes.values():
        mine = [x for x in set(vs) if x in known]
        perfect += min(len(mine), n_slots)
        intervals = sorted((spans[x][2][-1], spans[x][2][0]) for x in mine if x in spans)
        last = -1
        for end, start in intervals:
            if start > last:
                got += 1
                last = end
    return got, perfect


def demand(problem: Problem, placements: Iterable[Placement]) -> dict[str, float]:
    """Expected crowd per placed session: votes split 1/k among a voter's picks sharing a first slot."""
    spans = _spans(problem, placements)
    crowd: dict[str, float] = defaultdict(float)
    for sid, n in problem.extra_demand.items():
        if sid in spans:
            crowd[sid] += n
    for vs in problem.votes.values():
        by_slot: dict[str, list[str]] = defaultdict(list)
        for x in set(vs):
            if x in spans:
                by_slot[spans[x][1]].append(x)
        for xs in by_slot.values():
            for x in xs:
                crowd[x] += 1 / len(xs)
    return dict(crowd)


def left_out_with_room(problem: Problem, placements: Iterable[Placement]) -> list[str]:
    """Sessions left out although some free room and slot could take them without breaking a rule."""
    placements = list(placements)
    spans = _spans(problem, placements)
    slots = problem.ordered_slots
    sessions = {s.id: s for s in problem.sessions}
    busy_cell = {(room, slots[u].id) for room, _, run in spans.values() for u in run}
    busy_host = {(h, slots[u].id) for sid, (_, _, run) in spans.items() for h in sessions[sid].hosts
                 for u in run}
    frozen = problem.frozen
    out: list[str] = []
    for s in problem.sessions:
        if s.id in spans:
            continue
        found = False
        for r in problem.rooms:
            if not s.needs <= r.features or (s.pin and s.pin.room and s.pin.room != r.id):
                continue
            for ti, t in enumerate(slots):
                if s.pin and s.pin.slot and s.pin.slot != t.id:
                    continue
                run = run_of(slots, ti, s.length)
                if run is None:
                    continue
                ids = [slots[u].id for u in run]
                if not any((r.id, u) in busy_cell or u in frozen or u in r.unavailable or u in s.unavailable
                           or any((h, u) in busy_host for h in s.hosts) for u in ids):
                    found = True
                    break
            if found:
                break
        if found:
            out.append(s.id)
    return out


def measure(problem: Problem, placements: Iterable[Placement]) -> Metrics:
    """Coverage (percent, 3 decimals), seats short (1 decimal), moves, scheduled, left out with room."""
    placements = list(placements)
    spans = _spans(problem, placements)
    got, perfect = coverage_counts(problem, placements)
    crowd = demand(problem, placements)
    capacity = {r.id: r.capacity for r in problem.rooms}
    short = sum(max(0.0, crowd.get(sid, 0.0) - capacity[room]) for sid, (room, _, _) in spans.items())
    known = {s.id for s in problem.sessions}
    moves = sum(1 for sid, cell in problem.previous.items()
                if sid in known and (sid not in spans or spans[sid][:2] != (cell.room, cell.slot)))
    return Metrics(coverage=round(100 * got / max(1, perfect), 3), seats_short=round(short, 1), moves=moves,
                   scheduled=len(spans), left_out_with_room=tuple(left_out_with_room(problem, placements)))

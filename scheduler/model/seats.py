"""Seats short: match rooms to sessions once the slots are chosen.

With slots fixed, each session's expected crowd is known (metrics.demand), so the seats it is
short in room r is a constant max(0, crowd - capacity). Single-slot sessions of one slot are then
a min-cost bipartite matching, solved exactly and in milliseconds by a min-cost flow. Sessions
that span several slots (doubles) or whose room is fixed are seated first; we try two ways of
seating the doubles (where the model put them, and smallest-room-that-fits, most wanted first)
and keep whichever gives fewer seats short. The model's rooms always admit a matching, because
its Hall constraints guarantee one.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.graph.python import min_cost_flow

from scheduler.cells import Geometry

SCALE = 1000  # crowd is fractional (1/k shares); costs are integers in thousandths of a seat


def _short(geo: Geometry, crowd: dict[int, float], s: int, r: int) -> float:
    return max(0.0, crowd.get(s, 0.0) - geo.rooms[r].capacity)


def _match_slot(geo: Geometry, singles: list[int], crowd: dict[int, float], allowed: dict[int, list[int]],
                blocked: set[int]) -> dict[int, int] | None:
    """Optimal rooms for single-slot sessions of one slot, avoiding `blocked` rooms; None if none."""
    if not singles:
        return {}
    n = len(singles)
    rooms = sorted({r for s in singles for r in allowed[s] if r not in blocked})
    room_node = {r: n + 1 + i for i, r in enumerate(rooms)}
    source, sink = n + 1 + len(rooms), n + 2 + len(rooms)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs: list[tuple[int, int, int]] = []
    for i, s in enumerate(singles):
        flow.add_arc_with_capacity_and_unit_cost(source, i, 1, 0)
        for r in allowed[s]:
            if r in blocked:
                continue
            cost = round(_short(geo, crowd, s, r) * SCALE) * 1000 + geo.rooms[r].capacity  # tie: smaller room
            arc = flow.add_arc_with_capacity_and_unit_cost(i, room_node[r], 1, cost)
            arcs.append((arc, s, r))
    for r in rooms:
        flow.add_arc_with_capacity_and_unit_cost(room_node[r], sink, 1, 0)
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    if flow.solve() != flow.OPTIMAL:
        return None
    out = {s: r for arc, s, r in arcs if flow.flow(arc) > 0}
    return out if len(out) == n else None


def _seat(geo: Geometry, starts: dict[int, int], crowd: dict[int, float], allowed: dict[int, list[int]],
          big: dict[int, int]) -> dict[int, int] | None:
    """Singles matched around the given rooms of the multi-slot / fixed sessions."""
    blocked: dict[int, set[int]] = defaultdict(set)
    for s, r in big.items():
        for u in geo.span(s, starts[s]):
            if r in blocked[u]:
                return None
            blocked[u].add(r)
    by_slot: dict[int, list[int]] = defaultdict(list)
    for s, t in starts.items():
        if s not in big:
            by_slot[t].append(s)
    rooms = dict(big)
    for t, singles in by_slot.items():
        got = _match_slot(geo, sorted(singles), crowd, allowed, blocked[t])
        if got is None:
            return None
        rooms.update(got)
    return rooms


def _greedy_big(geo: Geometry, starts: dict[int, int], crowd: dict[int, float], allowed: dict[int, list[int]],
                pinned: dict[int, int], movable: list[int]) -> dict[int, int] | None:
    taken = {(r, u) for s, r in pinned.items() for u in geo.span(s, starts[s])}
    out = dict(pinned)
    for s in sorted(movable, key=lambda s: (-crowd.get(s, 0.0), s)):
        span = geo.span(s, starts[s])
        free = [r for r in allowed[s] if not any((r, u) in taken for u in span)]
        if not free:
            return None
        r = min(free, key=lambda r: (_short(geo, crowd, s, r), geo.rooms[r].capacity, r))
        out[s] = r
        taken.update((r, u) for u in span)
    return out


def total_short(geo: Geometry, crowd: dict[int, float], rooms: dict[int, int]) -> float:
    return sum(_short(geo, crowd, s, r) for s, r in rooms.items())


def match_rooms(geo: Geometry, starts: dict[int, int], crowd: dict[int, float],
                allowed: dict[int, list[int]], model_rooms: dict[int, int]) -> dict[int, int] | None:
    """Rooms for sessions at fixed starts, minimising seats short; None if no matching was found.

    `allowed[s]` lists the rooms session s may take at its start (kept or frozen sessions: one room).
    `model_rooms` holds the rooms the model chose for multi-slot sessions (a safe fallback).
    """
    multi = [s for s in starts if geo.sessions[s].length > 1 or len(allowed[s]) == 1]
    pinned = {s: allowed[s][0] for s in multi if len(allowed[s]) == 1}
    movable = [s for s in multi if s not in pinned]
    candidates = []
    greedy = _greedy_big(geo, starts, crowd, allowed, pinned, movable)
    if greedy is not None:
        candidates.append(_seat(geo, starts, crowd, allowed, greedy))
    if all(s in model_rooms for s in movable):
        candidates.append(_seat(geo, starts, crowd, allowed, {**pinned, **{s: model_rooms[s] for s in movable}}))
    found = [c for c in candidates if c is not None]
    if not found:
        return None
    return min(found, key=lambda rooms: total_short(geo, crowd, rooms))

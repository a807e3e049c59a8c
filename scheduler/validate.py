"""Check a grid against every hard rule without the solver.

Written from the rules, not from the model, so that a bug in a model module shows up here (and in
the tests) instead of reaching the wall. The messages follow check.py's wording.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from scheduler.cells import run_of
from scheduler.metrics import measure, well_placed
from scheduler.problem import Placement, Problem


def violations(problem: Problem, placements: Iterable[Placement]) -> list[str]:
    """Every broken hard rule in the grid, as short sentences; an empty list means the grid is valid."""
    out: list[str] = []
    slots = problem.ordered_slots
    pos = {s.id: i for i, s in enumerate(slots)}
    rooms = {r.id: r for r in problem.rooms}
    sessions = {s.id: s for s in problem.sessions}
    placed: dict[str, tuple[str, str, list[str]]] = {}
    for p in placements:
        if p.session not in sessions:
            out.append(f"unknown session {p.session}")
            continue
        if p.room not in rooms:
            out.append(f"{p.session}: unknown room {p.room}")
            continue
        if p.session in placed:
            out.append(f"{p.session}: placed twice")
            continue
        length = sessions[p.session].length
        run = run_of(slots, pos[p.slot], length) if p.slot in pos else None
        if run is None:
            out.append(f"{p.session}: slot {p.slot} cannot hold length {length}")
            continue
        placed[p.session] = (p.room, p.slot, [slots[u].id for u in run])

    cell: dict[tuple[str, str], str] = {}
    host_at: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sid, (rid, tid, used) in placed.items():
        s, r = sessions[sid], rooms[rid]
        for t in used:
            if (rid, t) in cell:
                out.append(f"{sid} and {cell[rid, t]} both in {rid} at {t}")
            cell[rid, t] = sid
            if t in r.unavailable:
                out.append(f"{sid}: room {rid} closed at {t}")
            if t in s.unavailable:
                out.append(f"{sid}: hosts unavailable at {t}")
            for h in s.hosts:
                host_at[h, t].append(sid)
        missing = s.needs - r.features
        if missing:
            out.append(f"{sid}: room {rid} lacks {sorted(missing)}")
        if s.pin and ((s.pin.room and s.pin.room != rid) or (s.pin.slot and s.pin.slot != tid)):
            out.append(f"{sid}: pin {s.pin.room or '-'}/{s.pin.slot or '-'} not kept")
    for (h, t), ss in host_at.items():
        if len(ss) > 1:
            out.append(f"host {h} in {sorted(ss)} at {t}")
    for sid, prev in problem.previous.items():
        if prev.slot in problem.frozen and sid in sessions:
            got = placed.get(sid)
            if not got or (got[0], got[1]) != (prev.room, prev.slot):
                out.append(f"{sid}: frozen at {prev.room}/{prev.slot} but moved")
    for sid, (_, tid, used) in placed.items():
        prev_cell = problem.previous.get(sid)
        if set(used) & problem.frozen and (prev_cell is None or prev_cell.slot not in problem.frozen):
            out.append(f"{sid}: added to frozen slot {tid}")
    return out


def report(problem: Problem, placements: Iterable[Placement], unscheduled: Iterable[str] = ()) -> dict[str, Any]:
    """The project's own referee: the same report (keys and figures) as the reference check.py,
    from this module's rules and metrics.py's figures, so tests and benchmarks need no outside file."""
    placements = list(placements)
    m = measure(problem, placements)
    accounted = well_placed(problem, placements) | set(unscheduled)
    return {"violations": violations(problem, placements),
            "unaccounted": sorted({s.id for s in problem.sessions} - accounted),
            "left_out_with_room": list(m.left_out_with_room), "scheduled": m.scheduled,
            "sessions": len(problem.sessions), "cells": len(problem.rooms) * len(problem.slots),
            "coverage": m.coverage, "seats_short": m.seats_short, "moves": m.moves}

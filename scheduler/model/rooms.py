"""One session per room and slot, for room-level options and for slot-level ones.

Room-level options (x) simply take at most one per (room, slot). Slot-level options (y) have no
room yet; their slot can seat them iff a matching to the rooms left free exists, and by Hall's
theorem that is: for every group C of need-types, the sessions whose needs are in C number no
more than the free rooms that suit at least one type in C. Only distinct room sets matter, so we
enumerate the unions of the types' room sets and take each with all types it covers.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.model.variables import Variables


def room_unions(masks: list[int]) -> set[int]:
    """All unions of non-empty sub-families of `masks` (closure under union)."""
    unions: set[int] = set()
    for m in masks:
        unions |= {u | m for u in unions} | {m}
    return unions


def add(v: Variables) -> None:
    geo, model = v.geo, v.model
    taken: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (s, r, t), lit in v.x.items():
        for u in geo.span(s, t):
            taken[r, u].append(lit)
    for lits in taken.values():
        if len(lits) > 1:
            model.add_at_most_one(lits)

    for t, slot in enumerate(geo.slots):
        by_type: dict[frozenset[str], list[cp_model.IntVar]] = defaultdict(list)
        for (s, ts), lit in v.y.items():
            if ts == t:
                by_type[geo.sessions[s].needs].append(lit)
        if not by_type:
            continue
        open_rooms = [r for r, room in enumerate(geo.rooms) if slot.id not in room.unavailable]
        type_mask: dict[frozenset[str], int] = {}
        for needs in by_type:
            mask = 0
            for r in open_rooms:
                if needs <= geo.rooms[r].features:
                    mask |= 1 << r
            type_mask[needs] = mask
        for union in room_unions(sorted(set(type_mask.values()))):
            demand = [lit for needs, lits in by_type.items() if type_mask[needs] & ~union == 0 for lit in lits]
            rooms = [r for r in open_rooms if union >> r & 1]
            if len(demand) <= len(rooms) - sum(1 for r in rooms if taken.get((r, t))):
                continue  # can never bind
            free = len(rooms) - sum(lit for r in rooms for lit in taken.get((r, t), []))
            model.add(sum(demand) <= free)

"""The decision variables of the slot-first model, owned in one place.

Why slot-first: coverage depends only on *when* sessions run, not *where*. A plain
x[session, room, slot] model makes CP-SAT search over interchangeable rooms and gives a weak bound.
So most sessions (single-slot, no room pin) only get y[session, slot]; whether their slot's rooms
can seat them is expressed by Hall counting constraints (rooms.py), which are exact for a bipartite
matching, and the rooms are matched afterwards (seats.py). Sessions whose room matters in the
model itself get room-level variables x[session, room, slot]: doubles (the same room for two
slots), sessions pinned to a room, sessions frozen where they were published, and - when
re-planning - the "keep it where it was" option of each previously placed session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.cells import Geometry


@dataclass
class Variables:
    geo: Geometry
    model: cp_model.CpModel
    # room-level options: (session, room, start) -> literal
    x: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    # slot-level options for flexible single sessions: (session, slot) -> literal
    y: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # the session runs during slot t (any room): (session, slot) -> literal
    at: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # the session starts at slot t (any room): (session, slot) -> literal (only for length > 1)
    start: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    placed: dict[int, cp_model.IntVar] = field(default_factory=dict)
    # keep[s]: a previously placed session stays in its published cell
    keep: dict[int, cp_model.IntVar] = field(default_factory=dict)

    def options_of(self, s: int) -> list[cp_model.IntVar]:
        return [v for (si, _, _), v in self.x.items() if si == s] + [v for (si, _), v in self.y.items() if si == s]


def is_flexible(geo: Geometry, s: int) -> bool:
    """A single-slot session whose room the model may leave to the matching step."""
    sess = geo.sessions[s]
    return sess.length == 1 and not (sess.pin and sess.pin.room) and s not in geo.fixed


def create(geo: Geometry, model: cp_model.CpModel) -> Variables:
    v = Variables(geo=geo, model=model)
    occupying: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    starting: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    previous = geo.problem.previous
    for s, sess in enumerate(geo.sessions):
        opts = geo.starts[s]
        if not opts:
            continue
        lits: list[cp_model.IntVar] = []
        if is_flexible(geo, s):
            for t in sorted({t for _, t in opts}):
                lit = model.new_bool_var(f"y_{sess.id}_{t}")
                v.y[s, t] = lit
                lits.append(lit)
                occupying[s, t].append(lit)
                starting[s, t].append(lit)
            prev = previous.get(sess.id)
            if prev is not None:
                cell = (geo.room_pos[prev.room], geo.slot_pos[prev.slot])
                if cell in opts:
                    lit = model.new_bool_var(f"keep_{sess.id}")
                    v.x[s, cell[0], cell[1]] = lit
                    v.keep[s] = lit
                    lits.append(lit)
                    occupying[s, cell[1]].append(lit)
                    starting[s, cell[1]].append(lit)
        else:
            for r, t in opts:
                lit = model.new_bool_var(f"x_{sess.id}_{r}_{t}")
                v.x[s, r, t] = lit
                lits.append(lit)
                starting[s, t].append(lit)
                for u in geo.span(s, t):
                    occupying[s, u].append(lit)
            prev = previous.get(sess.id)
            if prev is not None:
                cell = (geo.room_pos[prev.room], geo.slot_pos[prev.slot])
                if (s, cell[0], cell[1]) in v.x:
                    v.keep[s] = v.x[s, cell[0], cell[1]]
        placed = model.new_bool_var(f"placed_{sess.id}")
        model.add(sum(lits) == placed)
        v.placed[s] = placed
    for (s, t), lits in occupying.items():
        if len(lits) == 1:
            v.at[s, t] = lits[0]
        else:
            lit = model.new_bool_var(f"at_{s}_{t}")
            model.add(sum(lits) == lit)
            v.at[s, t] = lit
    for (s, t), lits in starting.items():
        if geo.sessions[s].length == 1:
            v.start[s, t] = v.at[s, t]
        elif len(lits) == 1:
            v.start[s, t] = lits[0]
        else:
            lit = model.new_bool_var(f"start_{s}_{t}")
            model.add(sum(lits) == lit)
            v.start[s, t] = lit
    return v

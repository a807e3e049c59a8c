"""Can any room meet a pitch's needs together? Told to the pitcher the moment they tick them.

A pitch whose needs no single room meets (quiet *and* step-free, when the only quiet room has
stairs) cannot be placed: the solver leaves it out with its reason. The pitcher should know at
once, while they can still change their mind, and the pitch is saved either way (the organisers
may free up a room, or the pitcher may drop a need later).

The words are the solver's own (scheduler.explain: the nearest rooms and what each lacks), so
the pitcher, the organisers' preview and `campbot solve` all say the same thing. Room keys
("r5") are left out: a pitcher knows rooms by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.store.db import read_scope
from campbot.store.tables import Room
from scheduler.cells import geometry
from scheduler.explain import cannot_run
from scheduler.problem_file import parse_problem

_WHY_END = ". To fix:"  # where the solver's reason turns to the organisers' fix


def needs_warning(ctx: AppContext, event_id: int, needs: Iterable[str]) -> str | None:
    """A sentence for the pitcher when no room of the event meets all of `needs` together;
    None when one does (or nothing is needed, or the event has no rooms yet)."""
    wanted = sorted(set(needs))
    if not wanted:
        return None
    with read_scope(ctx.engine) as db:
        rooms = list(db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position), col(Room.id))))
    if not rooms or any(set(wanted) <= set(r.features) for r in rooms):
        return None
    why = _solver_reason(rooms, wanted)
    why = why.split(_WHY_END, 1)[0].rstrip(".")
    for room in rooms:  # "Library (r5)" -> "Library"
        why = re.sub(rf" \({re.escape(room.key)}\)", "", why)
    return (f"Heads up: your session {why}. You can still pitch it; the organisers will see this too, "
            "and you can untick a need now or later by editing your pitch.")


def _solver_reason(rooms: list[Room], needs: list[str]) -> str:
    """The scheduler's reason for a session with these needs in these rooms (one free slot, no
    pins, no votes: only the needs can stop it)."""
    problem: dict[str, Any] = {
        "format": "campbot.problem/1",
        "event": {"name": "pitch", "timezone": "UTC"},
        "rooms": [{"id": r.key, "name": r.name, "capacity": max(1, r.capacity), "features": sorted(set(r.features))}
                  for r in rooms],
        "slots": [{"id": "t", "start": "2000-01-01T10:00:00+00:00", "end": "2000-01-01T10:45:00+00:00"}],
        "sessions": [{"id": "pitch", "title": "pitch", "hosts": ["host"], "needs": needs}],
        "votes": {},
    }
    return cannot_run(geometry(parse_problem(problem)), 0)

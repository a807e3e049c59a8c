"""Where each session may go: the static part of the rules, shared by model, baseline and checks.

A session may start in a room and slot when the room has every feature it needs, the room is open
and the hosts can come in every slot it spans, the span stays inside one block, the pin allows it,
and no frozen slot is touched (unless this is exactly where the published grid had it). Computing
this once keeps the model, the by-hand baseline, the fill pass and the explanations in agreement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scheduler.problem import Problem, Room, Session, Slot


@dataclass(frozen=True)
class Geometry:
    """Index of a problem: slots in time order, ids to positions, and every allowed start."""

    problem: Problem
    slots: tuple[Slot, ...]
    slot_pos: dict[str, int]
    rooms: tuple[Room, ...]
    room_pos: dict[str, int]
    sessions: tuple[Session, ...]
    session_pos: dict[str, int]
    # starts[s] = list of (room index, start slot index) the session may take
    starts: tuple[tuple[tuple[int, int], ...], ...]
    # sessions that must sit exactly where the published grid had them (frozen slots)
    fixed: dict[int, tuple[int, int]]

    def span(self, session: int, start: int) -> range:
        return range(start, start + self.sessions[session].length)


def run_of(slots: tuple[Slot, ...], start: int, length: int) -> range | None:
    """The slot positions a session of this length takes from `start`, or None if it cannot."""
    if start + length > len(slots):
        return None
    block = slots[start].block_key
    if any(slots[i].block_key != block for i in range(start, start + length)):
        return None
    return range(start, start + length)


def room_fits(room: Room, session: Session) -> bool:
    return session.needs <= room.features


def geometry(problem: Problem) -> Geometry:
    slots = problem.ordered_slots
    slot_pos = {s.id: i for i, s in enumerate(slots)}
    rooms = problem.rooms
    room_pos = {r.id: i for i, r in enumerate(rooms)}
    sessions = problem.sessions
    session_pos = {s.id: i for i, s in enumerate(sessions)}
    frozen = {slot_pos[t] for t in problem.frozen}
    fixed: dict[int, tuple[int, int]] = {}
    for sid, cell in problem.previous.items():
        if cell.slot in problem.frozen and sid in session_pos:
            fixed[session_pos[sid]] = (room_pos[cell.room], slot_pos[cell.slot])
    starts: list[tuple[tuple[int, int], ...]] = []
    closed = [frozenset(slot_pos[t] for t in r.unavailable) for r in rooms]
    fitting: dict[frozenset[str], list[int]] = {}
    runs = {length: [run_of(slots, ti, length) for ti in range(len(slots))]
            for length in {s.length for s in sessions}}
    for si, s in enumerate(sessions):
        if si in fixed:
            starts.append((fixed[si],))
            continue
        if s.needs not in fitting:
            fitting[s.needs] = [ri for ri, r in enumerate(rooms) if room_fits(r, s)]
        room_list = fitting[s.needs]
        if s.pin and s.pin.room:
            room_list = [ri for ri in room_list if rooms[ri].id == s.pin.room]
        away = {slot_pos[t] for t in s.unavailable} | frozen
        times: list[tuple[int, range]] = []
        for ti, run in enumerate(runs[s.length]):
            if run is None or (s.pin and s.pin.slot and s.pin.slot != slots[ti].id):
                continue
            if any(u in away for u in run):
                continue
            times.append((ti, run))
        opts = [(ri, ti) for ri in room_list for ti, run in times
                if not closed[ri] or not any(u in closed[ri] for u in run)]
        starts.append(tuple(opts))
    return Geometry(problem=problem, slots=slots, slot_pos=slot_pos, rooms=rooms, room_pos=room_pos,
                    sessions=sessions, session_pos=session_pos, starts=tuple(starts), fixed=fixed)


def voter_sets(problem: Problem) -> dict[tuple[str, ...], int]:
    """Voters grouped by their (sorted) set of votes: identical voters count once, with a weight."""
    groups: dict[tuple[str, ...], int] = defaultdict(int)
    for vs in problem.votes.values():
        key = tuple(sorted(set(vs)))
        if key:
            groups[key] += 1
    return dict(groups)

"""Plain sentences for organisers: why a set-up cannot work, and why a pitch was left out.

Sessions are named by title and id, rooms by name and id, slots by time and id, so that a
sentence can be read aloud at the registration desk and still be traced back to the data.
"""

from __future__ import annotations

from collections import defaultdict

from scheduler.cells import Geometry, run_of
from scheduler.problem import Session


def session_name(sess: Session) -> str:
    return f"'{sess.title}' ({sess.id})" if sess.title and sess.title != sess.id else sess.id


def room_name(geo: Geometry, r: int) -> str:
    room = geo.rooms[r]
    return f"{room.name} ({room.id})" if room.name and room.name != room.id else room.id


def slot_name(geo: Geometry, t: int) -> str:
    slot = geo.slots[t]
    days = {s.start[:10] for s in geo.slots}
    when = slot.start[11:16] if len(days) == 1 else f"{slot.start[:10]} {slot.start[11:16]}"
    return f"{when} ({slot.id})" if when else slot.id


def _features(needs: frozenset[str]) -> str:
    return " and ".join(sorted(needs))


def why_nowhere(geo: Geometry, s: int) -> str:
    """Why a session has no allowed start at all (no free-cell question involved)."""
    sess = geo.sessions[s]
    slots, rooms = geo.slots, geo.rooms
    name = session_name(sess)
    if s in geo.fixed:
        r, t = geo.fixed[s]
        return f"{name} was published in {room_name(geo, r)} at {slot_name(geo, t)}, which is frozen"
    fitting = [r for r, room in enumerate(rooms) if sess.needs <= room.features]
    if not fitting:
        return f"{name} needs {_features(sess.needs)}; no room has it"
    if sess.pin and sess.pin.room:
        pr = geo.room_pos[sess.pin.room]
        if pr not in fitting:
            missing = sess.needs - rooms[pr].features
            return (f"{name} is pinned to {room_name(geo, pr)}, which lacks {_features(frozenset(missing))}")
        fitting = [pr]
    frozen = {geo.slot_pos[t] for t in geo.problem.frozen}
    host_ok = [t for t, slot in enumerate(slots) if slot.id not in sess.unavailable]
    if not host_ok:
        return f"the hosts of {name} cannot make any slot"
    if sess.pin and sess.pin.slot:
        pt = geo.slot_pos[sess.pin.slot]
        run = run_of(slots, pt, sess.length)
        if run is None:
            return (f"{name} is pinned to {slot_name(geo, pt)}, but a {sess.length}-slot session "
                    "would run past the end of that block")
        if any(slots[u].id in sess.unavailable for u in run):
            return f"{name} is pinned to {slot_name(geo, pt)}, when its hosts cannot come"
        if any(u in frozen for u in run):
            return f"{name} is pinned to {slot_name(geo, pt)}, which is frozen (already under way)"
        closed = [r for r in fitting if any(slots[u].id in rooms[r].unavailable for u in run)]
        if closed and len(closed) == len(fitting):
            where = room_name(geo, fitting[0]) if len(fitting) == 1 else "every suitable room"
            return f"{name} is pinned to {slot_name(geo, pt)}, but {where} is closed then"
    runs = [t for t in host_ok if (rn := run_of(slots, t, sess.length)) is not None
            and all(slots[u].id not in sess.unavailable for u in rn)]
    if not runs:
        return f"{name} needs {sess.length} slots in a row of one block when its hosts can come; there are none"
    unfrozen = [t for t in runs if not any(u in frozen for u in geo.span(s, t))]
    if not unfrozen:
        return f"the slots the hosts of {name} can make are frozen (already under way)"
    kind = f"room with {_features(sess.needs)}" if sess.needs else "room"
    if sess.pin and sess.pin.room:
        kind = room_name(geo, fitting[0])
    return f"no {kind} is open when the hosts of {name} can come"


def static_conflicts(geo: Geometry, must: list[int]) -> list[str]:
    """Reasons the set-up is infeasible that need no solver: must-run sessions that cannot run or
    collide on fixed cells or hosts, and needs that no room in the venue meets."""
    out: list[str] = []
    for s, sess in enumerate(geo.sessions):
        if not any(sess.needs <= room.features for room in geo.rooms):
            out.append(f"{session_name(sess)} needs {_features(sess.needs)}; no room has it")
        elif s in must and not geo.starts[s]:
            out.append(why_nowhere(geo, s))
    for s, (r, t) in geo.fixed.items():
        out.extend(_broken_fixed(geo, s, r, t))
    # must-run sessions whose every option is the same cell(s)
    cell_owner: dict[tuple[int, int], int] = {}
    host_owner: dict[tuple[str, int], int] = {}
    for s in must:
        opts = geo.starts[s]
        if not opts:
            continue
        rooms_ = {r for r, _ in opts}
        starts_ = {t for _, t in opts}
        sess = geo.sessions[s]
        if len(starts_) == 1:
            (t,) = starts_
            for u in geo.span(s, t):
                for h in sess.hosts:
                    other = host_owner.get((h, u))
                    if other is not None:
                        out.append(f"host {h} cannot be in two places at {slot_name(geo, u)}: "
                                   f"{session_name(geo.sessions[other])} and {session_name(sess)} "
                                   "must both run then")
                    host_owner[h, u] = s
            if len(rooms_) == 1:
                (r,) = rooms_
                for u in geo.span(s, t):
                    other = cell_owner.get((r, u))
                    if other is not None:
                        how = "pinned to" if geo.sessions[other].pin and sess.pin else "fixed in"
                        out.append(f"{session_name(geo.sessions[other])} and {session_name(sess)} are both "
                                   f"{how} {room_name(geo, r)} at {slot_name(geo, u)}")
                    cell_owner[r, u] = s
    return list(dict.fromkeys(out))


def _broken_fixed(geo: Geometry, s: int, r: int, t: int) -> list[str]:
    """A published session in a frozen slot whose cell now breaks a rule (it cannot move either)."""
    sess, room = geo.sessions[s], geo.rooms[r]
    where = f"{session_name(sess)} is frozen in {room_name(geo, r)} at {slot_name(geo, t)}"
    run = run_of(geo.slots, t, sess.length)
    if run is None:
        return [f"{where}, but a {sess.length}-slot session does not fit there"]
    out = []
    missing = sess.needs - room.features
    if missing:
        out.append(f"{where}, but the room lacks {_features(frozenset(missing))}")
    for u in run:
        if geo.slots[u].id in room.unavailable:
            out.append(f"{where}, but the room is closed at {slot_name(geo, u)}")
        if geo.slots[u].id in sess.unavailable:
            out.append(f"{where}, but its hosts cannot come at {slot_name(geo, u)}")
    if sess.pin and ((sess.pin.room and sess.pin.room != room.id) or
                     (sess.pin.slot and sess.pin.slot != geo.slots[t].id)):
        out.append(f"{where}, but it is pinned elsewhere")
    return out


def core_sentence(geo: Geometry, core: list[int]) -> str:
    """One sentence for a set of must-run sessions CP-SAT proved cannot all run together."""
    parts = []
    for s in core:
        sess = geo.sessions[s]
        where = []
        if s in geo.fixed:
            r, t = geo.fixed[s]
            where.append(f"frozen in {room_name(geo, r)} at {slot_name(geo, t)}")
        elif sess.pin:
            if sess.pin.room:
                where.append(f"pinned to {room_name(geo, geo.room_pos[sess.pin.room])}")
            if sess.pin.slot:
                where.append(f"{'' if sess.pin.room else 'pinned to '}{slot_name(geo, geo.slot_pos[sess.pin.slot])}")
        parts.append(f"{session_name(sess)} ({' at '.join(where)})")
    return ("these sessions must run but cannot all fit (not enough suitable rooms, or a host "
            "in two places): " + "; ".join(parts))


def left_out_reasons(geo: Geometry, grid: dict[int, tuple[int, int]]) -> dict[int, str]:
    """A reason for every session not in `grid` (session -> (room, start))."""
    taken: dict[tuple[int, int], int] = {}
    host_at: dict[tuple[str, int], int] = {}
    for s, (r, t) in grid.items():
        for u in geo.span(s, t):
            taken[r, u] = s
            for h in geo.sessions[s].hosts:
                host_at[h, u] = s
    out: dict[int, str] = {}
    for s, sess in enumerate(geo.sessions):
        if s in grid:
            continue
        if not geo.starts[s]:
            reason = why_nowhere(geo, s)
            name = session_name(sess)
            out[s] = reason.replace(f"{name} ", "", 1) if reason.startswith(name) else reason
            continue
        full_slots: set[int] = set()
        host_clash: dict[int, int] = {}
        free_found = False
        for r, t in geo.starts[s]:
            span = geo.span(s, t)
            if any((r, u) in taken for u in span):
                full_slots.add(t)
                continue
            clash = next((host_at[h, u] for u in span for h in sess.hosts if (h, u) in host_at), None)
            if clash is not None:
                host_clash[t] = clash
                continue
            free_found = True
        if free_found:
            out[s] = "left out although a free cell could take it (the solver ran out of time)"
            continue
        kind = f"room with {_features(sess.needs)}" if sess.needs else "room"
        text = [f"every suitable {kind} was taken when its hosts can come"]
        clashes = defaultdict(list)
        for t, other in sorted(host_clash.items()):
            clashes[other].append(slot_name(geo, t))
        for other, when in clashes.items():
            text.append(f"a host is running {session_name(geo.sessions[other])} at {', '.join(when)}")
        out[s] = "; ".join(text)
    return out

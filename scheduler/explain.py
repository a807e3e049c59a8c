"""Plain sentences for organisers: why a set-up cannot work, and why a pitch was left out.

Sessions are named by title and id, rooms by name and id, slots by their local clock time (see
wording.py), so a sentence can be read aloud at the registration desk and still be traced back
to the data. A reason for a pitch that cannot run ends with what the organiser can do about it:
drop a need, free up a room, ask the hosts, or pin it.

Only must-run sessions (pinned ones, and the frozen part of a re-plan) can make a set-up
infeasible; any other pitch that cannot run is simply left out with its reason.
"""

from __future__ import annotations

from collections import defaultdict

from scheduler.cells import Geometry, run_of
from scheduler.problem import Session
from scheduler.wording import Clock, features, has_phrase, lacks_phrase, room_label, session_name


def room_name(geo: Geometry, r: int) -> str:
    return room_label(geo.rooms[r])


def slot_name(geo: Geometry, t: int, length: int = 1) -> str:
    """The local clock time of slot t (through the end of a `length`-slot run)."""
    last = geo.slots[min(len(geo.slots) - 1, t + length - 1)]
    return Clock(geo.problem).span(geo.slots[t], last)


def _times(geo: Geometry, ts: list[int]) -> str:
    return Clock(geo.problem).spans([geo.slots[t] for t in ts])


def _pin_command(geo: Geometry, s: int, r: int, t: int) -> str:
    return f"`/camp pin {geo.sessions[s].id} {geo.rooms[r].id} {Clock(geo.problem).start(geo.slots[t])}`"


def _needs_met_by_no_room(geo: Geometry, sess: Session) -> str:
    """Needs that no single room meets: the rooms that come nearest, and the fix."""
    needs = sess.needs
    nowhere = sorted(f for f in needs if not any(f in room.features for room in geo.rooms))
    if nowhere:
        what = features(set(nowhere))
        return (f"needs {what}, which no room has. To fix: drop {'that need' if len(nowhere) == 1 else 'those needs'}"
                f" from the pitch, or add {what} to a room that has it (event file)")
    # every need is met somewhere, never all in one room: name the nearest rooms and what each lacks
    near = sorted(range(len(geo.rooms)), key=lambda r: (-len(needs & geo.rooms[r].features),
                                                        -geo.rooms[r].capacity, r))
    lines: list[str] = []
    seen: set[frozenset[str]] = set()
    for r in near:
        have = needs & geo.rooms[r].features
        if not have or have in seen:
            continue  # one room per kind is enough to show the organiser the choice
        seen.add(have)
        lines.append(f"{room_name(geo, r)} {_but(has_phrase(have), lacks_phrase(needs - have))}")
        if len(lines) == 3:
            break
    best = near[0]
    missing = needs - geo.rooms[best].features
    return (f"needs a room that {has_phrase(needs)}, and no room is all of that: {'; '.join(lines)}. "
            f"To fix: drop a need ({features(set(needs), 'or')}) from the pitch, or add "
            f"{features(missing)} to {room_name(geo, best)}'s features (event file)")


def _but(have: str, lack: str) -> str:
    """'is step-free but not quiet' rather than 'is step-free but is not quiet'."""
    if have.startswith("is ") and " has " not in have and lack.startswith("is not ") and " has no " not in lack:
        return f"{have} but {lack.removeprefix('is ')}"
    return f"{have} but {lack}"


def cannot_run(geo: Geometry, s: int) -> str:
    """Why a session has no allowed start at all, as a phrase to follow its name, with the fix."""
    sess = geo.sessions[s]
    slots, rooms = geo.slots, geo.rooms
    if s in geo.fixed:
        r, t = geo.fixed[s]
        return f"was published in {room_name(geo, r)} at {slot_name(geo, t, sess.length)}, which is frozen"
    fitting = [r for r, room in enumerate(rooms) if sess.needs <= room.features]
    if not fitting:
        return _needs_met_by_no_room(geo, sess)
    if sess.pin and sess.pin.room:
        pr = geo.room_pos[sess.pin.room]
        if pr not in fitting:
            missing = sess.needs - rooms[pr].features
            return (f"is pinned to {room_name(geo, pr)}, which {lacks_phrase(missing)}. To fix: "
                    f"pin it to a room that {has_phrase(sess.needs)}, or drop the need")
        fitting = [pr]
    frozen = {geo.slot_pos[t] for t in geo.problem.frozen}
    host_ok = [t for t, slot in enumerate(slots) if slot.id not in sess.unavailable]
    if not host_ok:
        return ("cannot run: its hosts cannot make any slot. To fix: ask the hosts when they can come "
                "and update the pitch's times")
    if sess.pin and sess.pin.slot:
        pt = geo.slot_pos[sess.pin.slot]
        run = run_of(slots, pt, sess.length)
        when = slot_name(geo, pt)
        if run is None:
            return (f"is pinned to {when}, but a {sess.length}-slot session would run past the end of that "
                    "block. To fix: pin it to an earlier time")
        if any(slots[u].id in sess.unavailable for u in run):
            return f"is pinned to {slot_name(geo, pt, sess.length)}, when its hosts cannot come. To fix: unpin it"
        if any(u in frozen for u in run):
            return f"is pinned to {slot_name(geo, pt, sess.length)}, which is frozen (already under way)"
        closed = [r for r in fitting if any(slots[u].id in rooms[r].unavailable for u in run)]
        if closed and len(closed) == len(fitting):
            where = room_name(geo, fitting[0]) if len(fitting) == 1 else "every suitable room"
            return f"is pinned to {slot_name(geo, pt, sess.length)}, but {where} is closed then"
    runs = [t for t in host_ok if (rn := run_of(slots, t, sess.length)) is not None
            and all(slots[u].id not in sess.unavailable for u in rn)]
    if not runs:
        away = [t for t, slot in enumerate(slots) if slot.id in sess.unavailable]
        any_run = any(run_of(slots, t, sess.length) is not None for t in range(len(slots)))
        if not any_run:
            return (f"is a {sess.length}-slot session, and no block of the day has {sess.length} slots in a row "
                    "without a break. To fix: make it a single-slot session")
        return (f"is a {sess.length}-slot session, and its hosts cannot come for {sess.length} slots in a row "
                f"of one block (they cannot come at {_times(geo, away)}). To fix: make it a single-slot "
                "session, or ask the hosts to free two slots in a row")
    unfrozen = [t for t in runs if not any(u in frozen for u in geo.span(s, t))]
    if not unfrozen:
        return (f"cannot run: the only times its hosts can make ({_times(geo, runs)}) are already under way. "
                "To fix: ask the hosts whether they can come later")
    # the rooms that would do are closed whenever the hosts can come
    closed_at = sorted({u for r in fitting for u in range(len(slots)) if slots[u].id in rooms[r].unavailable})
    kind = (room_name(geo, fitting[0]) if sess.pin and sess.pin.room else
            f"the only room that {has_phrase(sess.needs)}, {room_name(geo, fitting[0])}," if len(fitting) == 1
            else f"every room that {has_phrase(sess.needs)}" if sess.needs else "every room")
    free_up = room_name(geo, fitting[0])
    return (f"cannot run: {kind} is closed whenever its hosts can come (closed at {_times(geo, closed_at)}). "
            f"To fix: free up {free_up} at {_times(geo, unfrozen[:1])}"
            + (f", or drop the need ({features(set(sess.needs), 'or')})" if sess.needs else ""))


def why_nowhere(geo: Geometry, s: int) -> str:
    """The whole sentence: the session's name, then why it has nowhere to go."""
    return f"{session_name(geo.sessions[s])} {cannot_run(geo, s)}"


def static_conflicts(geo: Geometry, must: list[int]) -> list[str]:
    """Reasons the set-up is infeasible that need no solver: must-run sessions (pinned, or frozen
    as published) that cannot run at all, or collide on fixed cells or hosts. Any other session
    that cannot run is only left out (left_out_reasons says why)."""
    out: list[str] = []
    for s in must:
        if not geo.starts[s]:
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
        out.append(f"{where}, but the room {lacks_phrase(missing)}")
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
            "in two places): " + "; ".join(parts) + ". To fix: unpin one of them")


def left_out_reasons(geo: Geometry, grid: dict[int, tuple[int, int]]) -> dict[int, str]:
    """A reason for every session not in `grid` (session -> (room, start)), with what to do."""
    taken: dict[tuple[int, int], int] = {}
    host_at: dict[tuple[str, int], int] = {}
    for s, (r, t) in grid.items():
        for u in geo.span(s, t):
            taken[r, u] = s
            for h in geo.sessions[s].hosts:
                host_at[h, u] = s
    out: dict[int, str] = {}
    votes: dict[str, int] = defaultdict(int)
    for vs in geo.problem.votes.values():
        for x in set(vs):
            votes[x] += 1
    for s, sess in enumerate(geo.sessions):
        if s in grid:
            continue
        if not geo.starts[s]:
            out[s] = cannot_run(geo, s)
            continue
        host_clash: dict[int, int] = {}
        free_found = False
        for r, t in geo.starts[s]:
            span = geo.span(s, t)
            if any((r, u) in taken for u in span):
                continue
            clash = next((host_at[h, u] for u in span for h in sess.hosts if (h, u) in host_at), None)
            if clash is not None:
                host_clash[t] = clash
                continue
            free_found = True
        if free_found:
            out[s] = "left out although a free cell could take it (the solver ran out of time)"
            continue
        kind = f"room that {has_phrase(sess.needs)}" if sess.needs else "room"
        text = [f"every suitable {kind} was taken when its hosts can come"]
        clashes = defaultdict(list)
        for t, other in sorted(host_clash.items()):
            clashes[other].append(t)
        for other, when in clashes.items():
            text.append(f"a host is running {session_name(geo.sessions[other])} at {_times(geo, when)}")
        r, t = _least_wanted_cell(geo, s, taken, votes)
        text.append(f"to run it anyway, pin it: {_pin_command(geo, s, r, t)} (what is there moves or "
                    "drops out)")
        out[s] = "; ".join(text)
    return out


def _least_wanted_cell(geo: Geometry, s: int, taken: dict[tuple[int, int], int],
                       votes: dict[str, int]) -> tuple[int, int]:
    """The allowed cell whose current session has the fewest votes: the cheapest one to give up."""
    def cost(cell: tuple[int, int]) -> tuple[int, int, int]:
        r, t = cell
        occupants = {taken[r, u] for u in geo.span(s, t) if (r, u) in taken}
        return (sum(votes[geo.sessions[o].id] for o in occupants), t, r)

    return min(geo.starts[s], key=cost)


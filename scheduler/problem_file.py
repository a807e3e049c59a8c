"""Reading and writing a problem file (campbot.problem/1).

Reading a file checks it thoroughly: the solver must never see a problem whose ids do not line
up, because the organiser would then get a stack trace instead of a sentence telling them what
to fix. The field readers here are shared with scheduler.solution_file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.problem import (
    MAX_ID,
    MAX_PEOPLE,
    PROBLEM_FORMAT,
    YEARS,
    Cell,
    Event,
    Pin,
    Problem,
    ProblemError,
    Room,
    Session,
    Slot,
)


def _require(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise ProblemError(f"{where}: missing field '{key}'; add it (see docs/file-formats.md)")
    return obj[key]


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemError(f"{where}: expected a non-empty string, got {_short(value)}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProblemError(f"{where}: expected a list of strings, got {_short(value)}")
    return list(value)


def _dict(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _unique_ids(items: Sequence[Mapping[str, Any]], kind: str) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        item = _dict(item, f"{kind}[{i}]")
        sid = _str(_require(item, "id", f"{kind}[{i}]"), f"{kind}[{i}].id")
        if len(sid) > MAX_ID:
            raise ProblemError(f"{kind}[{i}].id: an id of {len(sid):,} characters; use a short id such as "
                               f"'{kind[0]}{i + 1}' (at most {MAX_ID})")
        if sid in seen:
            raise ProblemError(f"{kind}[{i}].id: id '{sid}' appears twice; give every entry its own id")
        seen.add(sid)
        ids.append(sid)
    return ids


def _parse_time(value: Any, where: str) -> datetime:
    text = _str(value, where)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ProblemError(f"{where}: {_short(text)} is not an ISO 8601 time such as 2026-06-20T10:00:00+01:00") \
            from None
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise ProblemError(f"{where}: the year {when.year} is surely a typing mistake; give the event's real date "
                           f"(years {YEARS[0]}-{YEARS[1]})")
    return when


def _short(value: Any, limit: int = 60) -> str:
    """A value as it may be echoed in a message: repr, cut short (a hostile file can hold megabytes)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 15:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _refuse_lone_surrogates(data: Any) -> None:
    """Text with a lone surrogate (JSON "\\ud800") cannot be written out again as UTF-8: refuse it up
    front, naming where it is, instead of failing when the solution is printed. Iterative, so that
    a deeply nested value cannot exhaust the stack."""
    stack: list[tuple[Any, str]] = [(data, "problem")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if any("\ud800" <= ch <= "\udfff" for ch in value):
                raise ProblemError(f"{where}: the text {_short(value)} holds a broken character (a lone "
                                   "surrogate); remove it or retype the text")
        elif isinstance(value, dict):
            for k, v in value.items():
                stack.append((k, where))
                stack.append((v, f"{where}.{_short(k, 30)}"))
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))


def parse_problem(data: Any) -> Problem:
    """Build a Problem from parsed JSON, refusing anything malformed with a ProblemError."""
    data = _dict(data, "problem")
    fmt = data.get("format")
    if fmt != PROBLEM_FORMAT:
        raise ProblemError(f"format: expected '{PROBLEM_FORMAT}', got {_short(fmt)}")
    _refuse_lone_surrogates(data)
    raw_event = _dict(data.get("event") or {}, "event")
    name, zone = raw_event.get("name", ""), raw_event.get("timezone", "UTC")
    if not isinstance(name, str) or not isinstance(zone, str):
        raise ProblemError("event: name and timezone must be text, such as \"Europe/London\"")
    event = Event(name=name, timezone=zone or "UTC")

    raw_rooms = _list(_require(data, "rooms", "problem"), "rooms")
    raw_slots = _list(_require(data, "slots", "problem"), "slots")
    raw_sessions = _list(_require(data, "sessions", "problem"), "sessions")
    if not raw_rooms:
        raise ProblemError("rooms: the list is empty; add at least one room")
    if not raw_slots:
        raise ProblemError("slots: the list is empty; add at least one slot")
    _unique_ids(raw_rooms, "rooms")
    slot_ids = set(_unique_ids(raw_slots, "slots"))
    session_ids = set(_unique_ids(raw_sessions, "sessions"))

    slots: list[Slot] = []
    for i, rs in enumerate(raw_slots):
        where = f"slots[{i}] ({rs['id']})"
        start = _parse_time(_require(rs, "start", where), f"{where}.start")
        end = _parse_time(_require(rs, "end", where), f"{where}.end")
        if (start.tzinfo is None) != (end.tzinfo is None):
            raise ProblemError(f"{where}: start and end must both have a UTC offset or both have none")
        if end <= start:
            raise ProblemError(f"{where}.end: the slot ends before it starts; end must be after start")
        block = rs.get("block")
        if block is not None:
            block = _str(block, f"{where}.block")
        slots.append(Slot(id=rs["id"], start=rs["start"], end=rs["end"], block=block))
    if len({datetime.fromisoformat(s.start).tzinfo is None for s in slots}) > 1:
        raise ProblemError("slots: some times have a UTC offset and some do not; give every start and end one")
    ordered = sorted(slots, key=lambda s: s.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if datetime.fromisoformat(b.start) < datetime.fromisoformat(a.end):
            raise ProblemError(f"slots: {a.id} and {b.id} overlap; make each slot end before the next starts")

    rooms: list[Room] = []
    for i, rr in enumerate(raw_rooms):
        where = f"rooms[{i}] ({rr['id']})"
        cap = _require(rr, "capacity", where)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ProblemError(f"{where}.capacity: expected a whole number of seats (0 or more), got {_short(cap)}")
        if cap > MAX_PEOPLE:
            raise ProblemError(f"{where}.capacity: {_short(cap)} seats is more than any room holds; give the "
                               f"room's real number of seats (at most {MAX_PEOPLE:,})")
        unavailable = _str_list(rr.get("unavailable"), f"{where}.unavailable")
        for t in unavailable:
            if t not in slot_ids:
                raise ProblemError(f"{where}.unavailable: unknown slot '{t}'; use one of the slot ids")
        rooms.append(Room(id=rr["id"], name=str(rr.get("name") or rr["id"]), capacity=cap,
                          features=frozenset(_str_list(rr.get("features"), f"{where}.features")),
                          unavailable=frozenset(unavailable)))
    room_ids = {r.id for r in rooms}

    sessions: list[Session] = []
    for i, rs in enumerate(raw_sessions):
        where = f"sessions[{i}] ({rs['id']})"
        title = rs.get("title")
        if title is None:
            title = rs["id"]
        if not isinstance(title, str):
            raise ProblemError(f"{where}.title: expected text, got {_short(title)}")
        hosts = _str_list(rs.get("hosts"), f"{where}.hosts")
        if not hosts:
            raise ProblemError(f"{where}.hosts: a session needs at least one host; add the pitcher's id")
        length = rs.get("length", 1)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ProblemError(f"{where}.length: expected 1 (one slot) or 2 (a double), got {_short(length)}")
        if length > len(slots):
            raise ProblemError(f"{where}.length: {length} slots is longer than the whole event "
                               f"({len(slots)} slots); use 1 or 2")
        unavailable = _str_list(rs.get("unavailable"), f"{where}.unavailable")
        for t in unavailable:
            if t not in slot_ids:
                raise ProblemError(f"{where}.unavailable: unknown slot '{t}'; use one of the slot ids")
        pin: Pin | None = None
        raw_pin = rs.get("pin")
        if raw_pin is not None:
            raw_pin = _dict(raw_pin, f"{where}.pin")
            p_room, p_slot = raw_pin.get("room"), raw_pin.get("slot")
            if p_room is not None:
                p_room = _str(p_room, f"{where}.pin.room")
            if p_slot is not None:
                p_slot = _str(p_slot, f"{where}.pin.slot")
            if p_room is not None and p_room not in room_ids:
                raise ProblemError(f"{where}.pin.room: unknown room '{p_room}'; pin to one of the room ids")
            if p_slot is not None and p_slot not in slot_ids:
                raise ProblemError(f"{where}.pin.slot: unknown slot '{p_slot}'; pin to one of the slot ids")
            if p_room is not None or p_slot is not None:
                pin = Pin(room=p_room, slot=p_slot)
        tags = _str_list(rs.get("tags"), f"{where}.tags")
        sessions.append(Session(id=rs["id"], title=title, hosts=tuple(dict.fromkeys(hosts)), length=length,
                                needs=frozenset(_str_list(rs.get("needs"), f"{where}.needs")),
                                unavailable=frozenset(unavailable), tags=tuple(tags), pin=pin))

    raw_votes = _dict(_require(data, "votes", "problem"), "votes")
    votes: dict[str, tuple[str, ...]] = {}
    for voter, vs in raw_votes.items():
        items = _str_list(vs, f"votes.{voter}")
        for sid in items:
            if sid not in session_ids:
                raise ProblemError(f"votes.{voter}: vote for unknown session '{sid}'; "
                                   "remove the vote or add the session")
        votes[str(voter)] = tuple(dict.fromkeys(items))

    extra: dict[str, int] = {}
    for sid, n in _dict(data.get("extra_demand") or {}, "extra_demand").items():
        if sid not in session_ids:
            raise ProblemError(f"extra_demand.{sid}: unknown session '{sid}'; remove it or add the session")
        if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 0:
            raise ProblemError(f"extra_demand.{sid}: expected a number of people (0 or more), got {_short(n)}")
        if n > MAX_PEOPLE:
            raise ProblemError(f"extra_demand.{sid}: {_short(n)} people is more than any show of hands; give "
                               f"the real count (at most {MAX_PEOPLE:,})")
        extra[sid] = int(n) if float(n).is_integer() else n  # type: ignore[assignment]

    previous: dict[str, Cell] = {}
    for sid, cell in _dict(data.get("previous") or {}, "previous").items():
        cell = _dict(cell, f"previous.{sid}")
        if sid not in session_ids:
            continue  # a withdrawn session: its old cell is simply free now (check.py ignores it too)
        room = _str(_require(cell, "room", f"previous.{sid}"), f"previous.{sid}.room")
        slot = _str(_require(cell, "slot", f"previous.{sid}"), f"previous.{sid}.slot")
        if room not in room_ids:
            raise ProblemError(f"previous.{sid}.room: unknown room '{room}'; use one of the room ids")
        if slot not in slot_ids:
            raise ProblemError(f"previous.{sid}.slot: unknown slot '{slot}'; use one of the slot ids")
        previous[sid] = Cell(room=room, slot=slot)

    frozen = _str_list(data.get("frozen"), "frozen")
    for t in frozen:
        if t not in slot_ids:
            raise ProblemError(f"frozen: unknown slot '{t}'; use one of the slot ids")

    return Problem(rooms=tuple(rooms), slots=tuple(slots), sessions=tuple(sessions), votes=votes,
                   extra_demand=extra, previous=previous, frozen=frozenset(frozen), event=event)


def load_problem(path: str | Path) -> Problem:
    """Read a campbot.problem/1 file; any fault (missing file, bad JSON, bad field) is a ProblemError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ProblemError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return parse_problem(parse_json(text, str(path)))


def parse_json(text: str, name: str = "problem") -> Any:
    """JSON text to Python values, every fault a ProblemError: bad syntax, nesting too deep for the
    parser, an integer of thousands of digits."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ProblemError(f"{name}: the JSON is nested far too deeply to be a problem file; "
                           "a problem is at most four levels deep") from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
        raise ProblemError(f"{name}: not usable JSON ({_short(str(exc), 80)})") from None


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The campbot.problem/1 form of a problem (optional parts only when present)."""
    out: dict[str, Any] = {
        "format": PROBLEM_FORMAT,
        "event": {"name": problem.event.name, "timezone": problem.event.timezone},
        "rooms": [{"id": r.id, "name": r.name, "capacity": r.capacity, "features": sorted(r.features),
                   "unavailable": sorted(r.unavailable)} for r in problem.rooms],
        "slots": [{"id": s.id, "start": s.start, "end": s.end, **({"block": s.block} if s.block else {})}
                  for s in problem.slots],
        "sessions": [],
        "votes": {v: list(vs) for v, vs in problem.votes.items()},
    }
    for s in problem.sessions:
        d: dict[str, Any] = {"id": s.id, "title": s.title, "hosts": list(s.hosts), "length": s.length,
                             "needs": sorted(s.needs), "unavailable": sorted(s.unavailable),
                             "tags": list(s.tags)}
        if s.pin is not None:
            d["pin"] = {k: v for k, v in (("room", s.pin.room), ("slot", s.pin.slot)) if v is not None}
        out["sessions"].append(d)
    if problem.extra_demand:
        out["extra_demand"] = dict(problem.extra_demand)
    if problem.previous:
        out["previous"] = {k: {"room": c.room, "slot": c.slot} for k, c in problem.previous.items()}
    if problem.frozen:
        out["frozen"] = sorted(problem.frozen)
    return out


# --------------------------------------------------------------------------- solutions



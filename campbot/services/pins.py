"""The organisers' hands on the next solve: pin a pitch to a room and/or a time, unpin it, leave it
out or take it back; and the lookups of what organisers type (a pitch by number or title, a
room by key or name, a slot by key or local time, "Sun 10:00" on a camp of several days).

Apart from campbot.services.solving (which runs the solver and keeps its drafts) because these
only change what the next solve is given; campbot.services.replanning uses the same lookups.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.services.text_checks import small_number
from campbot.services.times import slot_time
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Pitch, Placement, Room, Slot

PITCH_ID_MAX = 2**31 - 1  # the largest id an INTEGER key holds on every database


def find_pitch(db: Any, event_id: int, ref: str) -> Pitch:
    """A pitch by "p12", "12" or a unique part of its title (what organisers type)."""
    text = ref.strip().strip('"')
    if not text:
        raise ServiceError("Say which pitch: its number (#12) or a few words of its title.")
    digits = text[1:] if text[:1] in ("p", "P", "#") else text
    number = small_number(digits, most=PITCH_ID_MAX)  # "99999999999999999999" is no pitch, not a crash
    if number is not None:
        pitch = db.get(Pitch, number)
        if pitch is not None and pitch.event_id == event_id:
            return pitch
    found = [p for p in db.exec(select(Pitch).where(Pitch.event_id == event_id, Pitch.status == "active"))
             if text.lower() in p.title.lower()]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"No active pitch matches '{text}'. Use its number (#12) or words from its title.")
    names = ", ".join(f"#{p.id} {p.title}" for p in found[:5])
    raise ServiceError(f"'{text}' matches {len(found)} pitches ({names}); use the number.")


def find_room(db: Any, event_id: int, ref: str) -> Room | None:
    rooms = list(db.exec(select(Room).where(Room.event_id == event_id)))
    return next((r for r in rooms if r.key == ref), None) or next(
        (r for r in rooms if r.name.lower() == ref.lower()), None)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_WORDS = frozenset(WEEKDAYS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def find_slot(db: Any, event_id: int, ref: str, timezone: str) -> Slot | None:
    """A slot by key (t4), start time (14:00) or, over several days, weekday and time (Sun 14:00):
    the last is how the solver's own reasons suggest a pin on a camp of more than one day."""
    slots = list(db.exec(select(Slot).where(Slot.event_id == event_id)))
    tz = ZoneInfo(timezone)
    day, _, clock = ref.rpartition(" ")
    wanted = f"{day.strip()[:3].lower()} {clock.zfill(5)}" if day else clock.zfill(5)
    form = "%a %H:%M" if day else "%H:%M"
    return next((s for s in slots if s.key == ref), None) or next(
        (s for s in slots if s.start.astimezone(tz).strftime(form).lower() == wanted), None)


def _weekday_with_time(words: list[str]) -> list[str]:
    """['r1', 'Sun', '10:00'] -> ['r1', 'Sun 10:00']: a weekday belongs to the time after it."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1].lower() in WEEKDAY_WORDS and word[:1].isdigit():
            joined[-1] = f"{joined[-1]} {word}"
        else:
            joined.append(word)
    return joined


def pin_pitch(ctx: AppContext, event_id: int, pitch_ref: str, places: list[str], *, actor: str = "") -> str:
    """Pin a pitch to a room and/or a slot (words: a room key or name, a slot key or HH:MM).

    Returns a sentence for the organiser. The next solve keeps the pin."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("That event no longer exists.")
        pitch = find_pitch(db, event_id, pitch_ref)
        room: Room | None = None
        slot: Slot | None = None
        for word in _weekday_with_time(places):
            r = find_room(db, event_id, word)
            s = None if r is not None else find_slot(db, event_id, word, event.timezone)
            if r is None and s is None:
                raise ServiceError(f"'{word}' is neither a room nor a slot. Rooms are keys like r3 or names; "
                                   "slots are keys like t2 or a start time like 11:00 (Sun 11:00 over several days).")
            room, slot = r or room, s or slot
        if room is None and slot is None:
            raise ServiceError("Pin it where? Add a room (r3 or its name) and/or a slot (t2 or 11:00).")
        pitch.pin_room_key = room.key if room is not None else None
        pitch.pin_slot_key = slot.key if slot is not None else None
        pitch.updated_at = ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.pin",
                        detail={"pitch": pitch.id, "room": pitch.pin_room_key, "slot": pitch.pin_slot_key}))
        when = slot_time(slot.start, slot.end, ZoneInfo(event.timezone)) if slot else ""
        where = " at ".join(x for x in (room.name if room else "", when) if x)
        return f"Pinned #{pitch.id} {pitch.title} to {where}; the next solve keeps it there."


def pin_as_in_draft(ctx: AppContext, event_id: int, grid_version_id: int, pitch_id: int, *,
                    actor: str = "") -> str:
    """Pin a pitch to the room and slot a draft grid gives it (the preview's "keep it there")."""
    with session_scope(ctx.engine) as db:
        version = db.get(GridVersion, grid_version_id)
        pitch = db.get(Pitch, pitch_id)
        if version is None or version.event_id != event_id or pitch is None or pitch.event_id != event_id:
            raise NotFound("That grid or pitch no longer exists; run /camp solve again.")
        placement = db.exec(select(Placement).where(Placement.grid_version_id == grid_version_id,
                                                    Placement.pitch_id == pitch_id)).first()
        if placement is None:
            raise ServiceError(f"#{pitch_id} is not in that grid, so there is nowhere to keep it.")
        room, slot = db.get(Room, placement.room_id), db.get(Slot, placement.slot_id)
        event = db.get(Event, event_id)
        assert room is not None and slot is not None and event is not None
        pitch.pin_room_key, pitch.pin_slot_key, pitch.updated_at = room.key, slot.key, ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.pin",
                        detail={"pitch": pitch.id, "room": room.key, "slot": slot.key}))
        when = slot_time(slot.start, slot.end, ZoneInfo(event.timezone))
        return f"Pinned #{pitch.id} {pitch.title} to {room.name} at {when}; the next solve keeps it there."


def unpin_pitch(ctx: AppContext, event_id: int, pitch_ref: str, *, actor: str = "") -> str:
    with session_scope(ctx.engine) as db:
        pitch = find_pitch(db, event_id, pitch_ref)
        pitch.pin_room_key = pitch.pin_slot_key = None
        pitch.updated_at = ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.unpin", detail={"pitch": pitch.id}))
        return f"#{pitch.id} {pitch.title} is no longer pinned."


def set_excluded(ctx: AppContext, event_id: int, pitch_ref: str, excluded: bool, *, actor: str = "") -> str:
    """Leave a pitch out of the next solves (or take it back in)."""
    with session_scope(ctx.engine) as db:
        pitch = find_pitch(db, event_id, pitch_ref)
        pitch.excluded = excluded
        pitch.updated_at = ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.exclude" if excluded else "pitch.include",
                        detail={"pitch": pitch.id}))
        if excluded:
            return f"#{pitch.id} {pitch.title} is left out of the next solve (/camp include {pitch.id} to undo)."
        return f"#{pitch.id} {pitch.title} is back in for the next solve."

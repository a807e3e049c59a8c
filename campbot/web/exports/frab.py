"""The grid as frab/pretalx schedule JSON, so existing conference apps can show it.

Follows the c3voc schedule JSON schema (``schedule.conference.days[].rooms{name: [event]}``)
that frab and pretalx publish and apps such as Giggity, ConfClerk or the c3nav/VOC tools
read.  Choices where the schema leaves room:

* ``guid`` values are UUID5s of the event slug and the pitch (or room) id, so they stay
  the same across re-plans; an app then updates a session instead of duplicating it.
* Event ``id`` must be a positive integer: the digits of the pitch id ("p12" -> 12) when
  every pitch id has distinct digits, otherwise a stable 31-bit number from the guid.
* ``persons`` carry ``name`` and the older ``public_name``, display names only.
* ``acronym`` is the event slug reduced to the schema's ``[a-z0-9_]`` alphabet.
* ``timeslot_duration`` is the largest step that every slot boundary falls on (e.g.
  "00:05" for 10:00-10:55), so apps draw the grid without rounding anyone's time.
* ``day_start``/``day_end`` are the first slot's start and the last slot's end that day.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from campbot.web.exports.grid_view import (
    GridView,
    Placement,
    days,
    local_day,
    local_time,
    notes_url,
    ordered_slots,
    placements,
    slugify,
)

LANGUAGE = "en"


def _guid(view: GridView, kind: str, item_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:campbot:{view.event_slug}:{kind}:{item_id}"))


def _hhmm(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def acronym(view: GridView) -> str:
    """The event slug in the schema's acronym alphabet (lowercase letters, digits, "_")."""
    return re.sub(r"[^a-z0-9_]", "_", view.event_slug.lower()) or "camp"


def _event_ids(view: GridView, items: list[Placement]) -> dict[str, int]:
    digits = {}
    for p in items:
        match = re.search(r"(\d+)$", p.session.id)
        digits[p.session.id] = int(match.group(1)) if match else 0
    values = list(digits.values())
    if all(v > 0 for v in values) and len(set(values)) == len(values):
        return digits
    return {p.session.id: (uuid.UUID(_guid(view, "session", p.session.id)).int >> 97) or 1 for p in items}


def _timeslot_duration(view: GridView) -> str:
    step = 0
    for slot in view.slots:
        for moment in (slot.start, slot.end):
            local = local_time(view, moment)
            step = math.gcd(step, local.hour * 60 + local.minute)
    step = step or 60
    return _hhmm(timedelta(minutes=min(step, 60)))


def _iso(view: GridView, moment: datetime) -> str:
    return local_time(view, moment).isoformat()


def _event(view: GridView, placement: Placement, event_id: int, base_url: str) -> dict[str, Any]:
    session = placement.session
    notes = notes_url(view, placement)
    title_slug = slugify(session.title, max_length=50)
    slug = "-".join(part for part in (acronym(view).replace("_", "-"), str(event_id), title_slug) if part)
    if notes:
        url = notes
    elif base_url:
        url = f"{base_url.rstrip('/')}/grid#session-{session.id}"
    else:
        url = ""
    return {
        "id": event_id,
        "guid": _guid(view, "session", session.id),
        "date": _iso(view, placement.start),
        "start": local_time(view, placement.start).strftime("%H:%M"),
        "duration": _hhmm(placement.end - placement.start),
        "room": placement.room.name,
        "slug": slug.strip("-"),
        "url": url,
        "title": session.title,
        "subtitle": "",
        "track": session.tags[0] if session.tags else None,
        "type": session.format,
        "language": LANGUAGE,
        "abstract": session.description,
        "description": session.description,
        "persons": [{"name": name, "public_name": name} for name in session.hosts],
        "links": [{"url": notes, "title": "Session notes"}] if notes else [],
        "attachments": [],
    }


def schedule_data(view: GridView, *, base_url: str = "") -> dict[str, Any]:
    """The frab schedule as plain JSON-ready data."""
    items = placements(view)
    ids = _event_ids(view, items)
    slots = ordered_slots(view)
    out_days = []
    for index, day in enumerate(days(view), start=1):
        day_slots = [s for s in slots if local_day(view, s.start) == day]
        rooms: dict[str, list[dict[str, Any]]] = {r.name: [] for r in view.rooms}
        for p in items:
            if local_day(view, p.start) == day:
                rooms[p.room.name].append(_event(view, p, ids[p.session.id], base_url))
        out_days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": _iso(view, day_slots[0].start),
                "day_end": _iso(view, max(s.end for s in day_slots)),
                "rooms": rooms,
            }
        )
    event_days = days(view)
    conference: dict[str, Any] = {
        "acronym": acronym(view),
        "title": view.event_name,
        "start": event_days[0].isoformat() if event_days else "",
        "end": event_days[-1].isoformat() if event_days else "",
        "daysCount": len(event_days),
        "timeslot_duration": _timeslot_duration(view),
        "time_zone_name": view.timezone,
        "rooms": [
            {
                "name": r.name,
                "guid": _guid(view, "room", r.id),
                "description": ", ".join(f.replace("_", " ") for f in r.features) or None,
                "capacity": r.capacity,
            }
            for r in view.rooms
        ],
        "days": out_days,
    }
    if base_url:
        conference["url"] = base_url
    schedule: dict[str, Any] = {"version": str(view.version)}
    if base_url:
        schedule["base_url"] = base_url
    schedule["conference"] = conference
    return {"schedule": schedule}


def render_frab_json(view: GridView, *, base_url: str = "") -> str:
    """The grid as frab/pretalx ``schedule.json``; ``base_url`` is where the grid is served."""
    return json.dumps(schedule_data(view, base_url=base_url), ensure_ascii=False, indent=2) + "\n"

"""JSON open data of the published grid and of the pitch list.

Open by default, but only what is already public on the wall: titles, descriptions,
rooms, times and host *display names*.  No Slack ids, no voters, no e-mail addresses:
the :class:`GridView` contract does not even carry them.  Times are ISO 8601 with the
event's UTC offset, so a reader needs no timezone database to get them right, and each
document names its schema so consumers can tell versions apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from campbot.web.exports.grid_view import (
    GridView,
    PitchListItem,
    event_tag,
    hashtags,
    local_day,
    local_time,
    need_label,
    notes_url,
    ordered_slots,
    placements,
    slot_numbers,
)

GRID_SCHEMA = "campbot.grid/1"
PITCHES_SCHEMA = "campbot.pitches/1"


def _iso(view: GridView, moment: datetime) -> str:
    return local_time(view, moment).isoformat()


def _dump(data: Any) -> str:
    # ensure_ascii=False keeps "Café" readable; json.dumps still escapes control characters.
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def grid_data(view: GridView) -> dict[str, Any]:
    """The grid as plain JSON-ready data (also handy for callers that embed it)."""
    numbers = slot_numbers(view)
    sessions = []
    for placement in placements(view):
        session = placement.session
        sessions.append(
            {
                "id": session.id,
                "title": session.title,
                "description": session.description,
                "format": session.format,
                "hosts": list(session.hosts),
                "room_id": placement.room.id,
                "room": placement.room.name,
                "slot_ids": [s.id for s in placement.slots],
                "start": _iso(view, placement.start),
                "end": _iso(view, placement.end),
                "double": placement.is_double,
                "needs": [{"id": n, "label": need_label(n)} for n in session.needs],
                "tags": list(session.tags),
                "interested": session.interested,
                "notes_url": notes_url(view, placement),
                "hashtags": hashtags(view, session),
            }
        )
    return {
        "schema": GRID_SCHEMA,
        "event": {
            "name": view.event_name,
            "slug": view.event_slug,
            "timezone": view.timezone,
            "hashtag": event_tag(view),
        },
        "version": view.version,
        "published_at": _iso(view, view.published_at),
        "changelog": list(view.changelog),
        "rooms": [
            {"id": r.id, "name": r.name, "capacity": r.capacity, "features": list(r.features)} for r in view.rooms
        ],
        "slots": [
            {
                "id": s.id,
                "day": local_day(view, s.start).isoformat(),
                "number": numbers[s.id],
                "start": _iso(view, s.start),
                "end": _iso(view, s.end),
                "block": s.block,
            }
            for s in ordered_slots(view)
        ],
        "sessions": sessions,
    }


def render_grid_json(view: GridView) -> str:
    """The published grid as open-data JSON (``campbot.grid/1``)."""
    return _dump(grid_data(view))


def render_pitches_json(items: Iterable[PitchListItem]) -> str:
    """The pitch list as open-data JSON (``campbot.pitches/1``)."""
    return _dump(
        {
            "schema": PITCHES_SCHEMA,
            "pitches": [
                {
                    "id": i.id,
                    "title": i.title,
                    "hosts": list(i.hosts),
                    "format": i.format,
                    "tags": list(i.tags),
                    "interested": i.interested,
                    "status": i.status,
                }
                for i in items
            ],
        }
    )

"""The published grid read back from the database for the exports, and `campbot export`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.exporting import grid_view, person_feed, pitch_list
from campbot.services.importing import import_pitches, read_pitch_file
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Person, Pitch, Placement, Room, Slot
from campbot.web.exports.files import export_files
from tests.conftest import ROOT


def _publish_by_hand(ctx: AppContext, event: Event, placements: list[tuple[int, str, str]], number: int) -> None:
    with session_scope(ctx.engine) as db:
        rooms = {r.key: r.id for r in db.exec(select(Room).where(Room.event_id == event.id))}
        slots = {s.key: s.id for s in db.exec(select(Slot).where(Slot.event_id == event.id))}
        version = GridVersion(event_id=event.id, number=number, status="published",
                              published_at=ctx.now(), changelog=[f"version {number}"])
        db.add(version)
        db.flush()
        for pitch_id, room, slot in placements:
            length = db.get(Pitch, pitch_id).length  # type: ignore[union-attr]
            db.add(Placement(grid_version_id=version.id, pitch_id=pitch_id, room_id=rooms[room],
                             slot_id=slots[slot], length=length))


@pytest.fixture
def pitches(ctx: AppContext, event: Event) -> dict[str, int]:
    assert event.id is not None
    spec = read_pitch_file(ROOT / "examples" / "localgovcamp-pitches.yaml")
    return import_pitches(ctx, event.id, spec).pitch_ids


def test_nothing_published_means_no_view(ctx: AppContext, event: Event, pitches: dict[str, int],
                                         tmp_path: Path) -> None:
    assert event.id is not None
    assert grid_view(ctx, event.id) is None
    with pytest.raises(NotFound, match="publish one first"):
        export_files(ctx, event.id, tmp_path)


def test_view_follows_the_latest_version(ctx: AppContext, event: Event, pitches: dict[str, int],
                                         tmp_path: Path) -> None:
    assert event.id is not None
    double = next(pid for pid in pitches.values() if _length(ctx, pid) == 2)
    single = pitches["p1"]
    _publish_by_hand(ctx, event, [(double, "r1", "t3"), (single, "r2", "t1")], 1)
    _publish_by_hand(ctx, event, [(double, "r1", "t4"), (single, "r3", "t1")], 2)
    view = grid_view(ctx, event.id)
    assert view is not None and view.version == 2
    by_id = {s.id: s for s in view.sessions}
    assert by_id[f"p{double}"].slot_ids == ("t4", "t5")
    assert by_id[f"p{single}"].room_id == "r3" and by_id[f"p{single}"].hosts == ("Helen Roberts", "Nia Owen")
    old = grid_view(ctx, event.id, 1)
    assert old is not None and {s.id: s for s in old.sessions}[f"p{double}"].slot_ids == ("t3", "t4")
    assert grid_view(ctx, event.id, 7) is None

    written = export_files(ctx, event.id, tmp_path)
    assert sorted(p.name for p in written) == sorted(
        ["grid.html", "event.ics", "grid.csv", "grid.json", "schedule.json", "pitches.json", "pitches.csv"])
    rows = list(csv.reader(io.StringIO((tmp_path / "grid.csv").read_text())))
    assert rows[0][:6] == ["Year", "Time", "Session", "Room", "Capacity", "Title"]
    assert len(rows) == 1 + 3  # the double session fills two rows
    listed = json.loads((tmp_path / "pitches.json").read_text())
    text = json.dumps(listed)
    assert "U0" not in text and "feed_token" not in text


def test_person_feed_has_votes_and_hosted(ctx: AppContext, event: Event, pitches: dict[str, int]) -> None:
    assert event.id is not None
    with session_scope(ctx.engine) as db:
        host = db.exec(select(Person).where(Person.display_name == "Helen Roberts")).first()
        voter = db.exec(select(Person).where(Person.display_name == "u2")).one()
    assert host is not None
    name, ids = person_feed(ctx, host.feed_token)  # type: ignore[misc]
    assert name == "Helen Roberts" and f"p{pitches['p1']}" in ids
    _, voted = person_feed(ctx, voter.feed_token)  # type: ignore[misc]
    assert len(voted) == 10
    assert person_feed(ctx, "not-a-token") is None
    statuses = {p.status for p in pitch_list(ctx, event.id)}
    assert statuses == {"open"}


def _length(ctx: AppContext, pitch_id: int) -> int:
    with session_scope(ctx.engine) as db:
        return db.get(Pitch, pitch_id).length  # type: ignore[union-attr]

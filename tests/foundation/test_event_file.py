"""The event set-up file: good files load, bad ones are refused whole with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services import organising
from campbot.services.event_file import EventFileError, parse_event_file, read_event_file
from campbot.services.events import get_event, load_event
from campbot.store.db import session_scope
from campbot.store.tables import Event, Room, Slot
from tests.conftest import EXAMPLE_EVENT

GOOD = EXAMPLE_EVENT.read_text()


def test_example_loads_with_local_times_resolved(ctx: AppContext) -> None:
    event = load_event(ctx, read_event_file(EXAMPLE_EVENT))
    with session_scope(ctx.engine) as db:
        slots = db.exec(select(Slot).where(Slot.event_id == event.id).order_by(Slot.position)).all()
        rooms = db.exec(select(Room).where(Room.event_id == event.id)).all()
    assert [s.key for s in slots] == ["t1", "t2", "t3", "t4", "t5"]
    # 10:00 British Summer Time is 09:00 UTC
    assert slots[0].start.isoformat() == "2026-06-20T09:00:00+00:00"
    assert {s.block for s in slots} == {"am", "pm"}
    assert len(rooms) == 7 and max(r.capacity for r in rooms) == 80
    assert event.vote_quota == 10 and event.organisers == ["U0ORGANISE1", "U0ORGANISE2"]


def test_reloading_updates_in_place(ctx: AppContext) -> None:
    first = load_event(ctx, read_event_file(EXAMPLE_EVENT))
    second = load_event(ctx, parse_event_file(GOOD.replace("capacity: 80", "capacity: 90")))
    assert first.id == second.id
    with session_scope(ctx.engine) as db:
        assert db.exec(select(Room).where(Room.key == "r1")).one().capacity == 90
        assert len(db.exec(select(Room)).all()) == 7


def test_reloading_keeps_blind_voting_set_in_slack_unless_the_file_says(ctx: AppContext) -> None:
    event = load_event(ctx, read_event_file(EXAMPLE_EVENT))
    assert event.id is not None and not event.hide_counts
    organising.set_hide_counts(ctx, event.id, hide=True, actor="U0ORGANISE1")  # /camp voting hide-counts
    assert load_event(ctx, parse_event_file(GOOD)).hide_counts  # the file says nothing: kept
    said = GOOD.replace("    opens:", "    hide_counts: false\n    opens:", 1)
    assert not load_event(ctx, parse_event_file(said)).hide_counts  # the file says: the file wins


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("capacity: 80", "capacity: -5"), "rooms[0].capacity"),
        (("timezone: Europe/London", "timezone: Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (("{id: r2,", "{id: r1,"), "rooms[1].id: 'r1' is used twice"),
        (("features: [hearing_loop, projector, step_free]}", "features: [lasers]}"), "unknown feature 'lasers'"),
        (('end: "10:45"', 'end: "09:30"'), "t1 ends before it starts"),
        (("vote_quota: 10", "vote_qouta: 10"), "event.vote_qouta: unknown field"),
        (("organisers: [U0ORGANISE1, U0ORGANISE2]", "organisers: [alice]"), "not a Slack user id"),
        (("  - {id: t2", "  - {id: t2x"), None),  # a renamed slot is fine on its own
    ],
)
def test_bad_file_names_field_and_changes_nothing(
    ctx: AppContext, change: tuple[str, str], expected: str | None
) -> None:
    load_event(ctx, read_event_file(EXAMPLE_EVENT))
    before = _snapshot(ctx)
    text = GOOD.replace(*change)
    assert text != GOOD
    if expected is None:
        parse_event_file(text)
        return
    with pytest.raises(EventFileError) as info:
        load_event(ctx, parse_event_file(text, "camp.yaml"))
    assert expected in str(info.value)
    assert str(info.value).startswith("camp.yaml")
    assert _snapshot(ctx) == before


def test_not_yaml_names_the_line() -> None:
    with pytest.raises(EventFileError, match="not valid YAML at line 3"):
        parse_event_file("event:\n  name: [unclosed\n")


def test_time_of_day_needs_a_date() -> None:
    with pytest.raises(EventFileError, match="event.date"):
        parse_event_file(GOOD.replace("  date: 2026-06-20\n", ""))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="cannot read"):
        read_event_file(tmp_path / "nope.yaml")


def test_get_event_without_any_explains_how_to_load(ctx: AppContext) -> None:
    with pytest.raises(Exception, match="campbot event load"):
        get_event(ctx)


def _snapshot(ctx: AppContext) -> list[tuple]:
    with session_scope(ctx.engine) as db:
        events = [(e.slug, e.name, e.timezone, e.vote_quota) for e in db.exec(select(Event))]
        rooms = [(r.key, r.name, r.capacity, tuple(r.features)) for r in db.exec(select(Room).order_by(Room.key))]
        slots = [(s.key, s.start, s.end) for s in db.exec(select(Slot).order_by(Slot.key))]
    return [events, rooms, slots]

"""The App Home data: votes and quota, my pitches, and my agenda from the latest published grid."""

from __future__ import annotations

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.home import home_for, set_reminders
from campbot.services.organising import set_voting
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch, withdraw_pitch
from campbot.services.voting import toggle_vote
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Person, Placement, Room, Slot


def test_home_lists_votes_pitches_and_agenda(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    eid = event.id
    set_voting(ctx, eid, open_=True, actor="test")
    mine = create_pitch(ctx, eid, "U1", PitchInput(title="My talk", length=2)).id
    liked = create_pitch(ctx, eid, "U2", PitchInput(title="Liked")).id
    gone = create_pitch(ctx, eid, "U2", PitchInput(title="Gone")).id
    unplaced = create_pitch(ctx, eid, "U2", PitchInput(title="Unplaced")).id
    for pid in (liked, gone, unplaced):
        toggle_vote(ctx, eid, "U1", pid)
    withdraw_pitch(ctx, eid, gone, "U2")

    before = home_for(ctx, eid, "U1")
    assert before.grid_version is None and before.agenda == []
    assert [p.title for p in before.my_pitches] == ["My talk"]
    assert [p.title for p in before.my_votes] == ["Liked", "Unplaced"]  # withdrawn ones drop out
    assert (before.used, before.quota, before.left, before.voting_open) == (2, 10, 8, True)

    with session_scope(ctx.engine) as db:
        rooms = {r.key: r for r in db.exec(select(Room).where(Room.event_id == eid))}
        slots = {s.key: s for s in db.exec(select(Slot).where(Slot.event_id == eid))}
        old = GridVersion(event_id=eid, number=1, status="published")
        new = GridVersion(event_id=eid, number=2, status="published")
        draft = GridVersion(event_id=eid, status="draft")
        db.add_all([old, new, draft])
        db.flush()
        db.add_all(
            [
                Placement(grid_version_id=old.id, pitch_id=liked, room_id=rooms["r7"].id, slot_id=slots["t5"].id),
                Placement(grid_version_id=new.id, pitch_id=liked, room_id=rooms["r2"].id, slot_id=slots["t3"].id),
                Placement(
                    grid_version_id=new.id, pitch_id=mine, room_id=rooms["r1"].id, slot_id=slots["t1"].id, length=2
                ),
                Placement(grid_version_id=draft.id, pitch_id=unplaced, room_id=rooms["r3"].id, slot_id=slots["t4"].id),
            ]
        )
    after = home_for(ctx, eid, "U1")
    assert after.grid_version == 2
    agenda = [(a.title, a.room, f"{a.start:%H:%M}", f"{a.end:%H:%M}", a.hosting) for a in after.agenda]
    # local (Europe/London) times; the double runs t1 to the end of t2
    assert agenda == [
        ("My talk", "Main hall", "10:00", "11:45", True),
        ("Liked", "Council chamber", "13:00", "13:45", False),
    ]


def test_reminder_switch(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    assert home_for(ctx, event.id, "U5").reminders_enabled is True
    assert set_reminders(ctx, event.id, "U5", False) is False
    assert home_for(ctx, event.id, "U5").reminders_enabled is False
    with session_scope(ctx.engine) as db:
        assert len(db.exec(select(Person).where(Person.slack_user_id == "U5")).all()) == 1

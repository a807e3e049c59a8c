"""Pitch use cases without Slack: checks, host-only changes, withdraw, merge, paper pitches."""

from __future__ import annotations

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import NotAllowed, ServiceError
from campbot.services.organising import set_voting
from campbot.services.pitch_desk import add_paper_pitch, merge_pitches
from campbot.services.pitch_input import InvalidPitch, PitchInput, check_pitch, parse_paper_command, parse_tags
from campbot.services.pitching import create_pitch, edit_pitch, get_pitch_card, list_pitches, withdraw_pitch
from campbot.services.voting import toggle_vote
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, Pitch, Vote

SLOTS = ["t1", "t2", "t3", "t4", "t5"]


@pytest.fixture
def open_event(ctx: AppContext, event: Event) -> int:
    assert event.id is not None
    set_voting(ctx, event.id, open_=True, actor="test")
    return event.id


def test_checks_name_each_bad_field() -> None:
    ok = PitchInput(title="Fine")
    assert check_pitch(ok, SLOTS) == {}
    bad = PitchInput(
        title=" ",
        description="x" * 501,
        format="talk",
        length=3,
        needs=("jacuzzi",),
        unavailable_slots=("t9",),
        tags=tuple("abcdefghi"),
    )
    assert set(check_pitch(bad, SLOTS)) == {"title", "description", "format", "length", "needs", "unavailable", "tags"}
    assert "untick" in check_pitch(PitchInput(title="x", unavailable_slots=tuple(SLOTS)), SLOTS)["unavailable"]
    assert parse_tags(" Housing, #data,\nhousing ,, ") == ("housing", "data")


def test_create_dedupes_hosts_and_rejects_whole(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    card = create_pitch(ctx, event.id, "U1", PitchInput(title="  Bins  ", cohost_user_ids=("U1", "U2", "U2")))
    assert card.title == "Bins" and card.host_user_ids == ("U1", "U2")
    with pytest.raises(InvalidPitch) as info:
        create_pitch(ctx, event.id, "U1", PitchInput(title="x" * 81))
    assert "title" in info.value.errors
    assert [p.title for p in list_pitches(ctx, event.id)] == ["Bins"]


def test_only_hosts_edit_and_withdraw(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    pid = create_pitch(ctx, event.id, "U1", PitchInput(title="Mine", cohost_user_ids=("U2",))).id
    with pytest.raises(NotAllowed):
        edit_pitch(ctx, event.id, pid, "U3", PitchInput(title="Theirs"))
    with pytest.raises(NotAllowed):
        withdraw_pitch(ctx, event.id, pid, "U3")
    edited = edit_pitch(ctx, event.id, pid, "U2", PitchInput(title="Ours", cohost_user_ids=("U1",)))
    assert edited.title == "Ours" and set(edited.host_user_ids) == {"U1", "U2"}
    assert withdraw_pitch(ctx, event.id, pid, "U1").status == "withdrawn"
    with pytest.raises(ServiceError):
        edit_pitch(ctx, event.id, pid, "U1", PitchInput(title="Back"))


def test_withdraw_keeps_votes_and_frees_quota(ctx: AppContext, open_event: int) -> None:
    pid = create_pitch(ctx, open_event, "U1", PitchInput(title="Soon gone")).id
    assert toggle_vote(ctx, open_event, "U9", pid).used == 1
    withdraw_pitch(ctx, open_event, pid, "U1")
    other = create_pitch(ctx, open_event, "U1", PitchInput(title="Other")).id
    assert toggle_vote(ctx, open_event, "U9", other).used == 1  # the withdrawn vote no longer counts
    with session_scope(ctx.engine) as db:
        assert len(db.exec(select(Vote).where(Vote.pitch_id == pid)).all()) == 1


def test_merge_moves_votes_once_and_sums_paper(ctx: AppContext, open_event: int) -> None:
    a = create_pitch(ctx, open_event, "U1", PitchInput(title="A", needs=("quiet",), unavailable_slots=("t1",))).id
    b = create_pitch(ctx, open_event, "U2", PitchInput(title="B", unavailable_slots=("t2",))).id
    for user in ("U5", "U6"):
        toggle_vote(ctx, open_event, user, a)
    for user in ("U6", "U7"):
        toggle_vote(ctx, open_event, user, b)
    with session_scope(ctx.engine) as db:
        for pid, paper in ((a, 4), (b, 1)):
            row = db.get(Pitch, pid)
            assert row is not None
            row.paper_votes = paper
            db.add(row)
    result = merge_pitches(ctx, open_event, a, b, actor="U0ORGANISE1")
    assert (result.moved, result.duplicates) == (1, 1)
    target = get_pitch_card(ctx, open_event, b)
    assert target.votes == 3 and target.paper_votes == 5 and target.interest == 8
    assert set(target.host_user_ids) == {"U1", "U2"} and target.needs == ("quiet",)
    assert set(target.unavailable_slots) == {"t1", "t2"}
    source = get_pitch_card(ctx, open_event, a)
    assert source.status == "merged" and source.merged_into_id == b and source.votes == 0
    assert toggle_vote(ctx, open_event, "U6", b).voted is False  # U6 had one vote on B, now none
    with pytest.raises(ServiceError):
        merge_pitches(ctx, open_event, a, b, actor="x")  # A is merged already
    with pytest.raises(ServiceError):
        merge_pitches(ctx, open_event, b, b, actor="x")
    with session_scope(ctx.engine) as db:
        assert db.exec(select(AuditLog).where(AuditLog.action == "pitch.merge")).one().detail["moved"] == 1


def test_paper_pitch(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    card = add_paper_pitch(
        ctx, event.id, title="Libraries", host_names=["Sam Jones", " ", "Priya"], paper_votes=12, actor="U0ORGANISE1"
    )
    assert card.host_names == ("Sam Jones", "Priya") and card.paper_votes == 12 and card.host_user_ids == ()
    with pytest.raises(InvalidPitch) as info:
        add_paper_pitch(ctx, event.id, title="", host_names=[], paper_votes=-1, actor="x")
    assert set(info.value.errors) == {"title", "hosts", "votes"}
    assert len(list_pitches(ctx, event.id)) == 1


@pytest.mark.parametrize(
    ("text", "title", "hosts", "votes"),
    [
        ('"Libraries as hubs" by Sam Jones, Priya Shah votes 12', "Libraries as hubs", ["Sam Jones", "Priya Shah"], 12),
        ("“Curly quotes” by Ann and Bob", "Curly quotes", ["Ann", "Bob"], 0),
        ('"One" BY Alexander votes 1', "One", ["Alexander"], 1),
    ],
)
def test_parse_paper_command(text: str, title: str, hosts: list[str], votes: int) -> None:
    parsed = parse_paper_command(text)
    assert (parsed.title, parsed.hosts, parsed.votes) == (title, hosts, votes)


@pytest.mark.parametrize("text", ["no quotes by Ann", '"Title only"', '"T" by'])
def test_parse_paper_command_refuses_with_usage(text: str) -> None:
    with pytest.raises(ServiceError, match="/camp paper"):
        parse_paper_command(text)

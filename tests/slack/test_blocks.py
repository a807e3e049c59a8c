"""Block Kit builders stay within Slack's limits, with worst-case input, and escape user text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campbot.services.home import AgendaItem, HomeData, HomePitch
from campbot.services.pitch_input import DESCRIPTION_MAX, TITLE_MAX, PitchInput
from campbot.services.pitching import PitchCard, SlotTime
from campbot.slack.blocks import limits
from campbot.slack.blocks.home import home_view
from campbot.slack.blocks.pitch_card import pitch_card_blocks, pitch_card_text, withdraw_confirm_blocks
from campbot.slack.blocks.pitch_modal import modal_errors, paper_modal, pitch_modal, read_pitch_form
from campbot.slack.escape import escape, truncate
from tests.support.slack_requests import view_state

WORST = "&<>" * 400  # every character escapes to 4-5 characters


def card(**kw: object) -> PitchCard:
    base: dict[str, object] = dict(
        id=7,
        event_id=1,
        title="A title",
        description="",
        format="workshop",
        length=2,
        needs=("projector",),
        tags=("housing",),
        unavailable_slots=(),
        status="active",
        merged_into_id=None,
        host_user_ids=("U1",),
        host_names=(),
        votes=3,
        paper_votes=0,
        channel="C1",
        message_ts="1.1",
    )
    base.update(kw)
    return PitchCard(**base)  # type: ignore[arg-type]


def slots(n: int) -> list[SlotTime]:
    start = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
    return [SlotTime(f"t{i}", start + timedelta(hours=i), start + timedelta(hours=i, minutes=45)) for i in range(n)]


def test_the_checker_catches_what_slack_refuses() -> None:
    too_many = [{"type": "divider"}] * 51
    assert limits.problems_in_message(too_many)
    assert limits.problems_in_message([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert limits.problems_in_view({"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []})
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    assert limits.problems_in_message([{"type": "actions", "elements": [button]}])
    assert limits.problems_in_view({"type": "home", "blocks": [{"type": "divider"}] * 101})
    assert not limits.problems_in_view({"type": "home", "blocks": [{"type": "divider"}] * 100})


@pytest.mark.parametrize("status", ["active", "withdrawn", "merged"])
def test_card_worst_case_fits(status: str) -> None:
    c = card(
        title=WORST[:TITLE_MAX],
        description=WORST[:DESCRIPTION_MAX],
        tags=tuple("t" * 30 for _ in range(8)),
        host_user_ids=tuple(f"U{i}" for i in range(6)),
        host_names=(WORST[:100],),
        status=status,
        merged_into_id=9,
        paper_votes=2000,
    )
    blocks = pitch_card_blocks(c, placement=WORST[:200])
    assert limits.problems_in_message(blocks) == []
    assert len(pitch_card_text(c)) <= 300


def test_card_shows_count_not_voters_and_escapes() -> None:
    c = card(title="<!channel> & <@U9>", description="<http://x|y>", votes=4, paper_votes=2)
    text = str(pitch_card_blocks(c)) + pitch_card_text(c)
    assert "<!channel>" not in text and "<@U9>" not in text and "<http://x|y>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U9&gt;" in text and "&lt;http://x|y&gt;" in text
    assert "*6* interested (2 by show of hands)" in text
    assert "vote_toggle" in text and "pitch_menu" in text


def test_card_placement_is_shown_when_given() -> None:
    assert "Main hall, 11:00" in str(pitch_card_blocks(card(), placement="Main hall, 11:00–11:45"))
    assert ":round_pushpin:" not in str(pitch_card_blocks(card()))


def test_withdraw_confirm_fits() -> None:
    assert limits.problems_in_message(withdraw_confirm_blocks(card(title=WORST[:80]))) == []


@pytest.mark.parametrize("n_slots", [0, 5, 10, 11, 40])
def test_pitch_modal_fits(n_slots: int) -> None:
    initial = PitchInput(
        title="x" * 80,
        description="y" * 500,
        cohost_user_ids=("U2", "U3"),
        format="demo",
        length=2,
        needs=("quiet",),
        unavailable_slots=("t1",),
        tags=("a", "b"),
    )
    for view in (pitch_modal(slots(n_slots)), pitch_modal(slots(n_slots), initial=initial, pitch_id=99)):
        assert limits.problems_in_view(view) == []
        assert len(view["title"]["text"]) <= limits.MODAL_TITLE
    kinds = {b["block_id"]: b["element"]["type"] for b in pitch_modal(slots(n_slots))["blocks"]}
    if n_slots == 0:
        assert "unavailable" not in kinds
    else:
        assert kinds["unavailable"] == ("checkboxes" if n_slots <= 10 else "multi_static_select")


def test_paper_modal_fits() -> None:
    assert limits.problems_in_view(paper_modal()) == []


def test_modal_round_trip_reads_what_slack_sends() -> None:
    view = pitch_modal(slots(5))
    state = view_state(
        view,
        {
            "title": " Bins ",
            "description": "About bins",
            "cohosts": ["U2"],
            "format": "demo",
            "length": "2",
            "needs": ["quiet", "projector"],
            "unavailable": ["t2"],
            "tags": "Waste, #bins,, waste",
        },
    )
    got = read_pitch_form({**view, "state": {"values": state}})
    assert got == PitchInput(
        title=" Bins ",
        description="About bins",
        cohost_user_ids=("U2",),
        format="demo",
        length=2,
        needs=("quiet", "projector"),
        unavailable_slots=("t2",),
        tags=("waste", "bins"),
    )


def test_modal_errors_only_name_blocks_in_the_view() -> None:
    view = pitch_modal([])
    assert modal_errors({"unavailable": "bad"}, view) == {"title": "bad"}
    assert modal_errors({"title": "x" * 500}, view)["title"] == "x" * 150


def home_data(n: int, *, published: bool) -> HomeData:
    start = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
    items = [HomePitch(i, WORST[:80], "active", 5) for i in range(n)]
    agenda = [AgendaItem(i, WORST[:80], WORST[:100], start, start, i % 2 == 0) for i in range(n)]
    return HomeData(
        event_name=WORST[:200],
        voting_open=True,
        quota=10,
        used=n,
        my_pitches=items,
        my_votes=items,
        agenda=agenda if published else [],
        grid_version=3 if published else None,
        reminders_enabled=n % 2 == 0,
        timezone="Europe/London",
    )


@pytest.mark.parametrize("n", [0, 1, 19, 20, 21, 300])
@pytest.mark.parametrize("published", [False, True])
def test_home_fits_however_much_someone_did(n: int, published: bool) -> None:
    view = home_view(home_data(n, published=published))
    assert limits.problems_in_view(view) == []
    assert "<" not in str(view).replace("<@", "")  # nothing unescaped from user text


def test_escape_and_truncate() -> None:
    assert escape("<!channel> & <@U1> <http://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;"
    assert escape('it\'s "fine"') == 'it\'s "fine"'
    assert escape(None) == ""
    assert truncate("ab&amp;cd", 6) == "ab…"  # never cuts inside an entity
    assert truncate("abc", 3) == "abc"

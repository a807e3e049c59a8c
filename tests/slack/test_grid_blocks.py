"""The grid's Block Kit builders stay inside Slack's limits at the worst sizes, and escape user text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from campbot.services.grid_queries import GridEntry, ResolvedGrid, SlotInfo
from campbot.slack.blocks import limits
from campbot.slack.blocks.grid import changelog_message, grid_messages, replan_dm
from campbot.slack.blocks.preview import (
    Alternative,
    bound_words,
    failed_blocks,
    figures_lines,
    preview_blocks,
    progress_blocks,
)

NASTY = "<!channel> & <@U1> <http://evil|x> *bold* "


def _grid(rooms: int, slots: int, title: str, *, number: int | None = 3) -> ResolvedGrid:
    day = datetime(2026, 6, 20, 9, tzinfo=UTC)
    infos = tuple(SlotInfo(f"t{j}", day + timedelta(hours=j), day + timedelta(hours=j, minutes=45), "d")
                  for j in range(slots))
    entries = tuple(
        GridEntry(pitch_id=j * rooms + i, title=f"{title} {j}-{i}", hosts=(NASTY * 3, "Host Two"),
                  host_user_ids=(), room_key=f"r{i}", room_name=f"Room {i} {NASTY}", room_position=i,
                  slot_keys=(s.key,), start=s.start, end=s.end)
        for j, s in enumerate(infos) for i in range(rooms))
    return ResolvedGrid(event_id=1, event_name=f"Camp {NASTY}", timezone="Europe/London", version_id=9,
                        number=number, status="published", slots=infos, entries=entries)


def _text(blocks: list[dict]) -> str:
    return str(blocks)


def test_a_minnebar_sized_grid_is_split_within_limits_and_escaped() -> None:
    grid = _grid(25, 7, NASTY + "x" * 200)
    parts = grid_messages(grid)
    assert len(parts) > 1
    for text, blocks in parts:
        assert limits.problems_in_message(blocks) == []
        assert len(text) < limits.MESSAGE_TEXT
        assert "<!channel>" not in _text(blocks) and "<@U1>" not in _text(blocks) and "<http" not in _text(blocks)
    lines = [ln for _, b in parts for s in b if s["type"] == "section" for ln in s["text"]["text"].split("\n")
             if ln.startswith("*Room")]
    assert len(lines) == 25 * 7  # every session once


def test_the_preview_of_a_huge_grid_stays_one_valid_message() -> None:
    grid = _grid(25, 7, NASTY + "y" * 200, number=None)
    figures = {"kind": "replan", "coverage": 91.234, "seats_short": 3.5, "moves": 4, "scheduled": 170,
               "sessions": 180, "bound": 99.0, "status": "FEASIBLE", "seconds": 12.3, "frozen": ["t0"],
               "baseline": {"coverage": 80.0, "seats_short": 10.0, "moves": 9, "scheduled": 168},
               "left_out": [{"pitch_id": i, "title": NASTY * 5, "reason": NASTY * 4} for i in range(60)],
               "based_on": 2}
    changes = [f"moved: {NASTY * 3}, Room 1 10:00 -> Room 2 11:00"] * 80
    blocks = preview_blocks(grid, figures, changes=changes, seconds=30)
    assert limits.problems_in_message(blocks) == []
    shown = _text(blocks)
    assert "<!channel>" not in shown and "Publish as version 3" in shown
    assert "91.2% (by hand 80.0%" in shown and "Moves: 4 (by hand 9)" in shown
    assert blocks[-1]["elements"][1]["value"] == "replan:30"


def test_the_preview_with_two_grids_stays_one_valid_message_with_a_publish_for_each() -> None:
    grid = _grid(25, 7, NASTY + "y" * 200, number=None)
    figures = {"kind": "solve", "objective": "coverage", "coverage": 92.2, "seats_short": 60.6, "scheduled": 170,
               "sessions": 175, "bound": None, "status": "FEASIBLE", "seconds": 12.3,
               "baseline": {"coverage": 82.8, "seats_short": 7.2, "moves": 0, "scheduled": 160},
               "left_out": [{"pitch_id": i, "title": NASTY * 5, "reason": NASTY * 4} for i in range(60)],
               "room_for_everyone": "made", "based_on": None}
    other = {**figures, "objective": "seats", "coverage": 88.0, "seats_short": 7.0, "scheduled": 168}
    differences = [f"moved: {NASTY * 3}, Room 1 10:00 -> Room 2 11:00"] * 80 + [f"dropped: {NASTY}, was Room 1 10:00"]
    blocks = preview_blocks(grid, figures, changes=[], seconds=30,
                            alternative=Alternative(77, other, differences))
    assert limits.problems_in_message(blocks) == []
    shown = _text(blocks)
    assert "<!channel>" not in shown and "Two draft grids" in shown
    assert "coverage 88.0%, seats short 7.0, 168 of 175 placed (by hand: coverage 82.8%, seats short 7.2" in shown
    assert "It differs from the grid below in 81 session(s)" in shown
    actions = blocks[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in actions] == [
        ("grid_publish", "9"), ("grid_publish_seats", "77"), ("grid_resolve", "solve:30")]
    assert "best possible" not in shown and "no grid can beat" not in shown  # no bound: nothing said


def test_a_grid_that_already_seats_everyone_says_so_and_offers_one_publish() -> None:
    grid = _grid(3, 2, "Talk", number=None)
    figures = {"kind": "solve", "coverage": 90.0, "seats_short": 1.0, "scheduled": 6, "sessions": 6,
               "baseline": {"coverage": 80.0, "seats_short": 2.0, "scheduled": 6}, "room_for_everyone": "same"}
    shown = _text(preview_blocks(grid, figures, changes=[], seconds=5))
    assert "No separate room-for-everyone grid: this one leaves no more people standing" in shown
    assert shown.count("'action_id': 'grid_publish") == 1
    figures["room_for_everyone"] = "not made: the solver crashed (exit code 3)"
    shown = _text(preview_blocks(grid, figures, changes=[], seconds=5))
    assert "No room-for-everyone grid this time (the solver crashed (exit code 3))" in shown


def test_the_bound_is_shown_only_when_it_says_something() -> None:
    assert bound_words(91.0, None) == ""  # the solver proved nothing useful
    assert bound_words(91.0, 100.0) == ""  # "at most 100%" tells nobody anything
    assert bound_words(91.0, 94.25) == "; no grid can beat 94.2%, so this is within 3.2 points of the best"
    assert bound_words(91.0, 91.0) == "; proven the best possible"
    line = figures_lines({"coverage": 91.0, "bound": 94.25, "baseline": {"coverage": 80.0}})[0]
    assert line == ("Coverage (wishes served): 91.0% (by hand 80.0%); no grid can beat 94.2%, "
                    "so this is within 3.2 points of the best")


@settings(max_examples=40, deadline=None)
@given(title=st.text(min_size=1, max_size=200), count=st.integers(min_value=0, max_value=120))
def test_changelog_dm_and_status_messages_are_valid_for_any_text(title: str, count: int) -> None:
    lines = [f"moved: {title}, Room 1 10:00 -> Room 2 11:00"] * count
    text, blocks = changelog_message(title, 2, lines)
    assert limits.problems_in_message(blocks) == [] and text
    text, blocks = replan_dm(title, 2, [("voter", line) for line in lines] or [("host", "dropped: x")])
    assert limits.problems_in_message(blocks) == []
    for blocks in (failed_blocks("solve", title, 5), progress_blocks("solve", "U1", 0.5, title),
                   progress_blocks("replan", "U1", 1.0, title, state="failed")):
        assert limits.problems_in_message(blocks) == []
        if "<" in title or ">" in title:  # only the bot's own mention of the organiser is markup
            assert title not in _text(blocks).replace("<@U1>", "")

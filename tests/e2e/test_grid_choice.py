"""The preview's choice between two grids, end to end over signed Slack requests and the real
solver: the highest-coverage grid, and a "room for everyone" grid whose seats short is no worse
than the by-hand grid's; Publish on either publishes exactly that grid.

The camp is crowded on purpose (tests/support/grid_camp.py crowded_camp), so that the
highest-coverage grid packs some popular sessions into small rooms: the case where the second
grid matters.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from campbot.services import solving
from campbot.services.grid_queries import load_grid, published_grid
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, SolveRun
from tests.e2e.conftest import BotServer
from tests.support.fake_slack import Call, FakeSlack
from tests.support.grid_camp import crowded_camp
from tests.support.slack_requests import SlackSender

ORG, ORG_CHANNEL = "U0ORGANISE1", "C0ORGS"


def _ask(slack: SlackSender, fake: FakeSlack, text: str) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=ORG, channel_id=ORG_CHANNEL).status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("text", ""))


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {el["action_id"]: el for block in call.params["blocks"] for el in block.get("elements") or []
            if el.get("type") == "button"}


def _cells(bot: BotServer, version_id: int) -> dict[int, tuple[str, tuple[str, ...]]]:
    return {pid: (e.room_key, e.slot_keys) for pid, e in load_grid(bot.ctx, version_id).by_pitch().items()}


def test_the_preview_offers_both_grids_and_publishes_the_one_chosen(slack: SlackSender, fake_slack: FakeSlack,
                                                                    bot: BotServer, event: Event) -> None:
    assert event.id is not None
    crowded_camp(bot.ctx, event)

    ack = _ask(slack, fake_slack, "solve 1")
    assert ack.startswith("Solving now.") and "up to" not in ack, ack
    preview = fake_slack.wait_for("chat.postEphemeral", 1, timeout=90)[0]

    with session_scope(bot.ctx.engine) as db:
        run = db.exec(select(SolveRun)).one()
        assert run.id is not None
    result = solving.solve_result(bot.ctx, run.id)
    assert result.status == "done" and result.grid_version_id is not None
    best, by_hand = result.figures, result.figures["baseline"]
    assert best["seats_short"] > by_hand["seats_short"], "the camp no longer packs people in: make it busier"
    other = result.room_for_everyone
    assert other is not None, best.get("room_for_everyone")
    assert other.figures["objective"] == "seats"
    assert other.figures["seats_short"] <= by_hand["seats_short"] + 0.05
    assert other.figures["coverage"] >= by_hand["coverage"] - 0.05

    shown = str(preview.params["blocks"])
    assert "Two draft grids" in shown and "Room for everyone" in shown and "It differs from the grid below" in shown
    assert f"seats short {other.figures['seats_short']:.1f}" in shown
    assert f"Seats short: {best['seats_short']:.1f} (by hand {by_hand['seats_short']:.1f})" in shown
    assert "best possible at most 100.0%" not in shown
    bound = best.get("bound")
    if bound is None or bound >= 99.95:  # the proven bound, with the gap, exactly when it says something
        assert "no grid can beat" not in shown and "proven the best" not in shown
    elif bound - best["coverage"] < 0.05:
        assert "proven the best possible" in shown
    else:
        assert f"no grid can beat {bound:.1f}%, so this is within {bound - best['coverage']:.1f} points" in shown
    buttons = _buttons(preview)
    assert buttons["grid_publish"]["value"] == str(result.grid_version_id)
    assert buttons["grid_publish_seats"]["value"] == str(other.grid_version_id)
    assert "room for everyone" in buttons["grid_publish_seats"]["text"]["text"]
    chosen = _cells(bot, other.grid_version_id)
    assert chosen != _cells(bot, result.grid_version_id)

    before = len(fake_slack.calls_to("response_url"))
    sent = slack.click("grid_publish_seats", buttons["grid_publish_seats"]["value"], user_id=ORG,
                       message={"type": "message", "ts": "1700000099.000001", "text": "", "blocks": []})
    assert sent.status == 200
    reply = str(fake_slack.wait_for("response_url", before + 1, timeout=30)[-1].params.get("text", ""))
    assert reply.startswith("Published version 1"), reply

    live = published_grid(bot.ctx, event.id)
    assert live is not None and live.version_id == other.grid_version_id and live.number == 1
    assert _cells(bot, live.version_id) == chosen  # exactly the grid chosen, cell for cell
    with session_scope(bot.ctx.engine) as db:
        left = db.get(GridVersion, result.grid_version_id)
        assert left is not None and left.status == "draft"  # the other one stays a draft

    # the other grid of the same run is now out of date, typed or clicked
    assert "`seats`" in _ask(slack, fake_slack, "publish everything")
    assert "out of date" in _ask(slack, fake_slack, f"publish {run.id} coverage")
    with session_scope(bot.ctx.engine) as db:
        assert len(db.exec(select(GridVersion).where(GridVersion.status == "published")).all()) == 1

    again = _ask(slack, fake_slack, "solve 1")
    assert again.startswith("Solving now.") and "the last solve took" in again, again
    fake_slack.wait_for("chat.postEphemeral", 2, timeout=90)  # the run ends inside the test

"""The pitch modal warns at once when the ticked needs are met by no room together, and still
takes the pitch: over signed Slack requests to the real app (a checkbox tick dispatches a
block_actions payload; the bot answers with views.update), against the example camp, where the
only quiet room is not step-free."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import DEFAULT_ANSWERS, card_posts, pitch
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender, view_state

HOST = "U0HOST1"
NEAREST = "Main hall is step-free but not quiet; Quiet room is quiet but not step-free"


def _tick(slack: SlackSender, fake: FakeSlack, bot: BotServer, view: dict[str, Any], needs: list[str],
          view_hash: str) -> list[dict[str, Any]]:
    """Tick exactly `needs` in the open modal as Slack sends it; the views.update calls it caused."""
    before = len(fake.calls_to("views.update"))
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == "needs")
    chosen = [o for o in element["options"] if o["value"] in needs]
    action = {"type": "checkboxes", "action_id": "value", "block_id": "needs", "selected_options": chosen}
    shown = {"id": "V0PITCHMODAL", **view, "hash": view_hash,
             "state": {"values": view_state(view, {**DEFAULT_ANSWERS, "needs": needs})}}
    sent = slack.post_payload(slack.block_actions_payload([action], user_id=HOST, view=shown))
    assert sent.status == 200 and not sent.response.content
    bot.settle()  # the work after the ack is done
    return [c.params for c in fake.calls_to("views.update")[before:]]


def _inputs(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["block_id"], b["element"]["action_id"]) for b in view["blocks"] if b["type"] == "input"]


def test_needs_no_room_meets_warn_at_once_and_the_pitch_is_still_taken(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert slack.command("/pitch", user_id=HOST).status == 200
    view = fake_slack.wait_for("views.open")[0].params["view"]
    needs_block = next(b for b in view["blocks"] if b.get("block_id") == "needs")
    assert needs_block["dispatch_action"] is True and needs_block["optional"] is True

    # quiet alone: the Quiet room has it; nothing is said, the modal is left alone
    assert _tick(slack, fake_slack, bot, view, ["quiet"], "h1") == []

    # quiet and step-free: no room is both; the warning appears under the needs, names the nearest rooms
    (update,) = _tick(slack, fake_slack, bot, view, ["quiet", "step_free"], "h2")
    assert update["view_id"] == "V0PITCHMODAL" and update["hash"] == "h2"
    warned = update["view"]
    blocks = warned["blocks"]
    at = [b.get("block_id") for b in blocks].index("needs")
    warning = blocks[at + 1]
    assert warning["block_id"] == "needs_warning" and warning["type"] == "context"
    text = warning["elements"][0]["text"]
    assert NEAREST in text and "quiet and step-free" in text and "You can still pitch it" in text
    assert "(r1)" not in text and "(r6)" not in text  # pitchers know rooms by name
    # the same inputs with the same ids, so Slack keeps what the pitcher typed; nothing else changed
    assert _inputs(warned) == _inputs(view)
    assert {k: warned[k] for k in ("callback_id", "private_metadata", "submit")} == \
        {k: view[k] for k in ("callback_id", "private_metadata", "submit")}

    # untick step-free: the warning goes away
    (cleared,) = _tick(slack, fake_slack, bot, warned, ["quiet"], "h3")
    assert all(b.get("block_id") != "needs_warning" for b in cleared["view"]["blocks"])

    # and the pitch with both needs is accepted (no field error), saved, and the DM says it again
    sent = slack.submit_view(warned, {**DEFAULT_ANSWERS, "title": "Quiet step-free chat",
                                      "needs": ["quiet", "step_free"]}, user_id=HOST)
    assert sent.status == 200 and not sent.response.content, sent.response.text
    fake_slack.wait_for("chat.postMessage", where=lambda c: c in card_posts(fake_slack))
    dm = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == HOST)[-1]
    assert "Quiet step-free chat" in dm.params["text"] and NEAREST in dm.params["text"]
    with session_scope(bot.ctx.engine) as db:
        saved = db.exec(select(Pitch).where(Pitch.title == "Quiet step-free chat")).one()
        assert sorted(saved.needs) == ["quiet", "step_free"] and saved.status == "active"


def test_a_pitch_with_needs_a_room_meets_gets_no_warning(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert slack.command("/pitch", user_id=HOST).status == 200
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert _tick(slack, fake_slack, bot, view, ["projector", "step_free", "hearing_loop"], "h1") == []
    sent = slack.submit_view(view, {**DEFAULT_ANSWERS, "needs": ["projector", "step_free"]}, user_id=HOST)
    assert sent.status == 200 and not sent.response.content
    dm = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == HOST)[-1]
    assert "Thanks!" in dm.params["text"] and ":warning:" not in dm.params["text"]


def test_editing_a_pitch_whose_needs_no_room_meets_opens_with_the_warning(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id=HOST, title="Both needs", needs=["quiet", "step_free"])
    slack.choose("pitch_menu", f"edit:{pid}", user_id=HOST, message=message)
    edit_view = fake_slack.wait_for("views.open", 2)[-1].params["view"]
    ids = [b.get("block_id") for b in edit_view["blocks"]]
    assert ids[ids.index("needs") + 1] == "needs_warning"
    assert NEAREST in str(edit_view["blocks"][ids.index("needs") + 1])

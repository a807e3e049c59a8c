"""Steps many end-to-end tests share: pitch through the modal, find a card, read counts."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import BotServer
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import SlackSender, message_from_post

DEFAULT_ANSWERS: dict[str, Any] = {"title": "Open data for parish councils", "format": "discussion", "length": "1"}


def card_posts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if _pitch_id_of(c) is not None]


def _pitch_id_of(call: Call) -> int | None:
    blocks = call.params.get("blocks") or []
    if blocks and isinstance(blocks[0], dict):
        m = re.fullmatch(r"pitch:(\d+)", str(blocks[0].get("block_id", "")))
        if m:
            return int(m.group(1))
    return None


def pitch(
    slack: SlackSender, fake: FakeSlack, bot: BotServer, *, user_id: str = "U0HOST1", **answers: Any
) -> tuple[int, dict[str, Any]]:
    """Pitch a session as Slack would: /pitch, the modal opens, the modal is submitted.
    Returns the new pitch id and the card message (to click its buttons)."""
    before_views = len(fake.calls_to("views.open"))
    before_cards = len(card_posts(fake))
    assert slack.command("/pitch", user_id=user_id).status == 200
    view = fake.wait_for("views.open", before_views + 1)[-1].params["view"]
    sent = slack.submit_view(view, {**DEFAULT_ANSWERS, **answers}, user_id=user_id)
    assert sent.status == 200, sent.response.text
    assert not sent.response.content or "errors" not in sent.json(), sent.response.text
    fake.wait_for("chat.postMessage", where=lambda c: _pitch_id_of(c) is not None, count=before_cards + 1)
    bot.settle()
    post = card_posts(fake)[-1]
    pid = _pitch_id_of(post)
    assert pid is not None
    return pid, message_from_post(post.params, f"1700000000.{pid:06d}")


def card_updates(fake: FakeSlack, pitch_id: int) -> list[Call]:
    return [c for c in fake.calls_to("chat.update") if _pitch_id_of(c) == pitch_id]


def shown_count(call: Call) -> int:
    """The public interest count on a card (the '*N* interested' context line)."""
    for block in call.params["blocks"]:
        if block["type"] == "context":
            m = re.match(r"\*(\d+)\* interested", block["elements"][0]["text"])
            if m:
                return int(m.group(1))
    raise AssertionError("no count on the card")


def replies(fake: FakeSlack) -> list[str]:
    """Texts the bot sent back privately through response_urls, in order."""
    return [str(c.params.get("text", "")) for c in fake.calls_to("response_url")]

"""The harness itself: the app answers over HTTP, verifies signatures, opens the pitch modal."""

from __future__ import annotations

import requests

from tests.e2e.conftest import BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def test_healthz(bot: BotServer) -> None:
    resp = requests.get(bot.url + "/healthz", timeout=5)
    assert resp.status_code == 200 and resp.text == "ok"


def test_pitch_command_opens_modal(slack: SlackSender, fake_slack: FakeSlack) -> None:
    sent = slack.command("/pitch", "Open data for parish councils", user_id="U1")
    assert sent.status == 200
    (call,) = fake_slack.wait_for("views.open")
    view = call.params["view"]
    assert view["callback_id"] == "pitch_submit"
    assert view["blocks"][0]["element"]["initial_value"] == "Open data for parish councils"
    assert call.params["trigger_id"]

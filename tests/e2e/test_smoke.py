"""The harness itself: the app answers over HTTP, verifies signatures, opens the pitch modal."""

from __future__ import annotations

import threading
import time

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


def test_listeners_ack_before_slow_work(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer) -> None:
    """Slack gives 3 seconds: the HTTP answer must not wait for the Web API calls."""
    release = threading.Event()

    def slow(params: dict[str, object]) -> dict[str, object]:
        release.wait(10)  # Slack's API is having a bad moment
        return {"ok": True, "view": {"id": "V1", "hash": "h"}}

    fake_slack.on("views.open", slow)
    started = time.monotonic()
    sent = slack.command("/pitch", user_id="U1")
    elapsed = time.monotonic() - started
    assert sent.status == 200 and elapsed < 1.5, elapsed
    assert not release.is_set()
    fake_slack.wait_for("views.open")  # recorded on arrival, still being answered
    release.set()
    bot.settle()

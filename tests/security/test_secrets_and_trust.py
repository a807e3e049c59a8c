"""Secrets never reach the logs, even at DEBUG; the acting user is only ever the verified one.

The log test runs a real flow (slash command, modal, submission, votes, App Home, a Slack
API error) through the real HTTP app with a realistic bot token and signing secret, with
the root logger at DEBUG and configured exactly as `campbot` configures it
(campbot.config.logging_setup.configure_logging). slack_sdk logs every Web API request at DEBUG,
headers included, so the capture is not vacuous: the test checks it saw those lines.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from campbot.config.logging_setup import configure_logging
from campbot.config.settings import Settings, load_settings
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import pitch
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

BOT_TOKEN = "-".join(["xoxb", "2718281828", "3141592653589", "Zq8WvT4nLrK2pXs9YbHcJd7M"])  # fake, token-shaped
SIGNING_SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
CLIENT_SECRET = "5f4dcc3b5aa765d61d8327deb882cf99"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        slack_limits="*=100000/1",  # the fake Slack limits nothing
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_client_secret=CLIENT_SECRET,
        log_level="DEBUG",
    )


@pytest.fixture
def debug_log(settings: Settings) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    old_level, old_handlers = root.level, list(root.handlers)
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]  # as `campbot` runs: one handler, filtered by configure_logging
    configure_logging(settings, "DEBUG")
    yield buf
    root.handlers = old_handlers
    root.setLevel(old_level)


def _wait_for_text(buf: io.StringIO, needle: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in buf.getvalue():
        assert time.monotonic() < deadline, f"log never said {needle!r}"
        time.sleep(0.01)


def test_no_token_or_secret_in_debug_logs_over_a_real_flow(
    debug_log: io.StringIO, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Secrets talk")
    for user in ("U0FAN1", "U0FAN2", "U0FAN1"):
        assert slack.click("vote_toggle", str(pid), user_id=user, message=message).status == 200
    fake_slack.fail("views.publish", error="invalid_auth", times=1)  # an API error is logged with its request
    slack.event({"type": "app_home_opened", "user": "U0FAN1", "tab": "home"})
    _wait_for_text(debug_log, "views.publish for U0FAN1 failed")
    slack.command("/camp", "status", user_id="U0ORGANISE1")
    fake_slack.wait_for("response_url", 2)
    bot.settle()
    # a request with a bad signature is logged by Bolt too
    assert (
        slack.post("a=1", "application/x-www-form-urlencoded", headers={"X-Slack-Signature": "v0=" + "1" * 64}).status
        == 401
    )
    text = debug_log.getvalue()
    assert "DEBUG slack_sdk" in text and "chat.postMessage" in text  # the capture saw the API traffic
    assert "Authorization" in text or "authorization" in text  # ... headers included
    for secret in (BOT_TOKEN, SIGNING_SECRET, CLIENT_SECRET, BOT_TOKEN.split("-", 1)[1]):
        assert secret not in text
    assert "xoxb-" not in text
    # the fake did receive the real token, so it was in play
    assert any(BOT_TOKEN in str(c.headers) for c in fake_slack.calls if getattr(c, "headers", None))


def test_votes_go_to_the_verified_user_whatever_else_the_payload_says(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    """Only `user.id` of the signed payload acts; user ids elsewhere (the message's author,
    a view's private_metadata, the action's value) are data, never identity."""
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1")
    forged_message = {**message, "user": "U0ORGANISE1", "bot_id": None}
    payload = slack.block_actions_payload(
        [{"type": "button", "action_id": "vote_toggle", "block_id": "b", "value": f"{pid}"}],
        user_id="U0FAN9",
        message=forged_message,
    )
    payload["view"] = {"private_metadata": '{"user": "U0ORGANISE1"}'}
    payload["container"]["user_id"] = "U0ORGANISE2"
    assert slack.post_payload(payload).status == 200
    fake_slack.wait_for("chat.update")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        voters = db.exec(select(Person.slack_user_id).join(Vote, Vote.person_id == Person.id)).all()  # type: ignore[arg-type]
    assert voters == ["U0FAN9"]

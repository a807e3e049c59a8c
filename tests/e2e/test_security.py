"""Requests not signed by Slack are refused (401) and change nothing; replays count once."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlmodel import select

from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import pitch
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import FORM, SlackSender, signed_headers


def _status(bot: BotServer, event: Event) -> str:
    with session_scope(bot.ctx.engine) as db:
        ev = db.get(Event, event.id)
        assert ev is not None
        return ev.voting_status


def _vote_rows(bot: BotServer) -> int:
    with session_scope(bot.ctx.engine) as db:
        return len(db.exec(select(Vote)).all())


def test_unsigned_or_stale_requests_get_401_and_change_nothing(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    body = urlencode(slack.command_fields("/camp", "voting open", user_id="U0ORGANISE1"))
    stale = int(time.time()) - 6 * 60
    attempts = [
        slack.post(body, FORM, headers={"X-Slack-Signature": "v0=" + "0" * 64}),  # bad signature
        slack.post(body, FORM, timestamp=stale),  # correctly signed, but > 5 minutes old
        slack.post(body, FORM, omit=("X-Slack-Signature",)),
        slack.post(body, FORM, omit=("X-Slack-Request-Timestamp",)),
        slack.post(body, FORM, omit=("X-Slack-Signature", "X-Slack-Request-Timestamp")),
        slack.post(body, FORM, headers={"X-Slack-Request-Timestamp": "not-a-number"}),
    ]
    wrong_secret = SlackSender(url=slack.url, signing_secret="not-the-secret", response_url=slack.response_url)
    attempts.append(wrong_secret.command("/camp", "voting open", user_id="U0ORGANISE1"))
    # a body signed by Slack, then altered on the way
    headers = signed_headers(slack.signing_secret, body.replace("voting+open", "voting+close"), FORM)
    attempts.append(slack.post(body, FORM, headers=headers))
    statuses = [a.status for a in attempts]
    assert statuses == [401] * len(attempts)
    bot.settle()
    assert _status(bot, event) == "window"  # as loaded: the event file's window, untouched
    assert fake_slack.calls_to("response_url") == [] and fake_slack.calls_to("views.open") == []
    # the same command, properly signed, does run
    assert slack.command("/camp", "voting open", user_id="U0ORGANISE1").status == 200
    fake_slack.wait_for("response_url")
    bot.settle()
    assert _status(bot, event) == "open"


def test_bad_requests_never_500(slack: SlackSender, bot: BotServer) -> None:
    for body, ctype in [
        ("payload=not-json", FORM),
        ("{}", "application/json"),
        ("", FORM),
        (urlencode({"payload": json.dumps({"type": "block_actions"})}), FORM),
    ]:
        assert slack.post(body, ctype).status < 500


def test_replayed_vote_counts_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot)
    first = slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("chat.update")
    for _ in range(3):
        assert first.again().status == 200  # identical signed bytes: Slack retry or an attacker
    bot.settle()
    assert _vote_rows(bot) == 1  # toggled once, not on-off-on-off
    assert len(fake_slack.calls_to("chat.update")) == 1


def test_replayed_submission_and_command_run_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    slack.command("/pitch", user_id="U0HOST1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    sent = slack.submit_view(view, {"title": "Once only", "format": "demo", "length": "1"}, user_id="U0HOST1")
    assert sent.again().status == 200
    fake_slack.wait_for("chat.postMessage")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        assert [p.title for p in db.exec(select(Pitch)).all()] == ["Once only"]
    cmd = slack.command("/camp", "voting open", user_id="U0ORGANISE1")
    cmd.again()
    fake_slack.wait_for("response_url")
    bot.settle()
    assert len(fake_slack.calls_to("response_url")) == 1
    assert _status(bot, event) == "open"


def test_replayed_event_handled_once(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer) -> None:
    sent = slack.event({"type": "app_home_opened", "user": "U0FAN1", "channel": "D0FAN1", "tab": "home"})
    fake_slack.wait_for("views.publish")
    retry = slack.post(
        sent.body, "application/json", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    bot.settle()
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_replay_to_another_worker_process_counts_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    """Two app instances on one database (gunicorn workers): the in-memory check of one cannot
    see the other's requests, the database claim after the ack does."""
    import requests

    from campbot.server.http_app import make_wsgi_app
    from campbot.server.serve import serve_in_thread
    from campbot.slack.app import build_app, listener_executor

    other_app = build_app(bot.ctx)
    server, thread = serve_in_thread(make_wsgi_app(bot.ctx, other_app))
    try:
        pid, message = pitch(slack, fake_slack, bot)
        first = slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
        fake_slack.wait_for("chat.update")
        bot.settle()
        other_url = f"http://127.0.0.1:{server.server_port}/slack/events"
        assert requests.post(other_url, data=first.body, headers=first.headers, timeout=10).status_code == 200
        event_sent = slack.event({"type": "app_home_opened", "user": "U0FAN1", "tab": "home"})
        fake_slack.wait_for("views.publish")
        assert requests.post(other_url, data=event_sent.body, headers=event_sent.headers, timeout=10).status_code == 200
        listener_executor(other_app).shutdown(wait=True)
        bot.settle()
        assert _vote_rows(bot) == 1
        assert len(fake_slack.calls_to("chat.update")) == 1
        assert len(fake_slack.calls_to("views.publish")) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""Slack's Web API answering 500s, 503s and 429s during the busiest flows: every message is
retried until it goes through, and goes through exactly once.

FakeSlack records only the calls it answered with success, and `fail(...)` failures are
consumed one per attempt, so "consumed failures + one recorded call" proves retries
happened and ended in a single delivery.
"""

from __future__ import annotations

from sqlmodel import select

from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_posts, card_updates, pitch, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def _unconsumed(fake: FakeSlack, method: str) -> int:
    return sum(f.times for f in fake._failures.get(method, []))


def test_pitch_card_and_vote_survive_5xx_and_429_and_are_delivered_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    # the card post meets a 500, then a 503, then goes out
    fake_slack.fail("chat.postMessage", status=500, times=1)
    fake_slack.fail("chat.postMessage", status=503, times=1)
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Resilient session")
    assert _unconsumed(fake_slack, "chat.postMessage") == 0
    assert len(card_posts(fake_slack)) == 1
    with session_scope(bot.ctx.engine) as db:
        assert [p.title for p in db.exec(select(Pitch)).all()] == ["Resilient session"]

    # the card update after a vote meets a 429 (Retry-After: 1), then a 500, then goes out
    fake_slack.fail("chat.update", status=429, retry_after=1, times=1)
    fake_slack.fail("chat.update", status=500, times=1)
    assert slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message).status == 200
    fake_slack.wait_for("chat.update", timeout=20)
    fake_slack.wait_for("response_url")
    bot.settle(timeout=20)
    assert _unconsumed(fake_slack, "chat.update") == 0
    updates = card_updates(fake_slack, pid)
    assert len(updates) == 1 and shown_count(updates[0]) == 1
    assert len(fake_slack.calls_to("response_url")) == 1
    with session_scope(bot.ctx.engine) as db:
        assert len(db.exec(select(Vote)).all()) == 1

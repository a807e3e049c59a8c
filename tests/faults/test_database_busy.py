"""Another connection holds the database's write lock: every request is still answered in
time, truthfully, and a form submitted again after the lock is gone makes one pitch.

The lock is held until each request has been answered, so an answer can only come from the
bot giving up within its ack budget (bot.listeners.common.before_ack), never from the lock
going away: the assertions are on what is said and stored, not on timings (those are in
bench/ack_budget.py). SQLite: BEGIN IMMEDIATE from a second connection; PostgreSQL: every
table locked IN EXCLUSIVE MODE from a second connection (tests/support/db_lock.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.outage import DB_BUSY
from bot.services.pitching import list_pitches
from bot.store.tables import Event
from tests.e2e.conftest import ORGANISER, BotServer
from tests.e2e.helpers import DEFAULT_ANSWERS, card_posts
from tests.support.db_lock import WriteLock
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

HOST = "U0HOST1"


@pytest.fixture
def lock(database_url: str) -> Iterator[WriteLock]:
    held = WriteLock(database_url)
    yield held
    held.release()


def test_requests_are_answered_busy_while_locked_and_the_form_saves_once_after(
    lock: WriteLock, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert event.id is not None
    lock.hold()
    # /pitch only reads: the form opens although nobody can write
    assert slack.command("/pitch", user_id=HOST).status == 200
    view = fake_slack.wait_for("views.open")[0].params["view"]
    view["id"] = "V0SAMEFORM"  # Slack keeps a modal's id when it is submitted again

    # the submission cannot be saved: the modal stays open and says so; nothing is stored
    sent = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Written while locked"}, user_id=HOST)
    assert sent.status == 200
    assert sent.json() == {"response_action": "errors", "errors": {"title": DB_BUSY[:150]}}

    # a command that writes: the ack itself says the database is busy and nothing was done
    cmd = slack.command("/camp", "voting open", user_id=ORGANISER)
    assert cmd.status == 200 and cmd.json() == {"response_type": "ephemeral", "text": DB_BUSY}

    # an event: 503 + Retry-After, so Slack delivers it again once the lock is gone
    home = slack.event({"type": "app_home_opened", "user": HOST, "tab": "home"})
    assert home.status == 503 and home.response.headers.get("retry-after")
    lock.release()

    bot.settle()
    assert list_pitches(bot.ctx, event.id, statuses=None) == []
    assert card_posts(fake_slack) == []

    # the same form submitted twice more (Slack gave up on the first answer): one pitch, one card
    first = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Written while locked"}, user_id=HOST)
    again = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Written while locked"}, user_id=HOST)
    assert first.status == again.status == 200
    assert not first.response.content and not again.response.content  # both close the modal
    fake_slack.wait_for(
        "chat.postMessage", where=lambda c: "already saved" in str(c.params.get("text", "")), timeout=15
    )
    bot.settle()
    pitches = list_pitches(bot.ctx, event.id, statuses=None)
    assert [p.title for p in pitches] == ["Written while locked"]
    assert len(card_posts(fake_slack)) == 1


def test_health_and_reads_go_on_while_locked(
    lock: WriteLock, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    import requests

    with lock:
        health = requests.get(bot.url + "/healthz", timeout=10)
        assert health.status_code == 200 and health.text == "ok"
        # /pitch with a title: reads only, so the form opens pre-filled
        assert slack.command("/pitch", "Prefilled", user_id=HOST).status == 200
        fake_slack.wait_for("views.open")

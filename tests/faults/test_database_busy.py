"""Another connection holds the database's write lock: every request is still answered in
time, truthfully, and a form submitted again after the lock is gone makes one pitch.

The lock is held until each request has been answered, so an answer can only come from the
bot giving up within its ack budget (campbot.slack.listeners.common.before_ack), never from the lock
going away: the assertions are on what is said and stored, not on timings (those are in
bench/ack_budget.py). SQLite: BEGIN IMMEDIATE from a second connection; PostgreSQL: every
table locked IN EXCLUSIVE MODE from a second connection (tests/support/db_lock.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from campbot.services.pitching import list_pitches
from campbot.slack.outage import DB_BUSY
from campbot.store.tables import Event
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


def test_clicks_queued_behind_the_lock_do_not_hold_up_other_answers(
    lock: WriteLock, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    """40 clicks wait for the lock after their ack, each holding a pooled connection: a form
    and a command still get their "busy" answer (the ack path never queues for the pool), and
    once the lock is gone every click's vote lands."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import func, select

    from campbot.services import organising
    from campbot.services.pitch_input import PitchInput
    from campbot.services.pitching import create_pitch
    from campbot.store.db import session_scope
    from campbot.store.tables import Vote

    assert event.id is not None
    organising.set_voting(bot.ctx, event.id, open_=True, actor="test")
    pid = create_pitch(bot.ctx, event.id, HOST, PitchInput(title="Queued votes")).id
    slack.command("/pitch", user_id=HOST)
    view = fake_slack.wait_for("views.open")[0].params["view"]
    fans = [f"U0FAN{i:02d}" for i in range(40)]
    lock.hold()
    with ThreadPoolExecutor(20) as pool:
        acks = list(pool.map(lambda fan: slack.click("vote_toggle", str(pid), user_id=fan).status, fans))
    assert acks == [200] * len(fans)
    form = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Behind the clicks"}, user_id=HOST)
    assert form.json() == {"response_action": "errors", "errors": {"title": DB_BUSY[:150]}}
    cmd = slack.command("/camp", "status", user_id=ORGANISER)
    assert cmd.json() == {"response_type": "ephemeral", "text": DB_BUSY}
    lock.release()
    bot.settle(timeout=60)

    def votes() -> int:
        with session_scope(bot.ctx.engine) as db:
            return int(db.exec(select(func.count()).select_from(Vote).where(Vote.pitch_id == pid)).one())

    deadline = time.monotonic() + 60
    while votes() < len(fans) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert votes() == len(fans)


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

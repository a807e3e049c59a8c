"""The morning storm in miniature, against the fake Slack in its limits mode (small limits).

Signed requests to the real Bolt app over HTTP: every click is acknowledged while Slack itself
hangs (no request waits for Slack), votes are stored, a /pitch typed mid-storm still opens its
modal within the trigger's life, card updates are coalesced and converge on the true count
without a single 429, and blind voting sends no card update per vote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import func, select

from campbot.config.settings import Settings
from campbot.slack import directory
from campbot.slack.outbound.limits import limits_from
from campbot.store.db import session_scope
from campbot.store.tables import Event, Vote
from tests.e2e.conftest import ORGANISER, BotServer
from tests.e2e.helpers import card_updates, pitch, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

LIMITS = "chat.update=3/1,views.open=20/1,chat.postEphemeral=20/1,post-per-channel=5/1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"slack_limits": LIMITS})


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(limits=limits_from(LIMITS)).start()
    directory.clear_cache()
    yield fake
    fake.stop()


def _votes(bot: BotServer) -> int:
    with session_scope(bot.ctx.engine) as db:
        return int(db.exec(select(func.count()).select_from(Vote)).one())


def _wait(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_clicks_are_acked_and_counted_while_slack_hangs_and_cards_converge(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    cards = [pitch(slack, fake_slack, bot, title=f"Storm {i}", user_id=f"U0HOST{i}") for i in range(3)]
    slack_hangs = threading.Event()

    def hanging_update(params: dict[str, Any]) -> dict[str, Any]:
        slack_hangs.wait(timeout=12)  # Slack does not answer chat.update until the test says so
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    fake_slack.on("chat.update", hanging_update)
    voters = [(f"U0VOTER{n:02d}", cards[n % 3]) for n in range(40)]
    with ThreadPoolExecutor(max_workers=10) as clicking:
        sent = list(clicking.map(lambda v: slack.click("vote_toggle", str(v[1][0]), user_id=v[0], message=v[1][1]),
                                 voters))
        late_pitch = slack.command("/pitch", user_id="U0LATE")  # typed mid-storm
    assert [s.status for s in sent] == [200] * 40  # all acknowledged (Bolt answers 404 after 3 s without ack)
    assert late_pitch.status == 200
    _wait(lambda: _votes(bot) == 40)  # every vote stored while chat.update still hangs
    fake_slack.wait_for("views.open", 4)  # the late pitcher's modal opened
    assert fake_slack.expired_triggers == 0
    slack_hangs.set()

    bot.settle(timeout=60)
    for (pid, _), want in zip(cards, (14, 13, 13), strict=True):
        assert shown_count(card_updates(fake_slack, pid)[-1]) == want  # the last update has the true count
    assert len(fake_slack.calls_to("chat.update")) < 20  # coalesced: far fewer than one per vote
    assert fake_slack.rate_limited == {}  # paced ahead of the limits: Slack never said 429


def test_blind_voting_sends_no_card_update_per_vote_and_reveals_at_close(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    cards = [pitch(slack, fake_slack, bot, title=f"Blind {i}", user_id=f"U0HOST{i}") for i in range(2)]
    assert slack.command("/camp", "voting hide-counts", user_id=ORGANISER).status == 200
    fake_slack.wait_for("response_url", where=lambda c: "hidden" in str(c.params.get("text")))
    bot.settle(timeout=30)
    for pid, _ in cards:  # the cards now say the counts are hidden
        assert "Counts are hidden until voting closes" in str(card_updates(fake_slack, pid)[-1].params["blocks"])
    before = len(fake_slack.calls_to("chat.update"))
    for n in range(12):
        pid, message = cards[n % 2]
        assert slack.click("vote_toggle", str(pid), user_id=f"U0BLIND{n}", message=message).status == 200
    _wait(lambda: _votes(bot) == 12)
    bot.settle(timeout=30)
    assert len(fake_slack.calls_to("chat.update")) == before  # nothing on the cards changed: nothing sent

    assert slack.command("/camp", "voting close", user_id=ORGANISER).status == 200
    fake_slack.wait_for("chat.update", before + 2, timeout=30)
    bot.settle(timeout=30)
    for pid, _ in cards:
        assert shown_count(card_updates(fake_slack, pid)[-1]) == 6  # revealed when voting closed
    assert fake_slack.rate_limited == {}

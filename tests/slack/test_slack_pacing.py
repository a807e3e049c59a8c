"""The one Slack-side sender (campbot.slack.outbound): paced under Slack's limits, shared, by priority.

The fake Slack runs in its limits mode with SMALL limits, enforcing exactly what the pacing is
told, so a test shows the pacing in a few seconds; nothing here asserts a speed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk.errors import SlackApiError

from campbot.config.context import AppContext
from campbot.slack.outbound.budget import BULK, CARDS, PERSON, Budget, decide
from campbot.slack.outbound.client import paced_client, pacing_for, sending_as
from campbot.slack.outbound.limits import TIER3, Limit, limits_from, parse_overrides
from campbot.store.db import session_scope
from campbot.store.tables import SlackBudget
from tests.support.fake_slack import FakeSlack

SMALL = "chat.update=5/1,conversations.open=4/1,post-per-channel=3/1"


@pytest.fixture
def limited(ctx: AppContext) -> Iterator[tuple[AppContext, FakeSlack]]:
    fake = FakeSlack(limits=limits_from(SMALL)).start()
    settings = ctx.settings.model_copy(update={"slack_api_url": fake.url, "slack_limits": SMALL})
    yield replace(ctx, settings=settings), fake
    fake.stop()


def _count_in_windows(times: list[float], per: float) -> int:
    """The most calls in any window of `per` seconds (what Slack's limit counts)."""
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + per) for t in times), default=0)


def test_the_pace_never_breaks_the_limit_in_any_window() -> None:
    for limit in (TIER3, Limit(5, 1.0), Limit(3, 1.0), Limit(20, 60.0)):
        tat, now, sent = 0.0, 1000.0, []
        while now < 1000.0 + limit.per_seconds * 5:  # a sender that always wants to go
            new, wait = decide(tat, now, limit, PERSON)
            if new is None:
                now += wait
                continue
            tat = new
            sent.append(now)
        assert _count_in_windows(sent, limit.per_seconds) <= limit.calls, limit
        # Slack's minute-long tiers are used to 80% or more (tiny test windows pay more for the jitter margin)
        share = 0.8 if limit.per_seconds >= 60 else 0.6
        assert len(sent) >= limit.calls * 5 * share, "pacing far under the limit wastes Slack's budget"


def test_a_lower_priority_leaves_tokens_for_a_higher_one() -> None:
    limit = TIER3  # burst of 5
    tat, now = 0.0, 1000.0
    taken = 0
    while True:  # bulk drains what it may at once
        new, _ = decide(tat, now, limit, BULK)
        if new is None:
            break
        tat, taken = new, taken + 1
    assert taken < 5
    new, wait = decide(tat, now, limit, PERSON)  # a person's call still goes now
    assert new is not None and wait == 0.0
    assert decide(tat, now, limit, CARDS)[0] is not None or decide(tat, now, limit, CARDS)[1] > 0


def test_limit_overrides_are_checked() -> None:
    assert parse_overrides("chat.update=3/2") == {"chat.update": Limit(3, 2.0)}
    for junk in ("chat.update=three/2", "chat.update=0/1", "chat.update=3/-1"):
        with pytest.raises(ValueError, match="bad Slack limit"):
            parse_overrides(junk)


def test_many_senders_share_one_budget_and_slack_never_says_429(limited: tuple[AppContext, FakeSlack]) -> None:
    ctx, fake = limited
    errors: list[Exception] = []

    def send(n: int) -> None:
        client = paced_client(ctx)  # a client per thread, as Bolt makes one per request
        try:
            with sending_as(CARDS):
                for i in range(3):
                    client.chat_update(channel="C0PITCHES", ts=f"1.{n}{i}", text="x")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(fake.calls_to("chat.update")) == 12
    assert fake.rate_limited == {}  # paced ahead of the limit: no call bounced
    with session_scope(ctx.engine) as db:  # the budget lives in the database (shared by processes)
        assert any(row.key.endswith(":chat.update") for row in db.exec(SlackBudget.__table__.select()))  # type: ignore[attr-defined]


def test_posts_are_paced_per_channel(limited: tuple[AppContext, FakeSlack]) -> None:
    ctx, fake = limited
    client = paced_client(ctx)
    for i in range(5):
        client.chat_postMessage(channel="C0PITCHES", text=f"card {i}")
        client.chat_postMessage(channel="C0OTHER", text=f"other {i}")
    assert fake.rate_limited == {}
    assert len(fake.calls_to("chat.postMessage")) == 10


def test_a_429_that_still_comes_is_waited_out_and_held_for_everyone(limited: tuple[AppContext, FakeSlack]) -> None:
    ctx, fake = limited
    fake.fail("conversations.open", status=429, retry_after=1, times=1)  # another app spent our budget
    client = paced_client(ctx)
    opened = client.conversations_open(users="U0HOST1")
    assert opened["channel"]["id"] == "D0HOST1"  # the retry went through after Retry-After
    pacing = pacing_for(ctx)
    assert pacing.rate_limited == {"conversations.open": 1}
    with session_scope(ctx.engine) as db:
        held = [r for r in db.exec(SlackBudget.__table__.select()) if r.key.endswith(":conversations.open")]  # type: ignore[attr-defined]
    assert held  # the hold is in the shared budget, so every process waits it out


def test_the_fake_enforces_its_limits_and_expired_triggers(limited: tuple[AppContext, FakeSlack]) -> None:
    """The limits mode bites when the pacing is bypassed (a plain client), and an old trigger expires."""
    from slack_sdk import WebClient

    from campbot.slack.local_slack import new_trigger_id

    ctx, fake = limited
    plain = WebClient(token="xoxb-plain", base_url=fake.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as bounced:
        for i in range(8):
            plain.chat_update(channel="C0PITCHES", ts=f"1.{i}", text="x")
    assert bounced.value.response.status_code == 429 and bounced.value.response.headers.get("Retry-After")
    assert fake.rate_limited["chat.update"] >= 1
    import time

    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        plain.views_open(trigger_id=new_trigger_id(time.time() - 4), view={"type": "modal"})
    assert plain.views_open(trigger_id=new_trigger_id(), view={"type": "modal"})["ok"]
    assert fake.expired_triggers == 1


def test_the_budget_falls_back_to_memory_when_the_database_is_away() -> None:
    from sqlalchemy import create_engine

    budget = Budget(create_engine("sqlite:////nonexistent-dir/campbot.db"), clock=lambda: 1000.0)
    assert budget.take("w:chat.update", Limit(2, 1.0), PERSON) == 0.0  # paced in memory, no exception
    assert budget.take("w:chat.update", Limit(2, 1.0), PERSON) > 0.0


def test_two_processes_share_one_budget_not_two(ctx: AppContext) -> None:
    """Two Budget objects on one database (two worker processes) spend one allowance."""
    limit = Limit(20, 60.0)  # Tier 2: a burst of 2
    now = [1000.0]
    worker_a, worker_b = Budget(ctx.engine, clock=lambda: now[0]), Budget(ctx.engine, clock=lambda: now[0])
    assert worker_a.take("T1:pins.add", limit, PERSON) == 0.0
    assert worker_b.take("T1:pins.add", limit, PERSON) == 0.0  # the burst of 2, shared
    assert worker_a.take("T1:pins.add", limit, PERSON) > 0.0  # spent: each must wait now
    assert worker_b.take("T1:pins.add", limit, PERSON) > 0.0
    assert worker_b.take("T2:pins.add", limit, PERSON) == 0.0  # another workspace has its own
    now[0] += limit.pace()[0]
    assert worker_b.take("T1:pins.add", limit, PERSON) == 0.0  # one interval later, one more call
    assert worker_a.take("T1:pins.add", limit, PERSON) > 0.0

"""End-to-end fixtures: the real Bolt app served over real HTTP, talking to a fake Slack.

    fake_slack   FakeSlack Web API server (records calls; .wait_for(method) polls with a deadline)
    clock        CampClock: the bot's "now"; clock.set(datetime) / clock.advance(minutes=5)
    ctx          AppContext on the test database, Web API at fake_slack.url, clock above
                 (overrides tests/conftest.py's ctx, so its `event` fixture loads through it)
    event        the example camp (tests/conftest.py), organisers U0ORGANISE1/U0ORGANISE2
    bot          BotServer: campbot.server.http_app served by a threaded HTTP server on 127.0.0.1:0; .url,
                 .slack_url, .app (Bolt), .ctx; .settle() waits for background listener work
    slack        SlackSender signing with the test secret, replies going to fake_slack
    voting_open  the event with voting opened by an organiser

A test: `slack.command("/pitch", user_id="U1")`, then `fake_slack.wait_for("views.open")`,
then assert on the calls or on the database through the services.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy.engine import Engine

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.server.http_app import make_wsgi_app
from campbot.server.serve import serve_in_thread
from campbot.services import organising
from campbot.slack import directory
from campbot.slack.app import build_app, listener_executor
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

ORGANISER = "U0ORGANISE1"
# The example camp is on 2026-06-20 (Europe/London, UTC+1); voting closes 09:45 that day.
CAMP_MORNING = datetime(2026, 6, 20, 7, 0, tzinfo=UTC)


class CampClock:
    """A settable clock for ctx.now(); starts on the camp's morning, before voting closes."""

    def __init__(self, now: datetime = CAMP_MORNING):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@dataclass
class BotServer:
    url: str
    app: App
    ctx: AppContext
    fake: FakeSlack

    @property
    def slack_url(self) -> str:
        return self.url + "/slack/events"

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the listener threads have finished what they were given so far."""
        import time
        from concurrent.futures import ThreadPoolExecutor

        from campbot.slack.listeners import cards
        from campbot.slack.outbound.background import pool

        executor = listener_executor(self.app)
        assert isinstance(executor, ThreadPoolExecutor)
        deadline = time.monotonic() + timeout
        while True:  # acks (Bolt's pool), then after-ack work (campbot.slack.outbound), then card refreshes
            while executor._work_queue.qsize() or _busy(executor):
                if time.monotonic() > deadline:
                    raise AssertionError("listener work did not finish in time")
                time.sleep(0.01)
            left = max(0.0, deadline - time.monotonic())
            if not (pool.wait_idle(left) and cards.wait_idle(self.ctx, left)):
                raise AssertionError("after-ack work or card refreshes did not finish in time")
            if not (executor._work_queue.qsize() or _busy(executor)) and pool.wait_idle(0):
                return


def _busy(executor: Any) -> bool:
    # A worker is busy while the executor's idle semaphore has fewer permits than workers.
    return executor._idle_semaphore._value < len(executor._threads)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    directory.clear_cache()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> CampClock:
    return CampClock()


@pytest.fixture
def ctx(settings: Settings, engine: Engine, fake_slack: FakeSlack, clock: CampClock) -> AppContext:
    wired = settings.model_copy(update={"slack_api_url": fake_slack.url, "mode": "http"})
    return AppContext(settings=wired, engine=engine, clock=clock)


@pytest.fixture
def bot(ctx: AppContext, event: Event, fake_slack: FakeSlack) -> Iterator[BotServer]:
    app = build_app(ctx)
    server, thread = serve_in_thread(make_wsgi_app(ctx, app))
    running = BotServer(url=f"http://127.0.0.1:{server.server_port}", app=app, ctx=ctx, fake=fake_slack)
    yield running
    server.shutdown()
    server.server_close()
    listener_executor(app).shutdown(wait=True)
    thread.join(timeout=5)


@pytest.fixture
def slack(bot: BotServer, fake_slack: FakeSlack) -> SlackSender:
    secret = bot.ctx.settings.slack_signing_secret
    assert secret is not None
    return SlackSender(
        url=bot.slack_url, signing_secret=secret.get_secret_value(), response_url=fake_slack.respond_url()
    )


@pytest.fixture
def voting_open(ctx: AppContext, event: Event) -> Event:
    assert event.id is not None
    organising.set_voting(ctx, event.id, open_=True, actor="test")
    return event

"""Fixtures for the reminder jobs: a fake Slack, a context on a hand-moved clock, a paced
sender whose sleeps are simulated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.services.notifier import NotifierFactory
from campbot.slack.notifier import Pacer, slack_notifiers
from campbot.store.tables import Event
from tests.jobs.helpers import Clock, FakeTime, local
from tests.support.fake_slack import FakeSlack

DAY = date(2026, 6, 20)  # the example camp's day (BST, UTC+1)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(local(DAY, "08:00"))


@pytest.fixture
def jctx(settings: Settings, ctx: AppContext, fake_slack: FakeSlack, clock: Clock) -> AppContext:
    """The context jobs run with: Slack is the fake, time is `clock`."""
    return AppContext(settings=settings.model_copy(update={"slack_api_url": fake_slack.url}),
                      engine=ctx.engine, clock=clock)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sender(jctx: AppContext, fake_time: FakeTime) -> NotifierFactory:
    return slack_notifiers(jctx, pacer=Pacer(clock=fake_time.monotonic, sleep=fake_time.sleep))


@pytest.fixture
def camp(event: Event, jctx: AppContext) -> Event:
    """The example camp with no grid post and voting closed, so only reminders are in play."""
    from tests.jobs.helpers import update_event

    assert event.id is not None
    update_event(jctx, event.id, grid_post_at=None, voting_status="closed")
    return event

"""SchedulerHandle's lease rounds, driven by hand with a controlled clock: one leader, the
standby takes over when the leader stops renewing, the old leader pauses when it finds out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from campbot.config.context import AppContext
from campbot.jobs import scheduling as jobs
from campbot.services import leases
from campbot.slack.notifier import slack_notifiers
from campbot.store.tables import Event
from tests.jobs.helpers import Clock, update_event, wait_until


@pytest.fixture
def two(jctx: AppContext, camp: Event) -> Iterator[tuple[jobs.SchedulerHandle, jobs.SchedulerHandle]]:
    assert camp.id is not None
    update_event(jctx, camp.id, voting_closes_at=None)  # nothing to run: this is about the lease only
    a = jobs.start_scheduler(jctx, holder="A", tick_seconds=3600,
            notifiers=slack_notifiers(jctx))  # one round at start, then by hand
    assert a.wait_until_leader(5)
    b = jobs.start_scheduler(jctx, holder="B", tick_seconds=3600, notifiers=slack_notifiers(jctx))
    wait_until(lambda: b.rounds >= 1, timeout=5, what="B's first lease round")
    yield a, b
    b.stop()
    a.stop()


def test_the_standby_takes_over_only_after_the_lease_runs_out(
        jctx: AppContext, clock: Clock, two: tuple[jobs.SchedulerHandle, jobs.SchedulerHandle]) -> None:
    a, b = two
    b.tick()
    assert a.is_leader and not b.is_leader
    assert a.scheduler.state == STATE_RUNNING and b.scheduler.state == STATE_PAUSED
    clock.advance(seconds=25)
    a.tick()  # renews: valid for 30s from now
    clock.advance(seconds=25)
    b.tick()
    assert not b.is_leader
    clock.advance(seconds=6)  # A stopped renewing (hung, or gone) 31s ago
    b.tick()
    assert b.is_leader and b.scheduler.state == STATE_RUNNING
    assert leases.holder_of(jctx, jobs.LEASE_NAME) == "B"
    a.tick()  # A wakes up, fails to renew, and stands down
    assert not a.is_leader and a.scheduler.state == STATE_PAUSED


def test_a_clean_stop_hands_over_at_once(jctx: AppContext,
                                         two: tuple[jobs.SchedulerHandle, jobs.SchedulerHandle]) -> None:
    a, b = two
    a.stop()
    assert leases.holder_of(jctx, jobs.LEASE_NAME) is None
    b.tick()
    assert b.is_leader

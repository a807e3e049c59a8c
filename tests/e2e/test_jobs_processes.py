"""Two real bot processes on one database: one runs the scheduler, the other waits; kill -9
the first and the second takes over. Every reminder is sent exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.jobs import scheduling as jobs
from campbot.services import leases
from campbot.store.tables import Event
from campbot.store.types import utcnow
from tests.jobs.helpers import S, move_slots, publish_grid, update_event, wait_until
from tests.jobs.test_scheduler_live import _item_sent
from tests.support.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]

RUNNER = """
import signal, sys, threading
from datetime import timedelta
from campbot.config.context import build_context
from campbot.jobs.scheduling import start_scheduler
from campbot.config.settings import load_settings
from campbot.slack.notifier import SlackNotifier, slack_notifiers

settings = load_settings(database_url=sys.argv[1], slack_api_url=sys.argv[2], slack_bot_token="xoxb-test-token",
                         reminder_minutes=1, slack_limits="*=100000/1")
ctx = build_context(settings, migrate=False)
handle = start_scheduler(ctx, holder=sys.argv[3], lease_ttl=timedelta(seconds=3), tick_seconds=0.2,
        notifiers=slack_notifiers(ctx))
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
print("started", flush=True)
done.wait()
handle.stop()
"""


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack().start()
    yield f
    f.stop()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)


def _spawn(procs: list[subprocess.Popen[str]], database_url: str, fake: FakeSlack, holder: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs.append(subprocess.Popen([sys.executable, "-c", RUNNER, database_url, fake.url, holder], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))


def test_the_standby_process_takes_over_when_the_leader_is_killed(
        settings: Settings, ctx: AppContext, event: Event, database_url: str, fake: FakeSlack,
        procs: list[subprocess.Popen[str]]) -> None:
    lctx = AppContext(settings=settings.model_copy(update={"slack_api_url": fake.url, "reminder_minutes": 1}),
                      engine=ctx.engine, clock=utcnow)
    assert event.id is not None
    update_event(lctx, event.id, grid_post_at=None, voting_status="closed")
    # t1's reminder is due ~8s from now, t2's ~8s later
    move_slots(lctx, event.id, datetime.now(UTC) + timedelta(minutes=1, seconds=8), length=timedelta(seconds=7),
               gap=timedelta(seconds=1))
    publish_grid(lctx, event.id, [S("First", "r1", "t1", hosts=["UH1"], voters=["UV1", "UV2"]),
                                  S("Second", "r2", "t2", hosts=["UH2"], voters=["UV1", "UV3"])])
    jobs.reschedule_event_jobs(lctx, event.id)  # as publishing does, from a process without a scheduler

    _spawn(procs, database_url, fake, "first")
    wait_until(lambda: leases.holder_of(lctx, jobs.LEASE_NAME) == "first", timeout=20, what="the first to lead")
    _spawn(procs, database_url, fake, "second")
    wait_until(lambda: _item_sent(lctx, f"job:{event.id}:remind:t1"), timeout=30, what="t1's reminders")
    assert leases.holder_of(lctx, jobs.LEASE_NAME) == "first"

    procs[0].send_signal(signal.SIGKILL)  # no clean shutdown, the lease is left behind
    procs[0].wait(timeout=10)
    wait_until(lambda: leases.holder_of(lctx, jobs.LEASE_NAME) == "second", timeout=20, what="the take-over")
    wait_until(lambda: _item_sent(lctx, f"job:{event.id}:remind:t2"), timeout=30, what="t2's reminders")

    sent = Counter(str(c.params["channel"]) for c in fake.calls_to("chat.postMessage"))
    assert sent == Counter({"#lgc-announce": 2, "UH1": 1, "UH2": 1, "UV1": 2, "UV2": 1, "UV3": 1})
    procs[1].send_signal(signal.SIGTERM)  # a clean stop hands the lease back
    assert procs[1].wait(timeout=20) == 0
    assert leases.holder_of(lctx, jobs.LEASE_NAME) is None

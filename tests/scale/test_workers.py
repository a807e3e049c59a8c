"""`campbot serve --mode http --workers 2` as real processes on one database.

gunicorn's master forks two workers; both serve signed Slack requests, exactly one of them
holds the scheduler lease, and when that worker is killed (-9) the bot keeps answering
(gunicorn starts a replacement; the other worker serves meanwhile) and no vote is lost.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest
import requests
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services import organising
from campbot.store.db import session_scope
from campbot.store.tables import Event, Lease, Person, Pitch, Vote
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

SECRET = "workers-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(ctx: AppContext, event: Event, fake_slack: FakeSlack) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    assert event.id is not None
    with session_scope(ctx.engine) as db:  # vote "now" (the example camp is on a fixed day)
        row = db.get(Event, event.id)
        assert row is not None
        row.voting_opens_at = row.voting_closes_at = None
        db.add(row)
    organising.set_voting(ctx, event.id, open_=True, actor="test")
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-workers-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "CAMPBOT_DATABASE_URL": ctx.settings.database_url,
        "CAMPBOT_SLACK_API_URL": fake_slack.url,
        "CAMPBOT_SLACK_LIMITS": "*=100000/1",  # the fake Slack limits nothing
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "campbot", "serve", "--mode", "http", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            assert proc.poll() is None, "campbot serve --workers 2 exited"
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "no /healthz within 40 s"
            time.sleep(0.1)
        yield url, proc
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _workers(proc: subprocess.Popen[str]) -> list[int]:
    return sorted(c.pid for c in psutil.Process(proc.pid).children() if c.status() != psutil.STATUS_ZOMBIE)


def _wait(check, timeout: float = 40.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_two_workers_one_scheduler_and_a_killed_worker_loses_nothing(
    served: tuple[str, subprocess.Popen[str]], ctx: AppContext, event: Event, fake_slack: FakeSlack
) -> None:
    url, proc = served
    workers = _wait(lambda: (w := _workers(proc)) and len(w) == 2 and w)

    def holder_pid() -> int | None:
        with session_scope(ctx.engine) as db:
            lease = db.exec(select(Lease)).first()
        return int(lease.holder.split(":")[1]) if lease is not None else None

    leader = _wait(holder_pid)
    assert leader in workers  # the scheduler runs in one worker, not the master, not both

    with session_scope(ctx.engine) as db:
        pitch_ids = [p.id for p in db.exec(select(Pitch)).all()]
    if not pitch_ids:
        from campbot.services.pitch_input import PitchInput
        from campbot.services.pitching import create_pitch

        assert event.id is not None
        pitch_ids = [create_pitch(ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}")).id for i in range(3)]
    slack = SlackSender(url=url + "/slack/events", signing_secret=SECRET, response_url=fake_slack.respond_url())

    def vote(n: int) -> int:
        return slack.click("vote_toggle", str(pitch_ids[n % len(pitch_ids)]), user_id=f"U0W{n:03d}").status

    statuses = [vote(n) for n in range(20)]
    # Work acked but not yet done dies with its process (Slack does not resend an acked
    # request), so the kill comes once the first 20 have been answered.
    fake_slack.wait_for("response_url", 20, timeout=30)
    os.kill(leader, signal.SIGKILL)  # the scheduler's worker dies
    _wait(lambda: not psutil.pid_exists(leader) or psutil.Process(leader).status() == psutil.STATUS_ZOMBIE)
    statuses += [vote(n) for n in range(20, 40)]
    assert statuses == [200] * 40
    fake_slack.wait_for("response_url", 40, timeout=30)

    with session_scope(ctx.engine) as db:
        voters = sorted(db.exec(select(Person.slack_user_id).join(Vote, Vote.person_id == Person.id)).all())  # type: ignore[arg-type]
    assert voters == [f"U0W{n:03d}" for n in range(40)]
    replaced = _wait(lambda: (w := _workers(proc)) and len(w) == 2 and leader not in w and w)
    assert len(replaced) == 2  # gunicorn replaced the killed worker

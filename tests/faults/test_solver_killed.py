"""The real solver process killed (-9) in the middle of a solve started from Slack: the run is
marked failed in plain words, the organiser is told, the app keeps answering, and the next
solve is not blocked."""

from __future__ import annotations

import os
import signal
import time

import psutil
from sqlmodel import select

from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch
from campbot.store.db import session_scope
from campbot.store.tables import Event, SolveRun
from tests.e2e.conftest import BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

ORG = "U0ORGANISE1"


def _ask(slack: SlackSender, fake: FakeSlack, text: str) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=ORG, channel_id="C0ORGANISERS").status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("text", ""))


def _solver_children() -> list[psutil.Process]:
    me = psutil.Process(os.getpid())
    return [p for p in me.children(recursive=True) if "scheduler" in " ".join(p.cmdline())]


def _runs(bot: BotServer) -> list[tuple[str, str]]:
    with session_scope(bot.ctx.engine) as db:
        return [(r.status, r.error or "") for r in db.exec(select(SolveRun).order_by(SolveRun.id)).all()]  # type: ignore[arg-type]


def test_solver_killed_mid_run(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    assert event.id is not None
    for i in range(12):
        create_pitch(bot.ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}"))
    assert "Solving" in _ask(slack, fake_slack, "solve 30")
    deadline = time.monotonic() + 20
    while not (children := _solver_children()):
        assert time.monotonic() < deadline, "the solver process never started"
        time.sleep(0.05)
    time.sleep(0.2)  # started (importing or searching), far from its 30 s limit
    for child in children:
        os.kill(child.pid, signal.SIGKILL)

    deadline = time.monotonic() + 30
    while not (_runs(bot) and _runs(bot)[0][0] == "failed"):
        assert time.monotonic() < deadline, f"run not marked failed: {_runs(bot)}"
        time.sleep(0.05)
    status, error = _runs(bot)[0]
    assert "signal 9" in error or "crashed" in error, error
    told = fake_slack.wait_for(
        "chat.postEphemeral", where=lambda c: "failed" in str(c.params.get("blocks")), timeout=20
    )
    assert "Traceback" not in str(told[0].params)

    # the app answers, and the next solve starts (the dead run does not block it)
    assert _ask(slack, fake_slack, "status")
    assert "already running" not in _ask(slack, fake_slack, "solve 2")
    deadline = time.monotonic() + 60
    while len(_runs(bot)) < 2 or _runs(bot)[1][0] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"second run did not finish: {_runs(bot)}"
        time.sleep(0.1)
    assert _runs(bot)[1][0] == "done"

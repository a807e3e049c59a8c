"""`campbot serve --mode http` as a real process: it starts, answers /healthz, verifies and
handles a signed slash command (calling the Web API at CAMPBOT_SLACK_API_URL), stops on ^C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from campbot.config.context import AppContext
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def test_serve_http_process(ctx: AppContext, event: Event, fake_slack: FakeSlack) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-process-token",
        "SLACK_SIGNING_SECRET": "process-secret",
        "CAMPBOT_DATABASE_URL": ctx.settings.database_url,
        "CAMPBOT_SLACK_API_URL": fake_slack.url,
        "CAMPBOT_SLACK_LIMITS": "*=100000/1",  # the fake Slack limits nothing
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "campbot", "serve", "--mode", "http", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        url = None
        output = []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output.append(line)
            m = re.search(r"(http://[\d.]+:\d+)/slack/events", line)
            url = m.group(1) if m else None
        assert url, "".join(output)
        assert requests.get(url + "/healthz", timeout=5).text == "ok"
        slack = SlackSender(
            url=url + "/slack/events", signing_secret="process-secret", response_url=fake_slack.respond_url()
        )
        assert slack.command("/camp", "help", user_id="U0ANYONE").status == 200
        reply = fake_slack.wait_for("response_url")[0]
        assert "/camp help" in reply.params["text"]
        assert fake_slack.calls_to("auth.test")[0].headers["authorization"] == "Bearer xoxb-process-token"
        wrong = SlackSender(url=url + "/slack/events", signing_secret="test-signing-secret")
        assert wrong.command("/camp", "help", user_id="U0ANYONE").status == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 130)
    out = "".join(output) + (proc.stdout.read() if proc.stdout else "")
    assert "xoxb-process-token" not in out and "process-secret" not in out

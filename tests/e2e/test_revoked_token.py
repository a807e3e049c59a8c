"""A revoked bot token (`tokens_revoked`) keeps the camp's jobs away until it is installed again.

Single workspace (SLACK_BOT_TOKEN): the event arrives signed over HTTP, the camp's jobs go,
the scheduler's own minute-by-minute re-sync (run here every few milliseconds) plans nothing
for it, the sweep sends nothing, `/camp status` and `campbot status` say why; a new token
brings the jobs back. The multi-workspace (OAuth) case is in tests/scale/test_many_workspaces.py.
"""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from campbot.cli.main import app as cli_app
from campbot.config.context import AppContext
from campbot.jobs import scheduling as jobs
from campbot.services import notifying
from campbot.slack.notifier import slack_notifiers
from campbot.slack.token_state import token_problem
from campbot.store.tables import Event
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import replies
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

ORG = "U0ORGANISE1"
REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}


def _wait(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _status(slack: SlackSender, fake: FakeSlack) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", "status", user_id=ORG).status == 200
    fake.wait_for("response_url", before + 1)
    return replies(fake)[before]


def test_after_tokens_revoked_nothing_is_scheduled_until_a_new_token(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event, ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert event.id is not None
    # the event file's voting window (opening, "closes in 10 minutes", closing) and grid time
    window_and_grid_jobs = {f"{kind}:{event.id}" for kind in ("voting-open", "voting", "voting-end", "grid")}
    jobs.reschedule_event_jobs(ctx, event.id)
    assert set(jobs.scheduled_jobs(ctx, event.id)) == window_and_grid_jobs
    assert "• Slack: bot token in place" in _status(slack, fake_slack)

    # user-token revocations only: nothing changes
    assert slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE"], "bot": []}}).status == 200
    bot.settle()
    assert token_problem(ctx, event) is None and jobs.scheduled_jobs(ctx, event.id)

    assert slack.event(REVOKED).status == 200
    bot.settle()
    assert jobs.scheduled_jobs(ctx, event.id) == {}

    # the leader's re-sync, many times over: still nothing for this camp
    handle = jobs.start_scheduler(ctx, use_lease=False, tick_seconds=0.02, catch_up=False,
            notifiers=slack_notifiers(ctx))
    handle.resync_seconds = 0.0
    try:
        _wait(lambda: handle.rounds >= 5)
        assert jobs.scheduled_jobs(ctx, event.id) == {}
    finally:
        handle.stop()
    # the sweep (retries, catch-up) sends nothing either, even when an item is due
    assert notifying.run_due(ctx, now=event.voting_closes_at, notifiers=slack_notifiers(ctx)) == []

    said = _status(slack, fake_slack)
    assert "Slack revoked campbot's bot token" in said and "set a new SLACK_BOT_TOKEN" in said

    monkeypatch.setenv("CAMPBOT_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", ctx.settings.slack_bot_token.get_secret_value())  # type: ignore[union-attr]
    cli = CliRunner().invoke(cli_app, ["status"], terminal_width=300)
    assert cli.exit_code == 1, cli.output
    assert "WARNING: Slack revoked campbot's bot token" in cli.output and "Scheduled jobs: 0" in cli.output
    assert cli.exception is None or isinstance(cli.exception, SystemExit)

    # installed again: a new token; the same re-sync brings the jobs back
    fresh = ctx.settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-" + "new-token".replace("-", ""))})
    renewed = AppContext(settings=fresh, engine=ctx.engine, clock=ctx.clock)
    assert token_problem(renewed, event) is None
    jobs.reschedule_event_jobs(renewed, event.id)
    assert set(jobs.scheduled_jobs(renewed, event.id)) == window_and_grid_jobs


def test_a_command_after_slack_refused_the_token_tells_the_person_the_fix(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    fake_slack.fail("auth.test", error="token_revoked", times=1)  # Bolt checks the token on the first request
    sent = slack.command("/camp", "status", user_id=ORG)
    assert sent.status == 200  # Slack shows the body to the person who typed the command
    assert "campbot has no installation in this workspace" in sent.response.text
    assert "SLACK_BOT_TOKEN" in sent.response.text and "Traceback" not in sent.response.text

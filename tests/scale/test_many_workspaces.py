"""One bot, many workspaces: Slack OAuth install, per-team tokens, per-team camps, uninstall.

The app runs with SLACK_CLIENT_ID/SECRET (campbot.slack.oauth), so Bolt authorises every request from
slack_sdk's SQLAlchemy installation store in the test database and hands the listener a
client with *that* workspace's bot token. Team A and team B each have a camp; team C
installed nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from apscheduler.triggers.date import DateTrigger
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.config.settings import Settings, load_settings
from campbot.jobs import scheduling as jobs
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.slack.notifier import slack_notifiers
from campbot.slack.oauth import installation_store
from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.conftest import EXAMPLE_EVENT
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import pitch
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

TEAM_A, TEAM_B, TEAM_C = "T0AAAAAAA", "T0BBBBBBB", "T0CCCCCCC"
TOKEN_A, TOKEN_B = "xoxb-111-aaaaaaaaaaaaaaaaaaaaaaaa", "xoxb-222-bbbbbbbbbbbbbbbbbbbbbbbb"
ORGANISER = "U0ORGANISE1"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        slack_limits="*=100000/1",  # the fake Slack limits nothing
        slack_signing_secret="test-signing-secret",
        slack_client_id="1111.2222",
        slack_client_secret="oauth-client-secret",
        public_url="https://camp.example.org",
    )


def _camp(ctx: AppContext, slug: str, name: str, team: str) -> Event:
    spec = read_event_file(EXAMPLE_EVENT)
    spec.event.slug, spec.event.name, spec.event.team_id = slug, name, team
    return load_event(ctx, spec)


def _install(ctx: AppContext, team: str, token: str) -> None:
    installation_store(ctx).save(
        Installation(
            app_id="A0CAMPBOT",
            enterprise_id=None,
            team_id=team,
            bot_token=token,
            bot_id=f"B{team}",
            bot_user_id=f"U{team}",
            bot_scopes="commands,chat:write",
            user_id="U0INSTALLER",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )


@pytest.fixture
def event(ctx: AppContext) -> Event:
    """Team A's camp (the bot fixture needs one); team B's is made in `teams`."""
    return _camp(ctx, "camp-a", "Camp Alpha", TEAM_A)


@pytest.fixture
def teams(ctx: AppContext, event: Event, bot: BotServer, fake_slack: FakeSlack) -> Iterator[dict[str, Any]]:
    camp_b = _camp(ctx, "camp-b", "Camp Bravo", TEAM_B)
    _install(ctx, TEAM_A, TOKEN_A)
    _install(ctx, TEAM_B, TOKEN_B)
    for camp in (event, camp_b):
        assert camp.id is not None
        from campbot.services.organising import set_voting

        set_voting(ctx, camp.id, open_=True, actor="test")
    secret = "test-signing-secret"
    yield {
        "a": SlackSender(
            url=bot.slack_url, signing_secret=secret, team_id=TEAM_A, response_url=fake_slack.respond_url("a")
        ),
        "b": SlackSender(
            url=bot.slack_url, signing_secret=secret, team_id=TEAM_B, response_url=fake_slack.respond_url("b")
        ),
        "c": SlackSender(
            url=bot.slack_url, signing_secret=secret, team_id=TEAM_C, response_url=fake_slack.respond_url("c")
        ),
        "camp_a": event,
        "camp_b": camp_b,
    }


def _tokens_used(fake: FakeSlack, method: str) -> set[str]:
    return {c.headers.get("authorization", "") for c in fake.calls_to(method)}


def test_each_team_sees_only_its_own_camp_with_its_own_token(
    teams: dict[str, Any], fake_slack: FakeSlack, bot: BotServer
) -> None:
    a, b = teams["a"], teams["b"]
    # team A pitches; the modal and the card go out with A's token only
    pid_a, message_a = pitch(a, fake_slack, bot, user_id="U0HOSTA", title="Alpha-only session")
    assert _tokens_used(fake_slack, "views.open") == {f"Bearer {TOKEN_A}"}
    assert _tokens_used(fake_slack, "chat.postMessage") == {f"Bearer {TOKEN_A}"}
    with session_scope(bot.ctx.engine) as db:
        assert db.get(Pitch, pid_a).event_id == teams["camp_a"].id  # type: ignore[union-attr]

    # team B asks for the status: its own camp, never A's
    fake_slack.reset()
    b.command("/camp", "status", user_id=ORGANISER)
    fake_slack.wait_for("response_url")
    bot.settle()
    text = " ".join(str(c.params) for c in fake_slack.calls)
    assert "Camp Bravo" in text and "Camp Alpha" not in text and "Alpha-only" not in text

    # team B clicks A's card (a forged or copied payload): no vote lands on A's pitch
    fake_slack.reset()
    assert b.click("vote_toggle", str(pid_a), user_id="U0FANB", message=message_a).status == 200
    fake_slack.wait_for("response_url")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        assert db.exec(select(Vote)).all() == []
    assert fake_slack.calls_to("chat.update") == []
    assert all(TOKEN_A not in str(c.headers) for c in fake_slack.calls)

    # the same click from team A counts, with A's token
    assert a.click("vote_toggle", str(pid_a), user_id="U0FANA", message=message_a).status == 200
    fake_slack.wait_for("chat.update")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        assert len(db.exec(select(Vote)).all()) == 1
    assert _tokens_used(fake_slack, "chat.update") == {f"Bearer {TOKEN_A}"}


def test_a_workspace_that_never_installed_gets_nothing(
    teams: dict[str, Any], fake_slack: FakeSlack, bot: BotServer
) -> None:
    c = teams["c"]
    assert c.command("/camp", "voting close", user_id=ORGANISER).status < 500
    assert c.command("/pitch", user_id="U0X").status < 500
    bot.settle()
    assert fake_slack.calls_to("views.open") == []
    # Bolt tells the person the app is not installed there; nothing about anyone's camp
    said = " ".join(str(c.params.get("text", "")) for c in fake_slack.calls_to("response_url"))
    assert "installation" in said and "Camp" not in said
    with session_scope(bot.ctx.engine) as db:
        assert {e.voting_status for e in db.exec(select(Event)).all()} == {"open"}


def _add_job(ctx: AppContext, event_id: int) -> str:
    scheduler = jobs._new_scheduler(ctx, None, workers=1)
    scheduler.start(paused=True)
    try:
        job_id = f"remind:{event_id}:t1"
        scheduler.add_job(
            "campbot.jobs.scheduling:remind_slot",
            DateTrigger(datetime(2030, 1, 1, tzinfo=UTC)),
            args=[event_id, "t1"],
            id=job_id,
            replace_existing=True,
        )
        return job_id
    finally:
        scheduler.shutdown(wait=False)


def test_uninstall_removes_that_teams_tokens_camp_and_jobs_only(
    teams: dict[str, Any], fake_slack: FakeSlack, bot: BotServer
) -> None:
    a, b = teams["a"], teams["b"]
    camp_a, camp_b = teams["camp_a"], teams["camp_b"]
    pid_a, message_a = pitch(a, fake_slack, bot, user_id="U0HOSTA")
    pid_b, message_b = pitch(b, fake_slack, bot, user_id="U0HOSTB")
    a.click("vote_toggle", str(pid_a), user_id="U0FANA", message=message_a)
    b.click("vote_toggle", str(pid_b), user_id="U0FANB", message=message_b)
    fake_slack.wait_for("chat.update", 2)
    bot.settle()
    job_a, job_b = _add_job(bot.ctx, camp_a.id), _add_job(bot.ctx, camp_b.id)
    store = installation_store(bot.ctx)
    assert store.find_bot(enterprise_id=None, team_id=TEAM_A) is not None

    assert a.event({"type": "app_uninstalled"}).status == 200
    deadline_ok = _poll(lambda: store.find_bot(enterprise_id=None, team_id=TEAM_A) is None)
    assert deadline_ok
    bot.settle()
    assert store.find_installation(enterprise_id=None, team_id=TEAM_A) is None
    assert store.find_bot(enterprise_id=None, team_id=TEAM_B) is not None
    with session_scope(bot.ctx.engine) as db:
        assert [e.slug for e in db.exec(select(Event)).all()] == ["camp-b"]
        assert [p.id for p in db.exec(select(Pitch)).all()] == [pid_b]
        assert len(db.exec(select(Vote)).all()) == 1
    left = jobs.scheduled_jobs(bot.ctx)
    assert job_a not in left and job_b in left
    # team A's requests are no longer authorised: nothing happens for it
    fake_slack.reset()
    a.command("/pitch", user_id="U0HOSTA")
    bot.settle()
    assert fake_slack.calls_to("views.open") == []
    # team B carries on
    b.command("/pitch", user_id="U0HOSTB")
    fake_slack.wait_for("views.open")


def _poll(check: Any, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_install_through_slack_oauth_saves_the_team(bot: BotServer, fake_slack: FakeSlack, event: Event) -> None:
    """GET /slack/install -> Slack's authorize URL with our client id, scopes and a state;
    GET /slack/oauth_redirect?code&state -> oauth.v2.access (FakeSlack) -> installation saved."""
    fake_slack.on(
        "oauth.v2.access",
        lambda params: {
            "ok": True,
            "app_id": "A0CAMPBOT",
            "access_token": "xoxb-333-newteamnewteamnewteam",
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "U0NEWBOT",
            "team": {"id": "T0NEWTEAM", "name": "New Camp"},
            "enterprise": None,
            "authed_user": {"id": "U0INSTALLER"},
            "is_enterprise_install": False,
        },
    )
    page = requests.get(bot.url + "/slack/install", timeout=10, allow_redirects=False)
    assert page.status_code in (200, 302)
    link = page.headers.get("Location") or re.search(
        r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page.text
    ).group(1)  # type: ignore[union-attr]
    query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert query["client_id"] == ["1111.2222"]
    assert set(query["scope"][0].split(",")) >= {"commands", "chat:write"}
    assert query["redirect_uri"] == ["https://camp.example.org/slack/oauth_redirect"]
    state = query["state"][0]
    # The state cookie is Secure (the real site is https); send it back as the browser would.
    cookie = page.headers["Set-Cookie"].split(";")[0]
    assert cookie.split("=", 1)[1] == state
    done = requests.get(
        bot.url + "/slack/oauth_redirect",
        params={"code": "the-code", "state": state},
        headers={"Cookie": cookie},
        timeout=10,
    )
    assert done.status_code == 200, done.text[:300]
    assert fake_slack.calls_to("oauth.v2.access")[0].params["code"] == "the-code"
    bot_row = installation_store(bot.ctx).find_bot(enterprise_id=None, team_id="T0NEWTEAM")
    assert bot_row is not None and bot_row.bot_token == "xoxb-333-newteamnewteamnewteam"
    # a forged redirect (no valid state) installs nothing
    bad = requests.get(bot.url + "/slack/oauth_redirect", params={"code": "x", "state": "forged"}, timeout=10)
    assert bad.status_code >= 400
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1


def test_publishing_and_reminders_use_the_camps_own_workspace_token(
    teams: dict[str, Any], fake_slack: FakeSlack, bot: BotServer, clock: Any
) -> None:
    from datetime import timedelta

    from campbot.services import publishing
    from campbot.services.notifying import run_due
    from campbot.store.tables import Slot
    from tests.support.grid_camp import add_pitch, make_draft

    camp_b = teams["camp_b"]
    ctx = bot.ctx
    pid = add_pitch(ctx, camp_b, "Bravo session", "U0HOSTB")
    draft = make_draft(ctx, camp_b, {pid: ("r1", "t1")})
    fake_slack.reset()
    publishing.publish(ctx, camp_b.id, draft, actor=ORGANISER,
            notifier=slack_notifiers(ctx)(camp_b.id))  # from the CLI or a sweep: no request token
    assert fake_slack.calls_to("chat.postMessage")
    assert _tokens_used(fake_slack, "chat.postMessage") == {f"Bearer {TOKEN_B}"}

    with session_scope(ctx.engine) as db:
        first = db.exec(select(Slot).where(Slot.event_id == camp_b.id, Slot.key == "t1")).one()
    clock.set(first.start - timedelta(minutes=11))
    # what was due before the reminders (each camp's "voting is open", with its own token)
    run_due(ctx, notifiers=slack_notifiers(ctx))
    clock.set(first.start - timedelta(minutes=9))
    fake_slack.reset()
    reports = run_due(ctx, notifiers=slack_notifiers(ctx))
    assert any(r.item.what == "remind" and r.item.event_id == camp_b.id for r in reports)
    assert fake_slack.calls_to("chat.postMessage")
    assert _tokens_used(fake_slack, "chat.postMessage") == {f"Bearer {TOKEN_B}"}


def test_a_revoked_team_schedules_nothing_until_it_installs_again(
    teams: dict[str, Any], fake_slack: FakeSlack, bot: BotServer
) -> None:
    from campbot.slack.token_state import token_problem

    a = teams["a"]
    camp_a, camp_b = teams["camp_a"], teams["camp_b"]
    for camp in (camp_a, camp_b):
        jobs.reschedule_event_jobs(bot.ctx, camp.id)
    assert jobs.scheduled_jobs(bot.ctx, camp_a.id) and jobs.scheduled_jobs(bot.ctx, camp_b.id)

    assert a.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [f"U{TEAM_A}"]}}).status == 200
    store = installation_store(bot.ctx)
    assert _poll(lambda: store.find_bot(enterprise_id=None, team_id=TEAM_A) is None)
    bot.settle()
    for camp in (camp_a, camp_b):  # what the scheduler's minute-by-minute re-sync does, with its notifiers
        jobs.reschedule_event_jobs(bot.ctx, camp.id, slack_notifiers(bot.ctx))
    assert jobs.scheduled_jobs(bot.ctx, camp_a.id) == {}
    assert jobs.scheduled_jobs(bot.ctx, camp_b.id)  # team B is untouched
    problem = token_problem(bot.ctx, camp_a)
    assert problem is not None and "add it again at https://camp.example.org/slack/install" in problem
    assert token_problem(bot.ctx, camp_b) is None
    # a person in team A is told why nothing happens, and how to fix it
    a.command("/camp", "status", user_id=ORGANISER)
    told = fake_slack.wait_for("response_url", where=lambda c: "no installation in this workspace" in str(c.params))
    assert "add it at https://camp.example.org/slack/install" in str(told[0].params)
    # a workspace that never installed (or uninstalled and was set up again) cannot send either
    assert "not installed" in (token_problem(bot.ctx, Event(slug="x", name="X", team_id=TEAM_C)) or "")

    _install(bot.ctx, TEAM_A, TOKEN_A.replace("111", "333"))  # "Add to Slack" again: a new token
    assert token_problem(bot.ctx, camp_a) is None
    jobs.reschedule_event_jobs(bot.ctx, camp_a.id)
    assert jobs.scheduled_jobs(bot.ctx, camp_a.id)

"""Many-workspace mode (Slack OAuth) with the database away: every request is authorised from
the installation store in that database, so the outage hits before any listener. A team this
process has served keeps being answered (campbot.slack.oauth.ResilientAuthorize: its last token), and
the person is told the database is away, not a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.oauth.installation_store import Installation

from campbot.config.context import AppContext
from campbot.config.settings import Settings, load_settings
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.slack.oauth import installation_store
from campbot.slack.outage import DB_DOWN
from campbot.store.tables import Event
from tests.conftest import EXAMPLE_EVENT
from tests.e2e.conftest import BotServer
from tests.faults.conftest import Outage
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

TEAM = "T0CAMP"  # SlackSender's default team
TOKEN = "xoxb-444-campcampcampcampcampcamp"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        slack_limits="*=100000/1",  # the fake Slack limits nothing
        slack_signing_secret="test-signing-secret",
        slack_client_id="1111.2222",
        slack_client_secret="oauth-client-secret",
    )


@pytest.fixture
def event(ctx: AppContext) -> Event:
    spec = read_event_file(EXAMPLE_EVENT)
    spec.event.team_id = TEAM
    installation_store(ctx).save(
        Installation(
            app_id="A0CAMPBOT",
            enterprise_id=None,
            team_id=TEAM,
            bot_token=TOKEN,
            bot_id="B0BOT",
            bot_user_id="U0BOT",
            bot_scopes="commands,chat:write",
            user_id="U0INSTALLER",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    return load_event(ctx, spec)


def test_a_known_team_is_told_the_database_is_away(
    outage: Outage, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    slack.command("/camp", "status", user_id="U0ORGANISE1")  # the team has been served before
    fake_slack.wait_for("response_url")
    bot.settle()
    fake_slack.reset()
    outage.down()
    try:
        cmd = slack.command("/camp", "voting close", user_id="U0ORGANISE1")
        assert cmd.status == 200 and cmd.json() == {"response_type": "ephemeral", "text": DB_DOWN}
        click = slack.click("vote_toggle", "1", user_id="U0FAN1")
        assert click.status == 200
        assert fake_slack.wait_for("response_url")[0].params["text"] == DB_DOWN
        bot.settle()
    finally:
        outage.up()
    assert slack.command("/camp", "status", user_id="U0ORGANISE1").status == 200
    fake_slack.wait_for("response_url", 2)

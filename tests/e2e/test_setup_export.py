"""`/camp setup` and `/camp export` over signed HTTP: organisers only; changes land; links work."""

from __future__ import annotations

import re

from campbot.store.db import session_scope
from campbot.store.tables import Event, Person
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import replies
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

ORG = "U0ORGANISE1"


def _blocks_text(fake: FakeSlack) -> str:
    call = fake.calls_to("response_url")[-1]
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in call.params.get("blocks") or [])


def test_setup_shows_and_changes_settings(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer,
                                          event: Event) -> None:
    slack.command("/camp", "setup", user_id=ORG)
    fake_slack.wait_for("response_url", 1)
    shown = _blocks_text(fake_slack)
    assert "LocalGovCamp 2026" in shown and "`r1` Main hall: 80 seats" in shown and "13:00–13:45 (`t3`, pm)" in shown
    assert "Quota *10*" in shown and "Voting is open now and closes by itself Saturday 20 June at 09:45" in shown

    slack.command("/camp", "setup quota 12", user_id=ORG)
    fake_slack.wait_for("response_url", 2)
    assert "quota is now 12 (was 10)" in replies(fake_slack)[-1]
    slack.command("/camp", "setup closes 09:30", user_id=ORG)
    fake_slack.wait_for("response_url", 3)
    assert "closes at Sat 20 Jun 09:30" in replies(fake_slack)[-1]
    # typed literally, "<!channel>" reaches us as Slack sends it (entities); echoed as typed, pings nobody
    slack.command("/camp", "setup closes &lt;!channel&gt;", user_id=ORG)
    fake_slack.wait_for("response_url", 4)
    assert "'&lt;!channel&gt;' is not a time" in replies(fake_slack)[-1]
    assert "<!channel>" not in replies(fake_slack)[-1]
    slack.command("/camp", "setup quota 3", user_id="U0ATTENDEE")
    fake_slack.wait_for("response_url", 5)
    assert replies(fake_slack)[-1].startswith("Sorry, only the camp's organisers")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        ev = db.get(Event, event.id)
        assert ev is not None and ev.vote_quota == 12
        assert ev.voting_closes_at is not None and ev.voting_closes_at.isoformat() == "2026-06-20T08:30:00+00:00"


def test_export_links_include_a_personal_feed(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer) -> None:
    slack.command("/camp", "export", user_id=ORG)
    fake_slack.wait_for("response_url", 1)
    shown = _blocks_text(fake_slack)
    assert "/grid?mode=screen|Grid (big screen)>" in shown and "/data/grid.csv|" in shown
    token = re.search(r"/ical/person/([\w-]+)\.ics", shown)
    assert token is not None
    with session_scope(bot.ctx.engine) as db:
        person = db.exec(Person.__table__.select().where(Person.slack_user_id == ORG)).first()  # type: ignore[attr-defined]
        assert person is not None and person.feed_token == token.group(1)

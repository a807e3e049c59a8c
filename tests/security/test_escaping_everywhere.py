"""User text shows as typed everywhere: a title full of Slack and HTML syntax, pitched through
the real modal, published, then read back from Slack messages, the HTML grid, the iCal feed
and the open data, all served by the running app."""

from __future__ import annotations

import json

import requests
from icalendar import Calendar

from campbot.services import publishing
from campbot.slack.notifier import slack_notifiers
from campbot.store.tables import Event
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_posts, pitch
from tests.support.fake_slack import FakeSlack
from tests.support.grid_camp import make_draft
from tests.support.slack_requests import SlackSender

NASTY = "<!channel> <@U0BOSS> <http://evil.example|go> & <b>bo</b> <script>x()</script>"
ESCAPED_FOR_SLACK = "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;http://evil.example|go&gt; &amp; &lt;b&gt;"


def _slack_texts(fake: FakeSlack) -> str:
    return json.dumps([c.params for c in fake.calls if c.method != "views.open"])


def test_hostile_title_is_inert_in_slack_html_ical_and_data(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, _ = pitch(slack, fake_slack, bot, user_id="U0HOST1", title=NASTY)
    assert ESCAPED_FOR_SLACK in json.dumps(card_posts(fake_slack)[-1].params)
    assert voting_open.id is not None
    draft = make_draft(bot.ctx, voting_open, {pid: ("r1", "t1")})
    publishing.publish_with_report(bot.ctx, voting_open.id, draft, actor="U0ORGANISE1",
            notifier=slack_notifiers(bot.ctx)(voting_open.id))
    bot.settle()

    sent = _slack_texts(fake_slack)
    for raw in ("<!channel>", "<@U0BOSS>", "<http://evil.example|go>", "<script>"):
        assert raw not in sent, raw  # no ping, no mention, no disguised link, in any message
    assert ESCAPED_FOR_SLACK in sent  # the grid announcement carries the title, escaped

    html = requests.get(bot.url + "/grid", timeout=10)
    assert html.status_code == 200
    assert "<script>x()</script>" not in html.text and "<b>bo</b>" not in html.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in html.text and "&lt;!channel&gt;" in html.text

    ics = requests.get(bot.url + "/ical/event.ics", timeout=10)
    assert ics.status_code == 200
    summaries = [str(ev.get("SUMMARY")) for ev in Calendar.from_ical(ics.content).walk("VEVENT")]
    assert any(NASTY in s for s in summaries), summaries  # plain text, as typed

    data = requests.get(bot.url + "/data/grid.json", timeout=10)
    assert data.status_code == 200
    assert NASTY in json.dumps(data.json(), ensure_ascii=False)  # open data: the text itself

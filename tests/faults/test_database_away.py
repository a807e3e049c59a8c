"""The database goes away while people use the bot, then comes back.

While it is away every kind of Slack request gets a plain answer (never a 500 page, never
silence) and nothing half-happens; once it is back the same actions work and the vote table
holds exactly what people were told it holds.

Runs on SQLite (statements fail with OperationalError while "down") and on PostgreSQL (a
TCP proxy in front of the server is cut: real connection failures inside psycopg).
"""

from __future__ import annotations

import json

import pytest
import requests
from sqlmodel import select

from campbot.slack.outage import DB_DOWN
from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import DEFAULT_ANSWERS, card_updates, pitch
from tests.faults.conftest import Outage
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def _votes(bot: BotServer) -> list[tuple[int, int]]:
    with session_scope(bot.ctx.engine) as db:
        return [(v.person_id, v.pitch_id) for v in db.exec(select(Vote)).all()]


def test_every_request_kind_is_answered_while_the_database_is_away(
    outage: Outage, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1")
    slack.command("/pitch", user_id="U0HOST2")
    view = fake_slack.wait_for("views.open", 2)[-1].params["view"]
    bot.settle()
    fake_slack.reset()

    outage.down()
    try:
        # a button: acked, then told privately
        click = slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
        assert click.status == 200
        told = fake_slack.wait_for("response_url")
        assert told[0].params["text"] == DB_DOWN and told[0].params["response_type"] == "ephemeral"
        # a slash command: the ack itself is the ephemeral answer
        cmd = slack.command("/camp", "voting close", user_id="U0ORGANISE1")
        assert cmd.status == 200 and cmd.json() == {"response_type": "ephemeral", "text": DB_DOWN}
        # a modal: stays open with a field error, the person's text still in it
        sub = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Written during the outage"}, user_id="U0HOST2")
        assert sub.status == 200 and sub.json()["response_action"] == "errors"
        assert DB_DOWN[:40] in json.dumps(sub.json()["errors"])
        # an event: refused with 503 + Retry-After, so Slack delivers it again later (an
        # acked event would never come back, and an uninstall must not be lost)
        home = slack.event({"type": "app_home_opened", "user": "U0FAN1", "tab": "home"})
        assert home.status == 503 and home.response.headers.get("retry-after")
        assert requests.get(bot.url + "/healthz", timeout=10).status_code == 503
        bot.settle()
        assert fake_slack.calls_to("chat.update") == [] and fake_slack.calls_to("views.publish") == []
    finally:
        outage.up()

    # back: nothing happened while away, and everything works again
    assert requests.get(bot.url + "/healthz", timeout=10).status_code == 200
    assert _votes(bot) == []
    with session_scope(bot.ctx.engine) as db:
        assert db.exec(select(Event.voting_status)).one() == "open"
        assert [p.title for p in db.exec(select(Pitch)).all()] == [DEFAULT_ANSWERS["title"]]

    # Slack redelivers the refused event: handled now, once
    assert home.again().status == 200
    fake_slack.wait_for("views.publish")
    assert home.again().status == 200  # a further retry is a repeat
    # the person presses the button again: counted once
    assert slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message).status == 200
    fake_slack.wait_for("chat.update")
    # and submits the modal again (Slack sends a new trigger id): saved once
    resub = slack.submit_view(view, {**DEFAULT_ANSWERS, "title": "Written during the outage"}, user_id="U0HOST2")
    assert resub.status == 200 and not resub.response.content
    fake_slack.wait_for("chat.postMessage", 2)
    bot.settle()
    assert len(_votes(bot)) == 1
    assert len(card_updates(fake_slack, pid)) == 1
    with session_scope(bot.ctx.engine) as db:
        titles = sorted(p.title for p in db.exec(select(Pitch)).all())
    assert titles == sorted([DEFAULT_ANSWERS["title"], "Written during the outage"])
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_the_database_failing_after_the_ack_is_told_not_silent(
    outage: Outage,
    slack: SlackSender,
    fake_slack: FakeSlack,
    bot: BotServer,
    voting_open: Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ack went out, then the database went: the listener's own work fails and the person is
    told the database is away (campbot.slack.listeners.common.after_ack), not left wondering."""
    from campbot.slack.listeners import common

    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1")
    fake_slack.reset()
    real_event_for = common.event_for

    def event_for_then_outage(context):  # type: ignore[no-untyped-def]
        outage.down()  # the database goes between the ack and the work
        return real_event_for(context)

    monkeypatch.setattr("campbot.slack.listeners.actions.event_for", event_for_then_outage)
    try:
        assert slack.click("vote_toggle", str(pid), user_id="U0FAN2", message=message).status == 200
        told = fake_slack.wait_for("response_url")
        bot.settle()
    finally:
        monkeypatch.undo()
        outage.up()
    assert told[0].params["text"] == DB_DOWN
    assert _votes(bot) == []

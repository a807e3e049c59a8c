"""Someone writes to campbot in its Messages tab (`message.im`): one friendly help, once.

Bodies are Events API `event_callback`s shaped as Slack documents message.im: channel_type
"im", a D… channel, the person's user id, client_msg_id, ts; edits arrive as subtype
message_changed, the bot's own posts carry bot_id.
"""

from __future__ import annotations

from typing import Any

from campbot.slack.blocks.dm_help import CampFacts, dm_help_text
from campbot.store.tables import Event
from tests.e2e.conftest import BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender, unique

DM = "D0ATTENDEE"


def _dm(text: str, *, user: str = "U0ATTENDEE", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": DM, "channel_type": "im", "user": user, "text": text,
            "ts": unique("1700000000."), "client_msg_id": unique("c-"), **extra}


def _answers(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == DM]


def test_a_direct_message_gets_the_help_once_even_when_redelivered(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    message = _dm("how do I pitch? &lt;3")
    sent = slack.event(message)
    assert sent.status == 200
    (answer,) = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == DM)
    text = answer.params["text"]
    for words in ("LocalGovCamp 2026", "`/pitch`", "I'm interested", "#lgc-pitches", "Home", "<@U0ORGANISE1>",
                  "<@U0ORGANISE2>", "/grid|the grid page>"):
        assert words in text, words
    # Slack's retries: the same bytes with X-Slack-Retry-Num, and the same message under a new event id
    assert sent.again().status == 200
    retry = slack.post(sent.body, "application/json", headers={"X-Slack-Retry-Num": "1",
                                                               "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200
    assert slack.event(message).status == 200
    bot.settle()
    assert len(_answers(fake_slack)) == 1
    # a second message is a second question: answered (in its thread when it has one)
    assert slack.event(_dm("and voting?", thread_ts="1700000000.000001")).status == 200
    fake_slack.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == DM)
    assert _answers(fake_slack)[-1]["thread_ts"] == "1700000000.000001"


def test_edits_bots_our_own_messages_and_other_channels_get_no_answer(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    ignored = [
        _dm("I said this", user="U0BOT"),  # our own reply, echoed back as a message.im
        {**_dm("beep"), "bot_id": "B0OTHER", "subtype": "bot_message"},
        {**_dm(""), "subtype": "message_changed", "message": {"type": "message", "user": "U0ATTENDEE",
                                                                 "text": "edited", "ts": "1700000000.000002"}},
        {**_dm(""), "subtype": "message_deleted", "deleted_ts": "1700000000.000002"},
        {**_dm("hello all"), "channel": "C0GENERAL", "channel_type": "channel"},
        {"type": "message", "channel": DM, "channel_type": "im", "subtype": "channel_join", "ts": "1.2"},
    ]
    for body in ignored:
        assert slack.event(body).status == 200
    bot.settle()
    assert fake_slack.calls_to("chat.postMessage") == []


def test_the_help_without_a_camp_says_so() -> None:
    assert "no camp is set up" in dm_help_text(None)
    facts = CampFacts(name="A <b> & c", pitches_channel="C0PITCHES", organisers=(), organiser_usergroup="S0ORG",
                      grid_url="https://camp.example.org/grid")
    text = dm_help_text(facts)
    assert "*A &lt;b&gt; &amp; c*" in text and "<#C0PITCHES>" in text and "<!subteam^S0ORG>" in text

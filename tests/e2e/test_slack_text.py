"""Slash-command text as Slack really sends it, over signed HTTP to the real app.

Slack form-encodes the body, and inside the `text` value the person's own `&`, `<` and `>`
arrive as `&amp;`, `&lt;` and `&gt;`; with `should_escape: true` (app.yaml, /camp) a person
picked from the autocomplete arrives as `<@U…|name>`. The app decodes once at the edge
(campbot.slack.slack_text) and escapes once on the way out (campbot.slack.escape).
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import select

from campbot.services.pitching import get_pitch_card
from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_posts, pitch, replies
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import FORM, SlackSender

ORG = "U0ORGANISE1"
# The `text` field exactly as it is on the wire for: /camp paper "Tea & biscuits <3" by Sam Jones & Priya Shah votes 3
PAPER_ON_THE_WIRE = "paper+%22Tea+%26amp%3B+biscuits+%26lt%3B3%22+by+Sam+Jones+%26amp%3B+Priya+Shah+votes+3"


def _ask(slack: SlackSender, fake: FakeSlack, text: str, *, user: str = ORG) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=user).status == 200
    fake.wait_for("response_url", before + 1)
    return replies(fake)[before]


def test_paper_pitch_with_ampersands_and_angle_brackets_is_stored_and_shown_as_typed(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    fields = slack.command_fields("/camp", "", user_id=ORG)
    body = urlencode({k: v for k, v in fields.items() if k != "text"}) + "&text=" + PAPER_ON_THE_WIRE
    assert slack.post(body, FORM).status == 200
    fake_slack.wait_for("response_url")
    fake_slack.wait_for("chat.postMessage")
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        (row,) = db.exec(select(Pitch)).all()
    assert row.id is not None and event.id is not None
    card = get_pitch_card(bot.ctx, event.id, row.id)
    assert (card.title, card.host_names, card.paper_votes) == ("Tea & biscuits <3", ("Sam Jones", "Priya Shah"), 3)
    shown = str(card_posts(fake_slack)[-1].params["blocks"]) + replies(fake_slack)[-1]
    assert "Tea &amp; biscuits &lt;3" in shown and "Sam Jones" in shown and "Priya Shah" in shown
    assert "&amp;amp;" not in shown and "amp; Priya" not in shown and "&amp;lt;" not in shown


def test_pitch_title_from_the_command_is_decoded_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert slack.command("/pitch", "Data &amp; AI &lt;for councils&gt; &amp;amp;", user_id="U0HOST1").status == 200
    view = fake_slack.wait_for("views.open")[-1].params["view"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Data & AI <for councils> &amp;"


def test_host_gone_finds_the_host_by_mention_name_or_display_name_and_answers_with_the_name(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    slack.user_names["U0GONE"] = "gone.host"
    pid, _ = pitch(slack, fake_slack, bot, user_id="U0GONE", title="Parish data & maps")
    for typed in ("<@U0GONE|gone.host>", "<@U0GONE>", "@gone.host", "gone.host", "Gone Host", "U0GONE"):
        answer = _ask(slack, fake_slack, f"host-gone {typed}")
        assert answer.startswith("Marked gone.host as gone"), (typed, answer)
        assert "Parish data &amp; maps" in answer
        assert "<@" not in answer and "U0GONE" not in answer
    with session_scope(bot.ctx.engine) as db:
        stored = db.get(Pitch, pid)
        assert stored is not None and len(stored.unavailable_slots) == len(set(stored.unavailable_slots)) > 0


def test_host_gone_for_someone_unknown_or_nobody_says_why(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    answer = _ask(slack, fake_slack, "host-gone <@U0STRANGER|stranger &amp; co>")
    assert answer.startswith("Nobody called 'stranger &amp; co' is at this camp") and "<@" not in answer
    assert _ask(slack, fake_slack, "host-gone").startswith("Usage: `/camp host-gone @someone`")
    # a mention-looking text the person typed is text, not a mention (and comes back escaped)
    answer = _ask(slack, fake_slack, "host-gone &lt;@U0GONE&gt;")
    assert "'&lt;@U0GONE&gt;'" in answer


def test_a_mentioned_paper_host_is_named_not_tokenised(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    answer = _ask(slack, fake_slack, 'paper "Bins &amp; rounds" by <@U0SAM|sam.jones> &amp; <@U0PRIYA> votes 2')
    assert answer.startswith("Added paper pitch") and "<@" not in answer
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        (row,) = db.exec(select(Pitch)).all()
    assert row.id is not None and event.id is not None
    card = get_pitch_card(bot.ctx, event.id, row.id)
    # the unlabelled mention is named from users.info (the fake answers "Person U0PRIYA")
    assert (card.title, card.host_names) == ("Bins & rounds", ("sam.jones", "Person U0PRIYA"))


def test_an_unknown_subcommand_is_quoted_back_escaped_once(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    answer = _ask(slack, fake_slack, "t&amp;c")
    assert answer.startswith("I don't know `/camp t&amp;c`")

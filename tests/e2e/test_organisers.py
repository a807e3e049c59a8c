"""Organiser commands: role checked on our side; status, voting, paper pitches, merge, help."""

from __future__ import annotations

from sqlmodel import select

from campbot.services.pitching import get_pitch_card
from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_posts, card_updates, pitch, replies, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

ORG = "U0ORGANISE1"


def _event(bot: BotServer, event: Event) -> Event:
    with session_scope(bot.ctx.engine) as db:
        found = db.get(Event, event.id)
        assert found is not None
        return found


def test_organiser_commands_refused_to_others(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    pid, _ = pitch(slack, fake_slack, bot)
    other, _ = pitch(slack, fake_slack, bot, title="Other")
    switch = _event(bot, event).voting_status
    commands = ["status", "voting open", 'paper "Sneaky" by Eve votes 99', f"merge {pid} {other}", "paper"]
    for n, text in enumerate(commands, start=1):
        assert slack.command("/camp", text, user_id="U0ATTENDEE").status == 200
        fake_slack.wait_for("response_url", n)
    bot.settle()
    assert all(r.startswith("Sorry, only the camp's organisers") for r in replies(fake_slack))
    assert _event(bot, event).voting_status == switch
    assert event.id is not None
    assert get_pitch_card(bot.ctx, event.id, pid).status == "active"
    with session_scope(bot.ctx.engine) as db:
        assert len(db.exec(select(Pitch)).all()) == 2
    assert len(fake_slack.calls_to("views.open")) == 2  # only the two /pitch modals


def test_organiser_by_user_group(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    with session_scope(bot.ctx.engine) as db:
        ev = db.get(Event, event.id)
        assert ev is not None
        ev.organiser_usergroup = "S0CREW"
        db.add(ev)
    fake_slack.usergroups["S0CREW"] = ["U0CREW"]
    slack.command("/camp", "voting open", user_id="U0CREW")
    fake_slack.wait_for("response_url")
    bot.settle()
    assert "Voting is now open" in replies(fake_slack)[-1]
    assert _event(bot, event).voting_status == "open"
    slack.command("/camp", "voting close", user_id="U0NOTCREW")
    fake_slack.wait_for("response_url", 2)
    bot.settle()
    assert _event(bot, event).voting_status == "open"


def test_voting_open_close_and_status(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    slack.command("/camp", "voting open", user_id=ORG)
    fake_slack.wait_for("response_url", 1)
    assert _event(bot, event).voting_status == "open"
    slack.command("/camp", "status", user_id=ORG)
    fake_slack.wait_for("response_url", 2)
    assert "Voting: *open*" in replies(fake_slack)[-1] and "Pitches: *0* active" in replies(fake_slack)[-1]
    slack.command("/camp", "voting close", user_id=ORG)
    fake_slack.wait_for("response_url", 3)
    assert _event(bot, event).voting_status == "closed"
    slack.command("/camp", "voting maybe", user_id=ORG)
    fake_slack.wait_for("response_url", 4)
    assert "/camp voting open" in replies(fake_slack)[-1]
    slack.command("/camp", "frobnicate", user_id=ORG)
    fake_slack.wait_for("response_url", 5)
    assert "don't know" in replies(fake_slack)[-1] and "/camp merge A B" in replies(fake_slack)[-1]


def test_help_lists_only_what_you_may_use(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer) -> None:
    slack.command("/camp", "", user_id="U0ATTENDEE")
    fake_slack.wait_for("response_url", 1)
    assert "/camp help" in replies(fake_slack)[-1] and "merge" not in replies(fake_slack)[-1]
    slack.command("/camp", "help", user_id=ORG)
    fake_slack.wait_for("response_url", 2)
    assert "merge" in replies(fake_slack)[-1] and "voting open|close" in replies(fake_slack)[-1]


def test_paper_pitch_by_command_and_by_form(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    slack.command("/camp", "paper “Libraries as hubs” by Sam Jones, Priya Shah votes 12", user_id=ORG)
    fake_slack.wait_for("response_url", 1)
    fake_slack.wait_for("chat.postMessage")
    bot.settle()
    assert "Added paper pitch" in replies(fake_slack)[-1]
    post = card_posts(fake_slack)[-1]
    assert "Sam Jones" in str(post.params["blocks"]) and "12 by show of hands" in str(post.params["blocks"])
    slack.command("/camp", 'paper "No hosts"', user_id=ORG)
    fake_slack.wait_for("response_url", 2)
    assert "couldn't read" in replies(fake_slack)[-1]
    # the form
    slack.command("/camp", "paper", user_id=ORG)
    view = fake_slack.wait_for("views.open")[-1].params["view"]
    bad = slack.submit_view(view, {"title": "Bins", "hosts": " , ", "votes": "3"}, user_id=ORG)
    assert bad.json()["response_action"] == "errors" and "hosts" in bad.json()["errors"]
    ok = slack.submit_view(view, {"title": "Bins", "hosts": "Ann Lee", "votes": "3"}, user_id=ORG)
    assert ok.status == 200 and not ok.response.content
    fake_slack.wait_for("chat.postMessage", 2)
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        papers = {p.title: p.paper_votes for p in db.exec(select(Pitch)).all()}
    assert papers == {"Libraries as hubs": 12, "Bins": 3}
    # a non-organiser submitting the form (forged) is refused
    forged = slack.submit_view(view, {"title": "Forged", "hosts": "Eve", "votes": "9"}, user_id="U0ATTENDEE")
    assert forged.json()["response_action"] == "errors"


def test_merge_moves_votes_once(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event) -> None:
    a, msg_a = pitch(slack, fake_slack, bot, title="Dup A", user_id="U0HOST1")
    b, msg_b = pitch(slack, fake_slack, bot, title="Dup B", user_id="U0HOST2")
    for user in ("U0X", "U0BOTH"):
        slack.click("vote_toggle", str(a), user_id=user, message=msg_a)
    for user in ("U0Y", "U0BOTH"):
        slack.click("vote_toggle", str(b), user_id=user, message=msg_b)
    bot.settle()  # card updates are coalesced: the last one of each card carries its count
    for pid in (a, b):
        assert shown_count(card_updates(fake_slack, pid)[-1]) == 2
    with session_scope(bot.ctx.engine) as db:
        pb = db.get(Pitch, b)
        assert pb is not None
        pb.paper_votes = 5
        db.add(pb)
        pa = db.get(Pitch, a)
        assert pa is not None
        pa.paper_votes = 2
        db.add(pa)
    slack.command("/camp", f"merge #{a} into #{b}", user_id=ORG)
    fake_slack.wait_for("response_url", 5)
    bot.settle()
    assert "2 votes moved" not in replies(fake_slack)[-1]
    assert "1 votes moved, 1 people had voted for both" in replies(fake_slack)[-1]
    with session_scope(bot.ctx.engine) as db:
        voters_b = sorted(v.person_id for v in db.exec(select(Vote).where(Vote.pitch_id == b)).all())
        assert len(voters_b) == 3 and len(set(voters_b)) == 3
        assert db.exec(select(Vote).where(Vote.pitch_id == a)).all() == []
    assert voting_open.id is not None
    card_b = get_pitch_card(bot.ctx, voting_open.id, b)
    assert card_b.paper_votes == 7 and set(card_b.host_user_ids) == {"U0HOST1", "U0HOST2"}
    assert get_pitch_card(bot.ctx, voting_open.id, a).status == "merged"
    assert shown_count(card_updates(fake_slack, b)[-1]) == 10  # 3 Slack + 7 paper
    assert "merged into pitch" in str(card_updates(fake_slack, a)[-1].params["blocks"])
    # the person who voted for both has one vote on B: their quota counts it once
    slack.click("vote_toggle", str(b), user_id="U0BOTH", message=msg_b)
    fake_slack.wait_for("response_url", 6)
    assert "0 of 10" in replies(fake_slack)[-1]


def test_cards_for_imported_pitches(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    from pathlib import Path

    from campbot.services.importing import import_pitches, read_pitch_file

    assert event.id is not None
    spec = read_pitch_file(Path(__file__).resolve().parents[2] / "examples" / "localgovcamp-pitches.yaml")
    result = import_pitches(bot.ctx, event.id, spec, with_votes=False)
    slack.command("/camp", "cards", user_id=ORG)
    fake_slack.wait_for("response_url")
    bot.settle()
    assert f"Posted {result.pitches} of {result.pitches}" in replies(fake_slack)[-1]
    assert len(card_posts(fake_slack)) == result.pitches
    slack.command("/camp", "cards", user_id=ORG)  # nothing missing now
    fake_slack.wait_for("response_url", 2)
    assert "already has its card" in replies(fake_slack)[-1]
    assert len(card_posts(fake_slack)) == result.pitches


def test_card_post_failure_keeps_the_pitch_and_says_so(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    slack.command("/pitch", user_id="U0HOST1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert slack.submit_view(view, {"title": "Kept anyway"}, user_id="U0HOST1").status == 200
    dm = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "U0HOST1")[0]
    assert "is saved" in dm.params["text"] and "/camp cards" in dm.params["text"]
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        kept = db.exec(select(Pitch)).one()
    assert kept.title == "Kept anyway" and kept.message_ts is None
    slack.command("/camp", "cards", user_id=ORG)
    fake_slack.wait_for("response_url")
    assert "Posted 1 of 1" in replies(fake_slack)[-1]


def test_organiser_input_is_escaped_too(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    # as Slack sends what was typed: the person's own < > & as entities, the mention as a token
    slack.command("/camp", 'paper "&lt;!channel&gt; party" by <@U0BOSS|boss> &amp; &lt;http://x|y&gt; votes 1',
                  user_id=ORG)
    fake_slack.wait_for("response_url")
    fake_slack.wait_for("chat.postMessage")
    bot.settle()
    for text in (replies(fake_slack)[-1], str(card_posts(fake_slack)[-1].params)):
        assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<http://x|y>" not in text
        assert "&lt;!channel&gt; party" in text


def test_a_refusal_quoting_what_was_typed_is_escaped_in_slack(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer
) -> None:
    """Services refuse in plain text (the command line prints it as typed); the Slack face escapes
    it where it shows the refusal, so typed markup shows as typed and pings nobody, once escaped."""
    slack.command("/camp", "merge &lt;b&gt;&amp;co 3", user_id=ORG)  # the person typed: merge <b>&co 3
    fake_slack.wait_for("response_url", 1)
    answer = replies(fake_slack)[-1]
    assert "'&lt;b&gt;&amp;co' is not a pitch number" in answer, answer
    assert "<b>" not in answer and "&amp;amp;" not in answer

"""Pitching in Slack: modal -> stored pitch -> card; inline errors; edit and withdraw by hosts."""

from __future__ import annotations

import pytest
from sqlmodel import select

from campbot.services.pitching import get_pitch_card, list_pitches
from campbot.store.db import session_scope
from campbot.store.tables import Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_posts, card_updates, pitch, replies, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def test_pitch_posts_a_card_and_stores_where(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    pid, _ = pitch(
        slack,
        fake_slack,
        bot,
        user_id="U0HOST1",
        title="Housing data",
        description="Who has it?",
        cohosts=["U0HOST2"],
        format="workshop",
        length="2",
        needs=["projector", "step_free"],
        unavailable=["t1"],
        tags="Housing, #data, housing",
    )
    post = card_posts(fake_slack)[-1]
    assert post.params["channel"] == "#lgc-pitches"
    text = " ".join(str(b) for b in post.params["blocks"])
    assert "Housing data" in text and "Workshop" in text and "<@U0HOST1>" in text and "<@U0HOST2>" in text
    assert event.id is not None
    card = get_pitch_card(bot.ctx, event.id, pid)
    assert card.format == "workshop" and card.length == 2 and card.needs == ("projector", "step_free")
    assert card.unavailable_slots == ("t1",) and card.tags == ("housing", "data")
    assert set(card.host_user_ids) == {"U0HOST1", "U0HOST2"}
    assert card.channel == "#lgc-pitches" and card.message_ts  # where the card is, for chat.update
    dm = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "U0HOST1")
    assert "Housing data" in dm[0].params["text"]


def test_bad_fields_come_back_inline_and_nothing_is_saved(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    slack.command("/pitch", user_id="U0HOST1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    cases = [
        ({"title": None}, "title"),
        ({"title": "x" * 81}, "title"),  # the element's max_length is Slack-side only; a forged body gets here
        ({"title": "ok", "description": "d" * 501}, "description"),
        ({"title": "ok", "unavailable": ["t1", "t2", "t3", "t4", "t5"]}, "unavailable"),
        ({"title": "ok", "format": "lecture"}, "format"),
        ({"title": "ok", "tags": "a" * 31}, "tags"),
    ]
    for answers, field in cases:
        sent = slack.submit_view(view, answers, user_id="U0HOST1")
        assert sent.status == 200
        body = sent.json()
        assert body["response_action"] == "errors", answers
        assert field in body["errors"] and body["errors"][field], answers
    bot.settle()
    assert event.id is not None
    assert list_pitches(bot.ctx, event.id, statuses=None) == []
    assert card_posts(fake_slack) == []


def test_host_edits_from_the_card_menu(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="First title", tags="a, b")
    slack.choose("pitch_menu", f"edit:{pid}", user_id="U0HOST1", message=message)
    view = fake_slack.wait_for("views.open", 2)[-1].params["view"]
    assert view["blocks"][0]["element"]["initial_value"] == "First title"
    sent = slack.submit_view(view, {"title": "Better title"}, user_id="U0HOST1")
    assert sent.status == 200 and not sent.response.content
    update = fake_slack.wait_for("chat.update")[-1]
    assert "Better title" in str(update.params["blocks"]) and update.params["ts"]
    assert event.id is not None
    card = get_pitch_card(bot.ctx, event.id, pid)
    assert card.title == "Better title" and card.tags == ("a", "b")  # untouched fields kept
    assert len(card_posts(fake_slack)) == 1  # edited in place, not re-posted


def test_only_hosts_edit_or_withdraw(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Mine")
    for choice in (f"edit:{pid}", f"withdraw:{pid}"):
        slack.choose("pitch_menu", choice, user_id="U0STRANGER", message=message)
    fake_slack.wait_for("response_url", 2)
    bot.settle()
    assert all("Only the session's hosts" in r for r in replies(fake_slack))
    assert len(fake_slack.calls_to("views.open")) == 1  # only the /pitch one
    # the confirm button, forged by a non-host, is refused too
    slack.click("pitch_withdraw_confirm", str(pid), user_id="U0STRANGER", message=message)
    fake_slack.wait_for("response_url", 3)
    bot.settle()
    assert event.id is not None
    assert get_pitch_card(bot.ctx, event.id, pid).status == "active"
    assert card_updates(fake_slack, pid) == []


def test_withdraw_keeps_votes_and_leaves_the_solve(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Going soon")
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("chat.update")
    slack.choose("pitch_menu", f"withdraw:{pid}", user_id="U0HOST1", message=message)
    confirm = fake_slack.wait_for("response_url", 2)[-1]
    button = confirm.params["blocks"][1]["elements"][0]
    assert button["action_id"] == "pitch_withdraw_confirm" and button["confirm"]
    slack.click("pitch_withdraw_confirm", button["value"], user_id="U0HOST1", message=message)
    done = fake_slack.wait_for("response_url", 3)[-1].params
    assert done["text"].startswith("Withdrawn") and done["replace_original"] is True  # replaces "are you sure?"
    bot.settle()
    last = card_updates(fake_slack, pid)[-1]
    assert "withdrawn" in str(last.params["blocks"]) and "vote_toggle" not in str(last.params["blocks"])
    assert voting_open.id is not None
    assert [p.id for p in list_pitches(bot.ctx, voting_open.id)] == []  # out of what the solver takes
    with session_scope(bot.ctx.engine) as db:
        assert db.exec(select(Vote).where(Vote.pitch_id == pid)).all()  # history kept
        assert db.get(Pitch, pid).status == "withdrawn"  # type: ignore[union-attr]
    # and it takes no new votes
    slack.click("vote_toggle", str(pid), user_id="U0FAN2", message=message)
    assert "withdrawn" in fake_slack.wait_for("response_url", 4)[-1].params["text"]


def test_user_text_is_escaped_everywhere(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    nasty = "<!channel> & <@U0BOSS> <http://evil.example|click>"
    pid, _ = pitch(slack, fake_slack, bot, user_id="U0HOST1", title=nasty[:80], description=nasty, tags="<!here>")
    post = card_posts(fake_slack)[-1]
    rendered = str(post.params["blocks"]) + post.params["text"]
    for raw in ("<!channel>", "<@U0BOSS>", "<http://evil", "<!here>"):
        assert raw not in rendered
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt; &lt;http://evil.example|click&gt;" in rendered
    dm = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "U0HOST1")[0]
    assert "<!channel>" not in dm.params["text"]
    assert event.id is not None
    assert get_pitch_card(bot.ctx, event.id, pid).title == nasty[:80]  # stored as typed


def test_card_count_after_votes(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event) -> None:
    pid, message = pitch(slack, fake_slack, bot)
    for n, user in enumerate(["U0A", "U0B", "U0C"], start=1):
        slack.click("vote_toggle", str(pid), user_id=user, message=message)
        fake_slack.wait_for("chat.update", n)
    bot.settle()
    assert shown_count(card_updates(fake_slack, pid)[-1]) == 3
    assert "U0A" not in str(card_updates(fake_slack, pid)[-1].params)  # anonymous in public


def test_forged_edit_submission_by_a_stranger_changes_nothing(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Original")
    slack.choose("pitch_menu", f"edit:{pid}", user_id="U0HOST1", message=message)
    edit_view = fake_slack.wait_for("views.open", 2)[-1].params["view"]
    sent = slack.submit_view(edit_view, {"title": "Hijacked"}, user_id="U0STRANGER")
    assert sent.json()["response_action"] == "errors" and "hosts" in sent.json()["errors"]["title"]
    bot.settle()
    assert event.id is not None
    assert get_pitch_card(bot.ctx, event.id, pid).title == "Original"
    assert card_updates(fake_slack, pid) == []


def test_an_unexpected_failure_while_saving_keeps_the_modal_open(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campbot.slack.listeners import views
    from tests.e2e.helpers import DEFAULT_ANSWERS

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "submit_pitch", broken)
    slack.command("/pitch", user_id="U0HOSTX")
    view = fake_slack.wait_for("views.open")[-1].params["view"]
    sent = slack.submit_view(view, DEFAULT_ANSWERS, user_id="U0HOSTX")
    assert sent.status == 200 and sent.json()["response_action"] == "errors"
    assert views.SAVE_FAILED in str(sent.json()["errors"])
    with session_scope(bot.ctx.engine) as db:
        assert db.exec(select(Pitch)).all() == []

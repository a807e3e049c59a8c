"""Voting in Slack: toggle, quota, closed window, App Home."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Vote
from tests.e2e.conftest import BotServer, CampClock
from tests.e2e.helpers import card_updates, pitch, replies, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender


def _votes(bot: BotServer, pitch_id: int) -> int:
    with session_scope(bot.ctx.engine) as db:
        return len(db.exec(select(Vote).where(Vote.pitch_id == pitch_id)).all())


def test_vote_and_unvote(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event) -> None:
    pid, message = pitch(slack, fake_slack, bot)
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("chat.update", 1)
    fake_slack.wait_for("response_url", 1)
    assert _votes(bot, pid) == 1 and shown_count(card_updates(fake_slack, pid)[-1]) == 1
    assert "You're interested" in replies(fake_slack)[-1] and "1 of 10" in replies(fake_slack)[-1]
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("chat.update", 2)
    fake_slack.wait_for("response_url", 2)
    bot.settle()
    assert _votes(bot, pid) == 0 and shown_count(card_updates(fake_slack, pid)[-1]) == 0
    assert "taken back" in replies(fake_slack)[-1]
    ephemeral = fake_slack.calls_to("response_url")[-1].params
    assert ephemeral["response_type"] == "ephemeral" and ephemeral["replace_original"] is False


def test_quota_holds(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event) -> None:
    with session_scope(bot.ctx.engine) as db:
        ev = db.get(Event, voting_open.id)
        assert ev is not None
        ev.vote_quota = 2
        db.add(ev)
    pitched = [pitch(slack, fake_slack, bot, title=f"Session {i}") for i in range(3)]
    for n, (pid, message) in enumerate(pitched, start=1):
        slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
        fake_slack.wait_for("response_url", n)
    bot.settle()
    assert "used all 2" in replies(fake_slack)[-1]
    assert [_votes(bot, pid) for pid, _ in pitched] == [1, 1, 0]
    assert card_updates(fake_slack, pitched[2][0]) == []  # nothing changed, nothing to update
    # taking one back frees a vote
    slack.click("vote_toggle", str(pitched[0][0]), user_id="U0FAN1", message=pitched[0][1])
    fake_slack.wait_for("response_url", 4)
    slack.click("vote_toggle", str(pitched[2][0]), user_id="U0FAN1", message=pitched[2][1])
    fake_slack.wait_for("response_url", 5)
    bot.settle()
    assert [_votes(bot, pid) for pid, _ in pitched] == [0, 1, 1]


def test_closed_window(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event, clock: CampClock
) -> None:
    clock.set(datetime(2026, 6, 19, 7, 0, tzinfo=UTC))  # the file's window opens at 09:00 BST that day
    pid, message = pitch(slack, fake_slack, bot)
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)  # not open yet
    fake_slack.wait_for("response_url", 1)
    assert "Voting opens Friday 19 June at 09:00, so your vote was not changed" in replies(fake_slack)[-1]
    slack.command("/camp", "voting open", user_id="U0ORGANISE1")  # opened early by an organiser
    fake_slack.wait_for("response_url", 2)
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("response_url", 3)
    assert _votes(bot, pid) == 1
    clock.set(datetime(2026, 6, 20, 11, 0, tzinfo=UTC))  # past the event file's 09:45 close
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("response_url", 4)
    bot.settle()
    assert "Voting closed at 09:45" in replies(fake_slack)[-1]
    assert _votes(bot, pid) == 1


def test_app_home_shows_votes_pitches_and_reminder_switch(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    pid, message = pitch(slack, fake_slack, bot, user_id="U0HOST1", title="Talk <b>")
    slack.click("vote_toggle", str(pid), user_id="U0HOST1", message=message)
    fake_slack.wait_for("chat.update")
    bot.settle()
    slack.event({"type": "app_home_opened", "user": "U0HOST1", "channel": "D0HOST1", "tab": "home"})
    home = fake_slack.wait_for("views.publish")[-1].params
    assert home["user_id"] == "U0HOST1" and home["view"]["type"] == "home"
    text = str(home["view"]["blocks"])
    assert "used *1* of 10" in text and "Talk &lt;b&gt;" in text and "Reminders" in text
    assert "home_pitch" in text and "home_unvote" in text
    # switch reminders off
    slack.click("home_reminders", "off", user_id="U0HOST1", view=home["view"])
    fake_slack.wait_for("views.publish", 2)
    bot.settle()
    with session_scope(bot.ctx.engine) as db:
        person = db.exec(select(Person).where(Person.slack_user_id == "U0HOST1")).one()
        assert person.reminders_enabled is False
    assert "Turn on" in str(fake_slack.calls_to("views.publish")[-1].params["view"])
    # "Take back" on the Home removes the vote and updates the card
    slack.click("home_unvote", str(pid), user_id="U0HOST1", view=home["view"])
    fake_slack.wait_for("views.publish", 3)
    bot.settle()
    assert _votes(bot, pid) == 0 and shown_count(card_updates(fake_slack, pid)[-1]) == 0
    # the Home button opens the pitch modal
    slack.click("home_pitch", "pitch", user_id="U0HOST1", view=home["view"])
    assert fake_slack.wait_for("views.open", 2)[-1].params["view"]["callback_id"] == "pitch_submit"


def test_slack_429_is_waited_out(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event) -> None:
    pid, message = pitch(slack, fake_slack, bot)
    fake_slack.fail("chat.update", status=429, retry_after=1)
    slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message)
    fake_slack.wait_for("chat.update", 1)
    bot.settle()
    assert shown_count(card_updates(fake_slack, pid)[-1]) == 1


def test_a_burst_of_votes_coalesces_card_updates(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    import time

    pid, message = pitch(slack, fake_slack, bot)

    def slow_update(params: dict[str, object]) -> dict[str, object]:
        time.sleep(0.05)  # Slack takes a while (or is pacing us)
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    fake_slack.on("chat.update", slow_update)
    voters = [f"U0BURST{i:02d}" for i in range(30)]
    for user in voters:
        assert slack.click("vote_toggle", str(pid), user_id=user, message=message).status == 200
    fake_slack.wait_for("response_url", len(voters))
    bot.settle()
    updates = card_updates(fake_slack, pid)
    assert _votes(bot, pid) == 30
    assert shown_count(updates[-1]) == 30  # the last word is the true count
    assert len(updates) < 30  # and the burst did not cost one call per vote


def test_concurrent_clicks_over_http(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    """Eight people clicking at once on three cards: every toggle counts (toggles commute, so
    each person's final state is the parity of their clicks) and each card ends on the truth."""
    import random
    import threading
    from collections import Counter

    cards = [pitch(slack, fake_slack, bot, title=f"Card {i}") for i in range(3)]
    expected: Counter[int] = Counter()
    statuses: list[int] = []
    lock = threading.Lock()

    def person(n: int) -> None:
        rng = random.Random(n)
        clicks = [rng.randrange(3) for _ in range(10)]
        for i in clicks:
            pid, message = cards[i]
            sent = slack.click("vote_toggle", str(pid), user_id=f"U0CROWD{n}", message=message)
            with lock:
                statuses.append(sent.status)
        with lock:
            for i, c in Counter(clicks).items():
                expected[cards[i][0]] += c % 2

    threads = [threading.Thread(target=person, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 80
    fake_slack.wait_for("response_url", 80, timeout=30)
    bot.settle()
    for pid, _ in cards:
        assert _votes(bot, pid) == expected[pid]
        assert shown_count(card_updates(fake_slack, pid)[-1]) == expected[pid]

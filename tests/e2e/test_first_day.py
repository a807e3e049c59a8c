"""A newcomer's first camp, end to end through signed Slack requests (issue 14, point 3):

* the event file's voting window opens and closes voting by itself (the scheduled jobs' work,
  run as the scheduler runs it), announced in the pitches channel, and every card follows:
  no vote button while voting is closed, and words saying when it opens or that it closed;
* `/camp close-room Main hall from 13:00` closes it after lunch only; loading the event file
  again (the real `campbot event load`) keeps that closure and says so; `/camp open-room` is the
  way back; replies and `/camp setup` name slots by their times, never by keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from campbot.jobs import scheduling as jobs
from campbot.services import notifying
from campbot.slack.notifier import slack_notifiers
from campbot.store.db import session_scope
from campbot.store.tables import Event, Room, Vote
from tests.conftest import EXAMPLE_EVENT, ROOT
from tests.e2e.conftest import BotServer, CampClock
from tests.e2e.helpers import card_posts, card_updates, pitch, replies
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import SlackSender

ORG, ORG_CHANNEL = "U0ORGANISE1", "C0ORGS"
# The example camp's window: opens Friday 19 June 09:00, closes Saturday 20 June 09:45 (UTC+1).
BEFORE_OPENING = datetime(2026, 6, 19, 7, 30, tzinfo=UTC)
OPENING = datetime(2026, 6, 19, 8, 0, tzinfo=UTC)
CLOSING = datetime(2026, 6, 20, 8, 45, tzinfo=UTC)


def _camp(slack: SlackSender, fake: FakeSlack, text: str) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=ORG, channel_id=ORG_CHANNEL).status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("text", ""))


def _setup(slack: SlackSender, fake: FakeSlack) -> str:
    """`/camp setup`'s private reply, blocks and all, as text."""
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", "setup", user_id=ORG, channel_id=ORG_CHANNEL).status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("blocks"))


def _vote(slack: SlackSender, fake: FakeSlack, bot: BotServer, pid: int, message: dict[str, Any]) -> str:
    before = len(fake.calls_to("response_url"))
    assert slack.click("vote_toggle", str(pid), user_id="U0FAN1", message=message).status == 200
    fake.wait_for("response_url", before + 1)
    bot.settle()
    return replies(fake)[-1]


def _card_text(blocks: list[dict[str, Any]]) -> str:
    return " ".join(str(el.get("text", "")) for b in blocks if b["type"] == "context" for el in b["elements"])


def _has_vote_button(blocks: list[dict[str, Any]]) -> bool:
    return any(el.get("action_id") == "vote_toggle" for b in blocks for el in b.get("elements") or [])


def _pitches_posts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage")
            if c.params.get("channel") == "#lgc-pitches" and not str((c.params.get("blocks") or [{}])[0]
                                                                     .get("block_id", "")).startswith("pitch:")]


def _votes(bot: BotServer) -> int:
    with session_scope(bot.ctx.engine) as db:
        return len(db.exec(select(Vote)).all())


def test_the_files_voting_window_opens_and_closes_voting_by_itself(
        slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event, clock: CampClock) -> None:
    assert event.id is not None
    clock.set(BEFORE_OPENING)
    assert ("Voting opens by itself Friday 19 June at 09:00 and closes by itself Saturday 20 June at 09:45"
            in _setup(slack, fake_slack))

    # before the window: the new card has no button and says when voting opens
    pid, card = pitch(slack, fake_slack, bot, user_id="U0HOST1")
    posted = card_posts(fake_slack)[-1].params["blocks"]
    assert not _has_vote_button(posted)
    assert "Voting opens Friday 19 June at 09:00" in _card_text(posted)
    # an old client still showing a button gets the same words, and nothing changes
    assert _vote(slack, fake_slack, bot, pid, card).startswith("Voting opens Friday 19 June at 09:00")
    assert _votes(bot) == 0

    # the window is in the scheduler's job store: voting opens and closes at the file's times
    jobs.reschedule_event_jobs(bot.ctx, event.id)
    table = jobs.scheduled_jobs(bot.ctx, event.id)
    assert table[f"voting-open:{event.id}"] == OPENING and table[f"voting-end:{event.id}"] == CLOSING

    # 09:00 on Friday: what the job does, run as the scheduler runs it (twice: still once)
    clock.set(OPENING)
    notifying.run_due(bot.ctx, notifiers=slack_notifiers(bot.ctx))
    notifying.run_due(bot.ctx, notifiers=slack_notifiers(bot.ctx))
    bot.settle()
    [opened] = _pitches_posts(fake_slack)
    assert "Voting is open until Saturday 20 June at 09:45" in opened.params["text"]
    redrawn = card_updates(fake_slack, pid)[-1].params["blocks"]
    assert _has_vote_button(redrawn) and "Voting opens" not in _card_text(redrawn)
    assert "You're interested" in _vote(slack, fake_slack, bot, pid, card)
    assert _votes(bot) == 1

    # 09:45 on Saturday: closed by itself, announced once, the button gone, the count kept
    clock.set(CLOSING)
    notifying.run_due(bot.ctx, notifiers=slack_notifiers(bot.ctx))
    notifying.run_due(bot.ctx, notifiers=slack_notifiers(bot.ctx))
    bot.settle()
    assert [c.params["text"] for c in _pitches_posts(fake_slack)][1:] == ["Voting closed at 09:45"]
    closed = card_updates(fake_slack, pid)[-1].params["blocks"]
    assert not _has_vote_button(closed)
    assert "*1* interested" in _card_text(closed) and "Voting closed at 09:45" in _card_text(closed)
    assert _vote(slack, fake_slack, bot, pid, card).startswith("Voting closed at 09:45")
    assert _votes(bot) == 1
    assert "Voting: *closed*. Voting closed Saturday 20 June at 09:45" in _camp(slack, fake_slack, "status")


def test_an_organisers_close_wins_over_the_window_and_the_cards_follow_at_once(
        slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event, clock: CampClock) -> None:
    assert event.id is not None
    clock.set(OPENING)
    pid, card = pitch(slack, fake_slack, bot, user_id="U0HOST1")
    assert _has_vote_button(card_posts(fake_slack)[-1].params["blocks"])

    assert _camp(slack, fake_slack, "voting close") == "Voting is now closed."
    bot.settle()
    closed = card_updates(fake_slack, pid)[-1].params["blocks"]
    assert not _has_vote_button(closed) and "The organisers have closed voting for now" in _card_text(closed)
    # the window's own close no longer announces anything: the organisers already decided
    clock.set(CLOSING)
    notifying.run_due(bot.ctx, notifiers=slack_notifiers(bot.ctx))
    assert _pitches_posts(fake_slack) == []

    clock.set(OPENING)
    assert _camp(slack, fake_slack, "voting open").startswith("Voting is now open")
    bot.settle()
    assert _has_vote_button(card_updates(fake_slack, pid)[-1].params["blocks"])
    assert "You're interested" in _vote(slack, fake_slack, bot, pid, card)


def _closed(bot: BotServer, key: str) -> list[str]:
    with session_scope(bot.ctx.engine) as db:
        return sorted(db.exec(select(Room).where(Room.key == key)).one().closed_slots)


def _event_load(bot: BotServer, file: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAMPBOT_DATABASE_URL": bot.ctx.settings.database_url, "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "campbot", "event", "load", str(file)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_close_room_after_lunch_survives_a_reload_and_open_room_undoes_it(
        slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event, clock: CampClock,
        tmp_path: Path) -> None:
    assert event.id is not None
    reply = _camp(slack, fake_slack, "close-room Main hall from 13:00")
    assert reply.startswith("Closed *Main hall* (`r1`) at 13:00–13:45, 14:00–14:45, 15:00–15:45.")
    assert "t3" not in reply and "/camp open-room r1" in reply
    assert _closed(bot, "r1") == ["t3", "t4", "t5"]
    reply = _camp(slack, fake_slack, "close-room r7 14:00 t5")
    assert reply.startswith("Closed *Cafe corner* (`r7`) at 14:00–14:45, 15:00–15:45.")
    assert "not a slot" in _camp(slack, fake_slack, "close-room r7 from 19:00")
    assert "No room 'Ballroom'" in _camp(slack, fake_slack, "close-room Ballroom")

    # the organisers fix a typo in the file and load it again: their closures stay, and it says so
    edited = tmp_path / "camp.yaml"
    edited.write_text(EXAMPLE_EVENT.read_text().replace(
        "{id: r7, name: Cafe corner,   capacity: 12, features: [projector, step_free]}",
        "{id: r7, name: Cafe corner,   capacity: 14, features: [projector, step_free], closed: [t1]}"))
    loaded = _event_load(bot, edited)
    assert loaded.returncode == 0, loaded.stderr
    assert ("Main hall (r1) stays closed at 13:00–13:45, 14:00–14:45, 15:00–15:45: an organiser closed it "
            "with close-room; /camp open-room r1 reopens it.") in loaded.stdout
    assert "Cafe corner (r7) stays closed at 14:00–14:45, 15:00–15:45" in loaded.stdout
    assert _closed(bot, "r1") == ["t3", "t4", "t5"] and _closed(bot, "r7") == ["t1", "t4", "t5"]
    assert "Main hall: 80 seats, hearing_loop, projector, step_free (closed 13:00–13:45, 14:00–14:45, 15:00–15:45)" \
        in _setup(slack, fake_slack)

    # the way back: one slot, then the rest; the file's own closure stays and the reply says why
    assert _camp(slack, fake_slack, "open-room r1 15:00").startswith("Opened *Main hall* (`r1`) again at 15:00–15:45.")
    assert _closed(bot, "r1") == ["t3", "t4"]
    reply = _camp(slack, fake_slack, "open-room Cafe corner")
    assert reply.startswith("Opened *Cafe corner* (`r7`) again at 14:00–14:45, 15:00–15:45.")
    assert "Still closed at 10:00–10:45: the event file closes it then" in reply
    assert _closed(bot, "r7") == ["t1"]
    again = _event_load(bot, edited)
    assert again.returncode == 0 and "Cafe corner (r7) stays closed" not in again.stdout
    assert _closed(bot, "r1") == ["t3", "t4"] and _closed(bot, "r7") == ["t1"]

"""Reminders end to end: pitches and votes through signed Slack requests, one person switches
reminders off on the App Home, an organiser solves and publishes, and at each slot's reminder
minute exactly the right people hear from the bot, once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from campbot.jobs import scheduling as jobs
from campbot.services import notifying
from campbot.services.grid_queries import published_grid
from campbot.slack.notifier import slack_notifiers
from campbot.store.tables import Event
from tests.e2e.conftest import BotServer, CampClock
from tests.e2e.helpers import pitch
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import SlackSender

ORG, ORG_CHANNEL = "U0ORGANISE1", "C0ORGS"


def _camp_command(slack: SlackSender, fake: FakeSlack, text: str) -> str:
    """`/camp text` from an organiser; returns the private reply."""
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=ORG, channel_id=ORG_CHANNEL).status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("text", ""))


def _publish_from_preview(slack: SlackSender, fake: FakeSlack) -> str:
    """Press the Publish button on the solve's private preview; returns the reply."""
    preview: Call = fake.wait_for("chat.postEphemeral", 1, timeout=60)[0]
    button = next(el for block in preview.params["blocks"] for el in block.get("elements") or []
                  if el.get("action_id") == "grid_publish")
    before = len(fake.calls_to("response_url"))
    sent = slack.click("grid_publish", button["value"], user_id=ORG,
                       message={"type": "message", "ts": "1700000099.000001", "text": "", "blocks": []})
    assert sent.status == 200
    return str(fake.wait_for("response_url", before + 1, timeout=30)[-1].params.get("text", ""))


def test_publishing_schedules_reminders_that_reach_exactly_the_right_people(
        slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event, clock: CampClock) -> None:
    event = voting_open
    assert event.id is not None
    ctx = bot.ctx
    a, card_a = pitch(slack, fake_slack, bot, user_id="U0HOSTA", title="Open <!channel> data")
    b, card_b = pitch(slack, fake_slack, bot, user_id="U0HOSTB", title="Agile procurement")
    c, card_c = pitch(slack, fake_slack, bot, user_id="U0HOSTC", title="Digital inclusion")
    votes = {"U0FAN1": [(a, card_a)], "U0FAN2": [(a, card_a), (b, card_b)], "U0FAN3": [(b, card_b), (c, card_c)]}
    for user, cards in votes.items():
        for pid, card in cards:
            assert slack.click("vote_toggle", str(pid), user_id=user, message=card).status == 200
    bot.settle()

    # U0FAN1 switches reminders off on the App Home
    slack.event({"type": "app_home_opened", "user": "U0FAN1", "channel": "D0FAN1", "tab": "home"})
    home = fake_slack.wait_for("views.publish")[-1].params
    slack.click("home_reminders", "off", user_id="U0FAN1", view=home["view"])
    fake_slack.wait_for("views.publish", 2)
    bot.settle()

    assert "Solving" in _camp_command(slack, fake_slack, "solve 2")
    assert _publish_from_preview(slack, fake_slack).startswith("Published version 1")
    grid = published_grid(ctx, event.id)
    assert grid is not None and len(grid.entries) == 3

    # publishing put one reminder job per slot with a session in the shared store, 10 minutes ahead
    table = jobs.scheduled_jobs(ctx, event.id)
    starting = {e.slot_keys[0] for e in grid.entries}
    for slot in grid.slots:
        if slot.key in starting:
            assert table[f"remind:{event.id}:{slot.key}"] == slot.start - timedelta(minutes=10)
        else:
            assert f"remind:{event.id}:{slot.key}" not in table

    # the day: at each reminder minute the scheduler's work runs (the jobs call the same code)
    fake_slack.reset()
    hosts = {a: "U0HOSTA", b: "U0HOSTB", c: "U0HOSTC"}
    expected: Counter[str] = Counter()
    for slot in grid.slots:
        here = [e.pitch_id for e in grid.entries if e.slot_keys[0] == slot.key]
        if not here:
            continue
        clock.set(slot.start - timedelta(minutes=10))
        notifying.run_due(ctx, notifiers=slack_notifiers(ctx))
        notifying.run_due(ctx, notifiers=slack_notifiers(ctx))  # a second firing sends nothing more
        people = {hosts[p] for p in here} | {u for u, cards in votes.items() if u != "U0FAN1"
                                             and any(pid in here for pid, _ in cards)}
        expected.update(people)
    dms = Counter(str(call.params["channel"]) for call in fake_slack.calls_to("chat.postMessage")
                  if str(call.params["channel"]).startswith("U"))
    assert dms == expected
    assert "U0FAN1" not in dms  # reminders off
    announce = [call for call in fake_slack.calls_to("chat.postMessage") if call.params["channel"] == "#lgc-announce"]
    assert len(announce) == len(starting)  # one "Up next" per slot; the grid was not posted again
    assert all("Up next at" in call.params["text"] for call in announce)
    everything = str([call.params for call in fake_slack.calls_to("chat.postMessage")])
    assert "<!channel>" not in everything and "&lt;!channel&gt;" in everything

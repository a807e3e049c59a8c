"""The organisers' day end to end, over signed HTTP requests to the real app and a real solver:
pitch, vote, pin and exclude, solve, preview, publish, close a room, re-plan, publish version 2,
and exactly the right people told. Plus: a solver that hangs or crashes does not stop the bot."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from sqlmodel import col, select

from campbot.services import solver_runner
from campbot.services.grid_queries import load_grid, published_grid
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch, get_pitch_card, set_card_message
from campbot.services.voting import toggle_vote
from campbot.slack.escape import escape
from campbot.slack.listeners.cards import wait_idle
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, PitchHost, SolveRun, Vote
from tests.e2e.conftest import BotServer, CampClock
from tests.e2e.helpers import pitch, replies
from tests.support.fake_slack import Call, FakeSlack
from tests.support.grid_camp import at
from tests.support.slack_requests import SlackSender

ORG = "U0ORGANISE1"
ORG_CHANNEL = "C0ORGS"


def _ask(slack: SlackSender, fake: FakeSlack, text: str, *, user: str = ORG) -> str:
    """Send `/camp text` and return the private reply."""
    before = len(fake.calls_to("response_url"))
    assert slack.command("/camp", text, user_id=user, channel_id=ORG_CHANNEL).status == 200
    return str(fake.wait_for("response_url", before + 1)[-1].params.get("text", ""))


def _preview(fake: FakeSlack, n: int) -> Call:
    return fake.wait_for("chat.postEphemeral", n, timeout=60)[n - 1]


def _button(call: Call, action_id: str) -> dict[str, Any]:
    for block in call.params["blocks"]:
        for el in block.get("elements") or []:
            if el.get("action_id") == action_id:
                return el
    raise AssertionError(f"no {action_id} button in {call.params['blocks']}")


def _not_plan(call: Call) -> bool:
    """Not the "Publishing: sending …, about N seconds" note a publish gives before its sends."""
    return not str(call.params.get("text", "")).startswith("Publishing:")


def _click_publish(slack: SlackSender, fake: FakeSlack, preview: Call, *, user: str = ORG) -> str:
    """Press Publish; the summary (or refusal) it answers with once the sends are done."""
    before = len([c for c in fake.calls_to("response_url") if _not_plan(c)])
    button = _button(preview, "grid_publish")
    sent = slack.click("grid_publish", button["value"], user_id=user,
                       message={"type": "message", "ts": "1700000099.000001", "text": "", "blocks": []})
    assert sent.status == 200
    return str(fake.wait_for("response_url", before + 1, timeout=30, where=_not_plan)[-1].params.get("text", ""))


def _announce(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "#lgc-announce"]


def _dms(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if str(c.params.get("channel", "")).startswith("D")]


def _people_of(bot: BotServer, event_id: int, pitch_ids: set[int]) -> set[str]:
    """Slack ids of the hosts and voters of these pitches, read back through the database."""
    with session_scope(bot.ctx.engine) as db:
        hosts = db.exec(select(Person.slack_user_id).join(PitchHost, col(PitchHost.person_id) == Person.id)
                        .where(col(PitchHost.pitch_id).in_(pitch_ids)))
        voters = db.exec(select(Person.slack_user_id).join(Vote, col(Vote.person_id) == Person.id)
                         .where(col(Vote.pitch_id).in_(pitch_ids), Vote.event_id == event_id))
        return {u for u in [*hosts, *voters] if u}


def test_solve_publish_close_room_replan_publish_v2(slack: SlackSender, fake_slack: FakeSlack, bot: BotServer,
                                                   voting_open: Event, clock: CampClock) -> None:
    event = voting_open
    assert event.id is not None
    ctx = bot.ctx
    # -- pitches: three through the modal (cards posted by the app), the rest through the service
    via_modal = [pitch(slack, fake_slack, bot, user_id=f"U0HOST{i}", title=f"Modal talk {i}") for i in range(3)]
    ids = [pid for pid, _ in via_modal]
    for i in range(3, 11):
        card = create_pitch(ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i} <!channel>"),
                            display_name=f"Host {i}")
        set_card_message(ctx, card.id, "C0PITCHES", f"1699999999.{card.id:06d}")
        ids.append(card.id)
    pinned, excluded = ids[3], ids[10]
    # -- votes: clicks on the modal cards, the rest through the service
    for n, (pid, message) in enumerate(via_modal):
        slack.click("vote_toggle", str(pid), user_id=f"U0FAN{n}", message=message)
    for v in range(18):
        for k in range(3):
            toggle_vote(ctx, event.id, f"U0VOTER{v}", ids[(v + k) % 10], want=True)
    toggle_vote(ctx, event.id, "U0VOTEREX", excluded, want=True)
    bot.settle()

    # -- organisers pin and exclude; others may not
    assert _ask(slack, fake_slack, "solve", user="U0FAN1").startswith("Sorry, only the camp's organisers")
    assert "Pinned" in _ask(slack, fake_slack, f"pin #{pinned} r3 14:00")
    assert "left out" in _ask(slack, fake_slack, f"exclude #{excluded}")

    # -- /camp solve: answered at once, progress in the organisers' channel, then the private preview
    ack = _ask(slack, fake_slack, "solve 2")
    assert ack.startswith("Solving now.") and "preview follows here" in ack and "up to" not in ack, ack
    progress = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "#lgc-organisers")
    assert "Solve for <@U0ORGANISE1>" in str(progress[0].params["blocks"])
    preview = _preview(fake_slack, 1)
    assert preview.params["user"] == ORG and preview.params["channel"] == ORG_CHANNEL
    shown = str(preview.params["blocks"])
    for words in ("Coverage (wishes served)", "by hand", "Seats short", "Sessions placed: 10 of 10",
                  "Left out (1)", "left out by an organiser", "Publish as version 1", "Re-solve", "Committee room A",
                  "No separate room-for-everyone grid: this one leaves no more people standing"):
        assert words in shown, words
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    done = fake_slack.wait_for("chat.update", where=lambda c: c.params.get("channel") == "#lgc-organisers"
                               and "done: coverage" in str(c.params.get("blocks")))
    assert done

    # -- Publish: the grid in the announcement channel, pinned, every card updated
    published = _click_publish(slack, fake_slack, preview)
    assert published.startswith("Published version 1") and f"{len(ids)} pitch card(s) are being redrawn" in published
    assert wait_idle(ctx, 30)  # the cards go on the refresher's one path, after the summary
    v1 = published_grid(ctx, event.id)
    assert v1 is not None and v1.number == 1
    placed = v1.by_pitch()
    assert set(placed) == set(ids) - {excluded}
    assert (placed[pinned].room_key, placed[pinned].slot_keys) == ("r3", ("t4",))
    posts = _announce(fake_slack)
    assert len(posts) == 1
    sections = [b["text"]["text"] for b in posts[0].params["blocks"] if b["type"] == "section"]
    assert len(sections) == 5 and "*Committee room A* · Talk 3 &lt;!channel&gt;" in sections[3]
    (pin,) = fake_slack.calls_to("pins.add")
    assert pin.params["channel"] == "#lgc-announce" and pin.params["timestamp"]
    card_updates = {c.params["ts"]: str(c.params["blocks"]) for c in fake_slack.calls_to("chat.update")
                    if c.params.get("channel") != "#lgc-organisers"}
    with_cards = {pid: get_pitch_card(ctx, event.id, pid).message_ts for pid in ids}
    for pid in set(ids) - {excluded}:
        entry = placed[pid]
        assert f"{entry.room_name}, Sat {entry.start.astimezone(v1.tz):%H:%M}" in card_updates[with_cards[pid]]
    assert "Not in the grid (version 1)" in card_updates[with_cards[excluded]]
    # every host gets one DM saying where and when (issue 14), nobody else is DMed about version 1
    hosts = {u: e for e in v1.entries for u in e.host_user_ids}
    opened = [c.params["users"] for c in fake_slack.calls_to("conversations.open")]
    assert sorted(opened) == sorted(hosts)
    for dm in _dms(fake_slack):
        entry = hosts["U" + dm.params["channel"][1:]]
        where = f"{entry.room_name}, {entry.start.astimezone(v1.tz):%H:%M}–{entry.end.astimezone(v1.tz):%H:%M}"
        assert f"Your session *{escape(entry.title)}*: {where}" in str(dm.params["blocks"])

    # -- the day goes on: at noon the Committee room A is lost
    clock.set(at("12:00"))
    victims = {e.pitch_id for e in v1.entries if e.room_key == "r3" and e.slot_keys[0] in ("t3", "t4", "t5")}
    assert pinned in victims
    assert "no longer pinned" in _ask(slack, fake_slack, f"unpin #{pinned}")
    closed = _ask(slack, fake_slack, "close-room r3")
    assert "13:00–13:45, 14:00–14:45, 15:00–15:45" in closed and "t3" not in closed
    fake_slack.reset()

    assert "Re-planning" in _ask(slack, fake_slack, "replan 2")
    preview2 = _preview(fake_slack, 1)
    shown2 = str(preview2.params["blocks"])
    assert "Changes against version 1" in shown2 and "Publish as version 2" in shown2
    assert f"Moves: {len(victims)}" in shown2 and "frozen slots: 10:00–10:45, 11:00–11:45" in shown2
    assert shown2.count("moved: ") == len(victims)

    reply = _click_publish(slack, fake_slack, preview2)
    assert reply.startswith("Published version 2"), reply
    assert wait_idle(ctx, 30)
    v2 = published_grid(ctx, event.id)
    assert v2 is not None and v2.number == 2
    moved = {pid for pid, e in v2.by_pitch().items()
             if (e.room_key, e.slot_keys) != (placed[pid].room_key, placed[pid].slot_keys)}
    assert moved == victims and set(v2.by_pitch()) == set(placed)  # only what the closure forced
    assert all(e.room_key != "r3" or e.slot_keys[0] in ("t1", "t2") for e in v2.entries)
    announce = _announce(fake_slack)
    assert len(announce) == 2  # the grid, then the changelog
    changelog = str(announce[1].params["blocks"])
    assert "What changed in version 2" in changelog
    assert changelog.count("moved: ") == len(victims)
    assert "moved: Talk 3 &lt;!channel&gt;, Committee room A 14:00 -&gt; " in changelog
    # exactly the hosts and voters of the moved sessions get a DM, nobody else
    expected = _people_of(bot, event.id, victims)
    opened = [c.params["users"] for c in fake_slack.calls_to("conversations.open")]
    assert sorted(opened) == sorted(expected)
    dms = _dms(fake_slack)
    assert len(dms) == len(expected)
    assert all("The grid changed (version 2)" in str(c.params["blocks"]) for c in dms)
    untouched = _people_of(bot, event.id, set(placed) - victims) - expected
    assert untouched and not untouched & set(opened)
    # only the moved sessions' cards change
    updated = {c.params["ts"] for c in fake_slack.calls_to("chat.update") if c.params.get("channel") == "C0PITCHES"}
    assert updated == {with_cards[pid] for pid in victims}
    assert len(fake_slack.calls_to("pins.add")) == 1 and len(fake_slack.calls_to("pins.remove")) == 1

    # -- pressing Publish again sends nothing twice
    calls = len(fake_slack.calls)
    again = _click_publish(slack, fake_slack, preview2)
    assert again.startswith("Published version 2")
    bot.settle()
    assert wait_idle(ctx, 30)
    assert {c.method for c in fake_slack.calls[calls:]} == {"response_url"}  # the plan, then the summary


@pytest.mark.parametrize(("code", "reason"), [
    ("import time; time.sleep(60)", "ran over its time"),
    ("import time, os, signal; time.sleep(1.5); os.kill(os.getpid(), signal.SIGKILL)", "crashed"),
])
def test_a_hung_or_crashed_solver_leaves_the_app_answering(slack: SlackSender, fake_slack: FakeSlack,
                                                           bot: BotServer, event: Event,
                                                           monkeypatch: pytest.MonkeyPatch, code: str,
                                                           reason: str) -> None:
    assert event.id is not None
    for i in range(3):
        create_pitch(bot.ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}"))
    monkeypatch.setattr(solver_runner, "SOLVER_COMMAND", [sys.executable, "-c", code])
    monkeypatch.setattr(solver_runner, "default_grace", lambda limit: 1.5)
    assert "Solving" in _ask(slack, fake_slack, "solve 1")

    # while the solver is stuck, the app answers other requests at once
    began = time.monotonic()
    assert "already running" in _ask(slack, fake_slack, "solve 1")
    sent = slack.command("/pitch", user_id="U0SOMEONE")
    assert sent.status == 200
    fake_slack.wait_for("views.open", timeout=5)
    assert time.monotonic() - began < 2.0
    assert not fake_slack.calls_to("chat.postEphemeral")  # the run has not ended yet

    failed = _preview(fake_slack, 1)
    assert reason in str(failed.params["blocks"]) and "Try again" in str(failed.params["blocks"])
    assert "Traceback" not in str(failed.params)
    fake_slack.wait_for("chat.update", where=lambda c: "failed" in str(c.params.get("blocks")))
    with session_scope(bot.ctx.engine) as db:
        runs = db.exec(select(SolveRun)).all()
    assert [(r.status, reason in r.error) for r in runs] == [("failed", True)]
    assert replies(fake_slack)[0].startswith("Solving")


def test_publish_button_checks_the_role_and_refuses_a_stale_preview(slack: SlackSender, fake_slack: FakeSlack,
                                                                   bot: BotServer, event: Event) -> None:
    assert event.id is not None
    for i in range(3):
        create_pitch(bot.ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}"))
    # typed literally (Slack sends the entities), quoted back escaped
    refusal = _ask(slack, fake_slack, 'exclude "&lt;!channel&gt; &lt;@U0BOSS&gt;"')
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt;" in refusal and "<!channel>" not in refusal
    # picked from the autocomplete (Slack sends the escaped mention): quoted back as plain names
    refusal = _ask(slack, fake_slack, 'exclude "<!channel> <@U0BOSS>"')
    assert "@channel" in refusal and "<!channel>" not in refusal and "<@U0BOSS>" not in refusal
    assert "Solving" in _ask(slack, fake_slack, "solve 1")
    first = _preview(fake_slack, 1)

    # a preview forwarded to (or a button forged by) someone else publishes nothing
    refused = _click_publish(slack, fake_slack, first, user="U0ATTENDEE")
    assert refused.startswith("Sorry, only the camp's organisers")
    assert published_grid(bot.ctx, event.id) is None and not _announce(fake_slack)

    # from the preview: keep one session where it is, leave another out
    grid1 = load_grid(bot.ctx, int(_button(first, "grid_publish")["value"])).by_pitch()
    keep, drop = sorted(grid1)[:2]
    pin_menu, out_menu = _button(first, "grid_pin_select"), _button(first, "grid_exclude_select")
    assert f"{_button(first, 'grid_publish')['value']}:{keep}" in [o["value"] for o in pin_menu["options"]]
    slack.choose("grid_pin_select", f"{_button(first, 'grid_publish')['value']}:{keep}", user_id=ORG,
                 element="static_select")
    assert "Pinned" in str(fake_slack.wait_for("response_url", 5)[-1].params["text"])
    assert str(drop) in [o["value"] for o in out_menu["options"]]
    slack.choose("grid_exclude_select", str(drop), user_id="U0ATTENDEE", element="static_select")
    assert "Sorry" in str(fake_slack.wait_for("response_url", 6)[-1].params["text"])
    slack.choose("grid_exclude_select", str(drop), user_id=ORG, element="static_select")
    assert "left out" in str(fake_slack.wait_for("response_url", 7)[-1].params["text"])

    # Re-solve from the preview: a new run, a new private preview
    before = len(fake_slack.calls_to("response_url"))
    resolve = _button(first, "grid_resolve")
    assert resolve["value"] == "solve:1"
    slack.click("grid_resolve", resolve["value"], user_id=ORG, message={"type": "message", "ts": "1.2", "blocks": []})
    assert "Solving" in str(fake_slack.wait_for("response_url", before + 1)[-1].params["text"])
    second = _preview(fake_slack, 2)
    assert _button(second, "grid_publish")["value"] != _button(first, "grid_publish")["value"]
    grid2 = load_grid(bot.ctx, int(_button(second, "grid_publish")["value"])).by_pitch()
    assert drop not in grid2 and "Left out (1)" in str(second.params["blocks"])
    assert (grid2[keep].room_key, grid2[keep].slot_keys) == (grid1[keep].room_key, grid1[keep].slot_keys)

    assert _click_publish(slack, fake_slack, second).startswith("Published version 1")
    stale = _click_publish(slack, fake_slack, first)
    assert "out of date" in stale
    grid = published_grid(bot.ctx, event.id)
    assert grid is not None and grid.version_id == int(_button(second, "grid_publish")["value"])
    assert len(_announce(fake_slack)) == 1


def test_the_private_answer_comes_by_dm_when_the_channel_refuses_an_ephemeral(
        slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert event.id is not None
    create_pitch(bot.ctx, event.id, "U0HOST1", PitchInput(title="Talk"))
    monkeypatch.setattr(solver_runner, "SOLVER_COMMAND", [sys.executable, "-c", "raise SystemExit(7)"])
    fake_slack.fail("chat.postEphemeral", error="channel_not_found")
    assert "Solving" in _ask(slack, fake_slack, "solve 1")
    (dm,) = fake_slack.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "D0ORGANISE1")
    assert "crashed (exit code 7)" in str(dm.params["blocks"])
    assert [c.params["users"] for c in fake_slack.calls_to("conversations.open")] == [ORG]

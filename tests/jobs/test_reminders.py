"""Reminders with a controlled clock: the right minute, exactly the right people, once."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from campbot.config.context import AppContext
from campbot.services import ledger, notifying
from campbot.services.home import set_reminders
from campbot.services.notifier import NotifierFactory
from campbot.services.notifying import run_due
from campbot.store.tables import Event
from tests.jobs.conftest import DAY
from tests.jobs.helpers import Clock, S, dm_targets, local, posts, posts_to, publish_grid, text_of
from tests.support.fake_slack import FakeSlack

ANNOUNCE = "#lgc-announce"


def _grid(ctx: AppContext, event: Event) -> list[S]:
    sessions = [
        S("Open data for parish councils", "r1", "t3", hosts=["UHOSTA"], voters=["U01", "U02"]),
        S("Agile in <!channel> procurement & more", "r2", "t3", hosts=["UHOSTB"], voters=["U02", "U03"]),
        S("Digital inclusion", "r3", "t4", hosts=["UHOSTC"], voters=["U04", "U05"]),
        S("Paper pitch, host not on Slack", "r4", "t3", voters=["U06"]),
    ]
    assert event.id is not None
    publish_grid(ctx, event.id, sessions)
    set_reminders(ctx, event.id, "U03", False)
    return sessions


def test_reminders_go_out_at_the_right_minute_to_exactly_the_right_people(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)

    clock.set(local(DAY, "12:49"))  # t3 starts 13:00 BST; reminders are 10 minutes before
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []

    clock.set(local(DAY, "12:50"))
    run_due(jctx, notifiers=sender)
    # voters of t3's sessions with reminders on (U03 switched them off), and t3's hosts; nobody else
    assert dm_targets(fake_slack) == ["U01", "U02", "U06", "UHOSTA", "UHOSTB"]
    [up_next] = posts_to(fake_slack, ANNOUNCE)
    body = text_of(up_next)
    assert "Up next at 13:00" in body
    assert "Open data for parish councils" in body and "Main hall" in body
    assert "Agile in &lt;!channel&gt; procurement &amp; more" in body  # shows as typed, pings nobody
    assert "<!channel>" not in body
    assert "Digital inclusion" not in body  # that is t4

    u02 = text_of(posts_to(fake_slack, "U02")[0])
    assert "Open data for parish councils" in u02 and "Main hall" in u02
    assert "Council chamber" in u02 and "13:00" in u02
    host = text_of(posts_to(fake_slack, "UHOSTA")[0])
    assert "hosting" in host and "13:00–13:45" in host and "Main hall" in host

    # later runs in the same window send nothing more
    clock.set(local(DAY, "12:55"))
    run_due(jctx, notifiers=sender)
    assert len(posts(fake_slack)) == 6

    clock.set(local(DAY, "13:50"))  # t4's turn
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U01", "U02", "U04", "U05", "U06", "UHOSTA", "UHOSTB", "UHOSTC"]
    assert "Up next at 14:00" in text_of(posts_to(fake_slack, ANNOUNCE)[-1])
    assert len(posts(fake_slack)) == 6 + 4


def test_turning_reminders_off_stops_the_dms_but_not_a_hosts(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)
    assert camp.id is not None
    set_reminders(jctx, camp.id, "U01", False)  # the App Home switch's service (campbot.services.home)
    set_reminders(jctx, camp.id, "UHOSTA", False)
    clock.set(local(DAY, "12:51"))
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U02", "U06", "UHOSTA", "UHOSTB"]


def test_a_reminder_whose_slot_has_begun_is_skipped_and_logged(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory, caplog) -> None:
    _grid(jctx, camp)
    clock.set(local(DAY, "13:00"))  # the bot was down from before 12:50 until now
    with caplog.at_level(logging.WARNING, logger="campbot.services.notifying"):
        reports = run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []
    assert [r for r in reports if r.item.what == "remind"] == []  # t3 is not even due any more
    item = notifying.find_item(jctx, camp.id or 0, "remind", "t3")
    assert item is not None
    assert notifying.run_item(jctx, item, sender).status == "too_late"  # the job itself refuses too
    assert any("skipped remind" in r.getMessage() for r in caplog.records)
    assert posts(fake_slack) == []


def test_a_restart_before_the_slot_begins_sends_once(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)
    clock.set(local(DAY, "12:57"))  # down at 12:50, back at 12:57: still useful
    run_due(jctx, notifiers=sender)
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U01", "U02", "U06", "UHOSTA", "UHOSTB"]


def test_a_replan_leaves_no_stale_reminder(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    sessions = _grid(jctx, camp)
    assert camp.id is not None
    # version 2 moves "Open data" from t3 to t5
    sessions[0] = S(sessions[0].title, "r1", "t5")
    publish_grid(jctx, camp.id, sessions)
    clock.set(local(DAY, "12:50"))
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U02", "U06", "UHOSTB"]  # U01 only voted for the moved session
    assert "Open data" not in text_of(posts_to(fake_slack, "U02")[0])
    assert "Open data" not in text_of(posts_to(fake_slack, ANNOUNCE)[0])
    clock.set(local(DAY, "14:50"))
    run_due(jctx, notifiers=sender)
    assert sorted(c.params["channel"] for c in posts(fake_slack)[4:]) == [ANNOUNCE, "U01", "U02", "UHOSTA"]
    assert "Up next at 15:00" in text_of(posts_to(fake_slack, ANNOUNCE)[-1])


def test_a_job_fired_twice_at_once_sends_each_message_once(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)
    clock.set(local(DAY, "12:50"))
    item = notifying.find_item(jctx, camp.id or 0, "remind", "t3")
    assert item is not None
    barrier = threading.Barrier(4)

    def fire() -> None:
        barrier.wait()
        notifying.run_item(jctx, item, sender)
        run_due(jctx, notifiers=sender)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_due(jctx, notifiers=sender)
    targets = [c.params["channel"] for c in posts(fake_slack)]
    assert sorted(targets) == sorted(set(targets)) == [ANNOUNCE, "U01", "U02", "U06", "UHOSTA", "UHOSTB"]


def test_a_failed_send_is_retried_later_not_lost(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)
    fake_slack.fail("chat.postMessage", error="internal_error", times=2)  # ok=false: not retried by the client
    clock.set(local(DAY, "12:50"))
    first = [r for r in run_due(jctx, notifiers=sender) if r.item.what == "remind"]
    assert first[0].status == "incomplete" and len(first[0].failed) == 2
    assert len(posts(fake_slack)) == 4
    assert ledger.sent_counts(jctx, camp.id or 0).get("failed") == 3  # two sends and the item
    clock.set(local(DAY, "12:51"))  # the next sweep
    again = [r for r in run_due(jctx, notifiers=sender) if r.item.what == "remind"]
    assert again[0].status == "done" and len(again[0].sent) == 2
    targets = [c.params["channel"] for c in posts(fake_slack)]
    assert sorted(targets) == sorted(set(targets)) == [ANNOUNCE, "U01", "U02", "U06", "UHOSTA", "UHOSTB"]


def test_a_claim_left_by_a_crashed_process_is_taken_over_after_the_timeout(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    _grid(jctx, camp)
    event_id = camp.id or 0
    clock.set(local(DAY, "12:50"))
    # a process claimed the item and U01's DM, then died before sending
    item = notifying.find_item(jctx, event_id, "remind", "t3")
    assert item is not None
    assert ledger.claim(jctx, event_id=event_id, key=item.key, kind="job", target="remind") == ledger.CLAIMED
    clock.set(local(DAY, "12:51"))
    assert ledger.claim(jctx, event_id=event_id, key=f"remind-dm:{event_id}:t3:U01", kind="remind-dm",
                           target="U01") == ledger.CLAIMED
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []  # the item's claim is fresh: someone may still be working on it
    clock.set(local(DAY, "12:52"))
    run_due(jctx, notifiers=sender)  # item claim stale (90s): taken over; U01's claim still fresh (2 min)
    assert dm_targets(fake_slack) == ["U02", "U06", "UHOSTA", "UHOSTB"]
    clock.set(local(DAY, "12:52") + timedelta(seconds=59))
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U02", "U06", "UHOSTA", "UHOSTB"]  # U01's claim: 1:59 old, not stale yet
    clock.advance(seconds=1)
    run_due(jctx, notifiers=sender)
    assert dm_targets(fake_slack) == ["U01", "U02", "U06", "UHOSTA", "UHOSTB"]
    run_due(jctx, notifiers=sender)
    assert len(posts(fake_slack)) == 6


def test_a_429_storm_ends_with_every_message_delivered_exactly_once(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory, fake_time) -> None:
    assert camp.id is not None
    voters = [f"U{i:03d}" for i in range(40)]
    publish_grid(jctx, camp.id, [S("Big session", "r1", "t3", hosts=["UHOST"], voters=voters)])
    fake_slack.fail("chat.postMessage", status=429, retry_after=1, times=60)
    clock.set(local(DAY, "12:50"))
    rounds = 0
    while rounds < 20:
        reports = [r for r in run_due(jctx, notifiers=sender) if r.item.what == "remind"]
        rounds += 1
        if reports and reports[0].status in ("done", "already"):
            break
        clock.advance(seconds=30)  # the next sweep
    targets = [str(c.params["channel"]) for c in posts(fake_slack)]
    assert sorted(targets) == sorted(set(targets)) == sorted([ANNOUNCE, "UHOST", *voters])
    assert rounds > 1  # the client gave up on some messages; the sweep delivered them later
    assert sum(fake_time.sleeps) >= 59  # every Retry-After (1s x 60) was waited out, in simulated time
    assert ledger.sent_counts(jctx, camp.id) == {"sent": 43}  # 41 DMs, the post, the item

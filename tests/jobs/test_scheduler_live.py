"""The real APScheduler on the shared job store, on a real clock with a short schedule.

Slots are moved to start about a minute from now and reminders are set to one minute before,
so a reminder falls due a few seconds into the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.jobs import scheduling as jobs
from campbot.services import leases
from campbot.services.notifier import NotifierFactory
from campbot.slack.notifier import slack_notifiers
from campbot.store.db import session_scope
from campbot.store.tables import Event, SentNotification
from campbot.store.types import utcnow
from tests.jobs.helpers import S, move_slots, posts, publish_grid, update_event, wait_until
from tests.support.fake_slack import FakeSlack

TTL = timedelta(seconds=3)


@pytest.fixture
def lctx(settings: Settings, ctx: AppContext, fake_slack: FakeSlack) -> AppContext:
    return AppContext(settings=settings.model_copy(update={"slack_api_url": fake_slack.url, "reminder_minutes": 1}),
                      engine=ctx.engine, clock=utcnow)


@pytest.fixture
def live_sender(lctx: AppContext) -> NotifierFactory:
    return slack_notifiers(lctx)


@pytest.fixture
def handles() -> Iterator[list[jobs.SchedulerHandle]]:
    started: list[jobs.SchedulerHandle] = []
    yield started
    for h in started:
        h.stop(wait=False)


def _start(lctx: AppContext, sender: NotifierFactory, handles: list[jobs.SchedulerHandle], holder: str,
           **kw: object) -> jobs.SchedulerHandle:
    handle = jobs.start_scheduler(lctx, notifiers=sender, holder=holder, lease_ttl=TTL, tick_seconds=0.1,  # type: ignore[arg-type]
                                  sweep_seconds=3600, **kw)
    handles.append(handle)
    return handle


def _camp(lctx: AppContext, event: Event, first_start: datetime) -> int:
    assert event.id is not None
    update_event(lctx, event.id, grid_post_at=None, voting_status="closed")
    move_slots(lctx, event.id, first_start, length=timedelta(seconds=5), gap=timedelta(seconds=1))
    publish_grid(lctx, event.id, [S("First", "r1", "t1", hosts=["UH1"], voters=["UV1", "UV2"]),
                                  S("Second", "r2", "t2", hosts=["UH2"], voters=["UV1", "UV3"])])
    return event.id


def _item_sent(lctx: AppContext, key: str) -> bool:
    with session_scope(lctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        return row is not None and row.status == "sent"


def _targets(fake: FakeSlack) -> Counter[str]:
    return Counter(str(c.params["channel"]) for c in posts(fake))


def test_a_restart_across_the_due_time_sends_once_from_the_persisted_job(
        lctx: AppContext, event: Event, fake_slack: FakeSlack, live_sender: NotifierFactory,
        handles: list[jobs.SchedulerHandle]) -> None:
    now = datetime.now(UTC)
    eid = _camp(lctx, event, now + timedelta(minutes=1, seconds=4))  # t1's reminder due in ~4s
    a = _start(lctx, live_sender, handles, "A", catch_up=False)
    assert a.wait_until_leader(5)
    jobs.reschedule_event_jobs(lctx, eid)  # what publishing does
    due = jobs.scheduled_jobs(lctx, eid)[f"remind:{eid}:t1"]
    assert due is not None and abs((due - (now + timedelta(seconds=4))).total_seconds()) < 1
    a.stop()  # the bot goes down before the reminder is due
    wait_until(lambda: datetime.now(UTC) > due + timedelta(seconds=1), timeout=10, what="the due time to pass")
    assert posts(fake_slack) == []  # nobody was running
    assert f"remind:{eid}:t1" in jobs.scheduled_jobs(lctx, eid)  # still in the store, waiting

    # B comes up on the same database; only the persisted job can send (no catch-up sweep)
    b = _start(lctx, live_sender, handles, "B", catch_up=False)
    assert b.wait_until_leader(5)
    wait_until(lambda: _item_sent(lctx, f"job:{eid}:remind:t1"), timeout=10, what="the t1 reminders")
    assert _targets(fake_slack) == Counter({"#lgc-announce": 1, "UH1": 1, "UV1": 1, "UV2": 1})
    assert f"remind:{eid}:t1" not in jobs.scheduled_jobs(lctx, eid)  # a date job runs once


def test_two_schedulers_on_one_database_send_once_and_the_standby_takes_over(
        lctx: AppContext, event: Event, fake_slack: FakeSlack, live_sender: NotifierFactory,
        handles: list[jobs.SchedulerHandle]) -> None:
    now = datetime.now(UTC)
    eid = _camp(lctx, event, now + timedelta(minutes=1, seconds=4))  # t1 due in ~4s, t2 in ~10s
    a = _start(lctx, live_sender, handles, "A")
    b = _start(lctx, live_sender, handles, "B")
    wait_until(lambda: a.is_leader or b.is_leader, timeout=5, what="a leader")
    leader, standby = (a, b) if a.is_leader else (b, a)
    assert not standby.is_leader and leases.holder_of(lctx, jobs.LEASE_NAME) == leader.holder
    jobs.reschedule_event_jobs(lctx, eid)
    wait_until(lambda: _item_sent(lctx, f"job:{eid}:remind:t1"), timeout=15, what="the t1 reminders")
    assert not standby.is_leader

    leader.stop(release=False, wait=False)  # the leader dies: its lease is left to run out
    wait_until(lambda: standby.is_leader, timeout=10, what="the standby to take over")
    wait_until(lambda: _item_sent(lctx, f"job:{eid}:remind:t2"), timeout=20, what="the t2 reminders")
    assert _targets(fake_slack) == Counter({"#lgc-announce": 2, "UH1": 1, "UH2": 1, "UV1": 2, "UV2": 1, "UV3": 1})


def test_two_schedulers_both_firing_still_send_once(
        lctx: AppContext, event: Event, fake_slack: FakeSlack, live_sender: NotifierFactory,
        handles: list[jobs.SchedulerHandle]) -> None:
    """No lease at all (as if it had failed): both run the same jobs; the keys stop doubles."""
    now = datetime.now(UTC)
    eid = _camp(lctx, event, now + timedelta(minutes=1, seconds=3))
    _start(lctx, live_sender, handles, "A", use_lease=False)
    _start(lctx, live_sender, handles, "B", use_lease=False)
    jobs.reschedule_event_jobs(lctx, eid)
    wait_until(lambda: _item_sent(lctx, f"job:{eid}:remind:t1") and _item_sent(lctx, f"job:{eid}:remind:t2"),
               timeout=20, what="both slots' reminders")
    assert _targets(fake_slack) == Counter({"#lgc-announce": 2, "UH1": 1, "UH2": 1, "UV1": 2, "UV2": 1, "UV3": 1})


def test_the_leaders_sweep_retries_failed_sends_until_delivered(
        lctx: AppContext, event: Event, fake_slack: FakeSlack, live_sender: NotifierFactory,
        handles: list[jobs.SchedulerHandle]) -> None:
    now = datetime.now(UTC)
    eid = _camp(lctx, event, now + timedelta(minutes=1, seconds=2))
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=12)  # two messages: client retries run out
    fake_slack.fail("chat.postMessage", error="fatal_error", times=2)  # ok=false: no client retry at all
    handle = jobs.start_scheduler(lctx,
            notifiers=live_sender, holder="A", lease_ttl=TTL, tick_seconds=0.1, sweep_seconds=0.5)
    handles.append(handle)
    jobs.reschedule_event_jobs(lctx, eid)
    wait_until(lambda: _item_sent(lctx, f"job:{eid}:remind:t1"), timeout=20, what="t1's reminders, eventually")
    assert _targets(fake_slack) == Counter({"#lgc-announce": 1, "UH1": 1, "UV1": 1, "UV2": 1})
    with session_scope(lctx.engine) as db:
        retried = db.exec(select(SentNotification).where(SentNotification.attempts > 1)).all()
    assert retried  # some sends took more than one attempt, and none was lost


def test_taking_the_lead_redraws_a_card_a_dead_process_left_stale(
        lctx: AppContext, event: Event, fake_slack: FakeSlack, live_sender: NotifierFactory,
        handles: list[jobs.SchedulerHandle]) -> None:
    """A vote whose card update was only marked in a process that then died: the next leader
    redraws that card, and only that one (the other shows the truth already)."""
    from campbot.services import organising, voting
    from campbot.slack.listeners.cards import refresh_card, wait_idle
    from campbot.slack.notifier import SlackNotifier
    from tests.support.grid_camp import add_pitch

    assert event.id is not None
    organising.set_voting(lctx, event.id, open_=True, actor="test")
    stale, right = add_pitch(lctx, event, "Stale card", "UH1"), add_pitch(lctx, event, "Right card", "UH2")
    client = SlackNotifier.for_token(lctx, None).client
    for pid in (stale, right):
        refresh_card(lctx, client, event.id, pid)
    assert wait_idle(lctx, 30)
    voting.toggle_vote(lctx, event.id, "UVOTER", stale)  # its mark died with the process
    fake_slack.reset()

    handle = _start(lctx, live_sender, handles, "A")
    assert handle.wait_until_leader(5)
    assert wait_idle(lctx, 30)
    updates = fake_slack.calls_to("chat.update")
    assert [c.params["ts"] for c in updates] == [f"1600000000.{stale:06d}"]
    assert "*1* interested" in str(updates[0].params["blocks"])

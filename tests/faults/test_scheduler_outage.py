"""The reminder scheduler across a database outage: a reminder falls due while the database
is away; once it is back the leader's sweep retries and every reminder goes out exactly once.

Real APScheduler on the shared job store, real clock, slots moved to a few seconds from now
(as tests/jobs/test_scheduler_live.py does). The outage is the same as in the other fault
tests: an injected OperationalError on SQLite, a cut TCP proxy on PostgreSQL.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.jobs import scheduling as jobs
from campbot.slack.notifier import slack_notifiers
from campbot.store.db import session_scope
from campbot.store.tables import Event, SentNotification
from campbot.store.types import utcnow
from tests.faults.conftest import Outage
from tests.jobs.helpers import S, move_slots, posts, publish_grid, update_event, wait_until
from tests.support.fake_slack import Call, FakeSlack


def _sent(ctx: AppContext, key: str) -> bool:
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        return row is not None and row.status == "sent"


def _reminders(fake: FakeSlack) -> list[Call]:
    """Reminder posts: the announcement ("Up next at ...") and the DMs; not the grid's own
    announcement, which the sweep may (re)send for the publish the test made."""
    return [c for c in posts(fake) if "Up next at" in str(c.params) or c.params["channel"] != "#lgc-announce"]


def test_a_reminder_due_during_an_outage_is_sent_once_when_the_database_is_back(
    outage: Outage, settings: Settings, ctx: AppContext, event: Event, fake_slack: FakeSlack
) -> None:
    lctx = AppContext(
        settings=settings.model_copy(update={"slack_api_url": fake_slack.url, "reminder_minutes": 1}),
        engine=ctx.engine,
        clock=utcnow,
    )
    assert event.id is not None
    eid = event.id
    update_event(lctx, eid, grid_post_at=None, voting_status="closed")
    first = datetime.now(UTC) + timedelta(minutes=1, seconds=3)  # t1's reminder due in ~3 s
    move_slots(lctx, eid, first, length=timedelta(seconds=30), gap=timedelta(seconds=5))
    publish_grid(lctx, eid, [S("First", "r1", "t1", hosts=["UH1"], voters=["UV1", "UV2"])])
    handle = jobs.start_scheduler(lctx, notifiers=slack_notifiers(lctx), holder="A", lease_ttl=timedelta(seconds=20),
                                  tick_seconds=0.1, sweep_seconds=1.0)
    try:
        assert handle.wait_until_leader(5)
        jobs.reschedule_event_jobs(lctx, eid)
        outage.down()
        try:
            time.sleep(6)  # the due time passes while the database is away (the thing under test)
            assert _reminders(fake_slack) == []  # nothing could be claimed, so nothing was sent
        finally:
            outage.up()
        wait_until(lambda: _sent(lctx, f"job:{eid}:remind:t1"), timeout=20, what="the t1 reminders after the outage")
        time.sleep(2.5)  # two more sweeps: nothing may be sent again
    finally:
        handle.stop(wait=False)
    # each reminder once: the announcement ("Up next at ...") and one DM per host/voter
    assert Counter(str(c.params["channel"]) for c in _reminders(fake_slack)) == Counter(
        {"#lgc-announce": 1, "UH1": 1, "UV1": 1, "UV2": 1}
    )

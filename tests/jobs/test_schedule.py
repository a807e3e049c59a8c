"""The job store: one job per item, at the right instant in the event's timezone, replaced on
re-publish; and the other timed posts (grid, voting nudge, closing) with a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from campbot.config.context import AppContext
from campbot.jobs import scheduling as jobs
from campbot.services import ledger, notifying
from campbot.services.event_file import parse_event_file
from campbot.services.events import load_event
from campbot.services.notifier import NotifierFactory
from campbot.services.notifying import run_due
from campbot.store.tables import Event
from tests.conftest import EXAMPLE_EVENT
from tests.jobs.conftest import DAY
from tests.jobs.helpers import Clock, S, local, posts, posts_to, publish_grid, text_of, update_event
from tests.support.fake_slack import FakeSlack


def _job_table(ctx: AppContext) -> dict[str, tuple[datetime, int | None, tuple]]:
    """Job id -> (next run time, misfire grace, args), read back from the shared store."""
    scheduler = jobs._new_scheduler(ctx, None, workers=1)
    scheduler.start(paused=True)
    try:
        return {j.id: (j.next_run_time, j.misfire_grace_time, tuple(j.args)) for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)


def test_jobs_land_in_the_store_at_slot_start_minus_ten_minutes(jctx: AppContext, event: Event) -> None:
    eid = event.id
    assert eid is not None
    publish_grid(jctx, eid, [S("A", "r1", "t3", hosts=["UA"]), S("B", "r2", "t4", hosts=["UB"]),
                             S("C", "r3", "t4", hosts=["UC"], length=2)])
    jobs.reschedule_event_jobs(jctx, eid)
    table = _job_table(jctx)
    utc = lambda *a: datetime(2026, 6, 20, *a, tzinfo=UTC)  # noqa: E731  (BST is UTC+1 in June)
    assert {k: v[0] for k, v in table.items()} == {
        f"grid:{eid}": utc(8, 55),  # grid_post_at 09:55 BST
        f"voting:{eid}": utc(8, 35),  # voting closes 09:45 BST
        f"voting-open:{eid}": datetime(2026, 6, 19, 8, 0, tzinfo=UTC),  # the file's window opens voting
        f"voting-end:{eid}": utc(8, 45),  # ...and closes it, by itself
        f"remind:{eid}:t3": utc(11, 50),  # t3 13:00 BST
        f"remind:{eid}:t4": utc(12, 50),  # t4 14:00 BST
        f"closing:{eid}": utc(14, 45),  # C is a double: t4+t5, ends 15:45 BST
    }
    assert table[f"remind:{eid}:t3"][1:] == (600, (eid, "t3"))  # useful until the slot begins; ids only
    assert table[f"voting:{eid}"][1] == 600
    assert table[f"voting-open:{eid}"][1] == (24 * 60 + 45) * 60  # worth announcing until voting closes
    assert table[f"closing:{eid}"][1] == 12 * 3600

    # publishing again (C moved out of t4, nothing starts in t4 any more) replaces, never duplicates
    publish_grid(jctx, eid, [S("A", "r1", "t3"), S("B", "r2", "t5"), S("C", "r3", "t1", length=2)])
    jobs.reschedule_event_jobs(jctx, eid)
    jobs.reschedule_event_jobs(jctx, eid)
    table = _job_table(jctx)
    assert sorted(table) == sorted([f"grid:{eid}", f"voting:{eid}", f"voting-open:{eid}", f"voting-end:{eid}",
                                    f"remind:{eid}:t1", f"remind:{eid}:t3", f"remind:{eid}:t5", f"closing:{eid}"])
    assert table[f"remind:{eid}:t1"][0] == utc(8, 50)


def test_jobs_already_useless_are_not_scheduled(jctx: AppContext, event: Event, clock: Clock) -> None:
    assert event.id is not None
    publish_grid(jctx, event.id, [S("A", "r1", "t1"), S("B", "r2", "t3")])
    clock.set(local(DAY, "12:00"))  # t1 and grid time are past; t3's reminder is still ahead
    jobs.reschedule_event_jobs(jctx, event.id)
    assert sorted(_job_table(jctx)) == sorted([f"grid:{event.id}", f"remind:{event.id}:t3", f"closing:{event.id}"])


DST_EVENT = EXAMPLE_EVENT.read_text().replace("slug: lgc26", "slug: dst26").replace(
    "date: 2026-06-20", "date: 2026-10-25").replace("opens: 2026-06-19T09:00", "opens: 2026-10-24T09:00")


def _dst_event(ctx: AppContext) -> Event:
    text = DST_EVENT.split("slots:")[0] + """slots:
  - {id: t1, start: "00:20", end: "00:50", block: night}
  - {id: t2, start: "10:00", end: "10:45", block: am}
  - {id: t3, start: "14:00", end: "14:45", block: pm}
"""
    return load_event(ctx, parse_event_file(text, str(Path("dst.yaml"))))


def test_an_event_on_the_day_the_clocks_go_back(jctx: AppContext, fake_slack: FakeSlack, clock: Clock,
                                               sender: NotifierFactory) -> None:
    """Sunday 25 October 2026: BST (UTC+1) until 02:00, then GMT (UTC+0)."""
    event = _dst_event(jctx)
    assert event.id is not None
    update_event(jctx, event.id, grid_post_at=None, voting_status="closed")
    publish_grid(jctx, event.id, [S("Night owls", "r1", "t1", hosts=["UN"]), S("Morning", "r1", "t2", hosts=["UM"]),
                                  S("Afternoon", "r1", "t3", hosts=["UA"], voters=["UV"])])
    clock.set(datetime(2026, 10, 24, 12, tzinfo=UTC))
    jobs.reschedule_event_jobs(jctx, event.id)
    table = _job_table(jctx)
    assert table[f"remind:{event.id}:t1"][0] == datetime(2026, 10, 24, 23, 10, tzinfo=UTC)  # 00:10 BST
    assert table[f"remind:{event.id}:t2"][0] == datetime(2026, 10, 25, 9, 50, tzinfo=UTC)  # 09:50 GMT
    assert table[f"remind:{event.id}:t3"][0] == datetime(2026, 10, 25, 13, 50, tzinfo=UTC)

    clock.set(datetime(2026, 10, 24, 23, 10, tzinfo=UTC))
    run_due(jctx, notifiers=sender)
    assert "00:20" in text_of(posts_to(fake_slack, "UN")[0])
    clock.set(datetime(2026, 10, 25, 9, 49, tzinfo=UTC))
    run_due(jctx, notifiers=sender)
    assert posts_to(fake_slack, "UM") == []  # an hour-off bug would have sent it at 08:50 UTC
    clock.set(datetime(2026, 10, 25, 9, 50, tzinfo=UTC))
    run_due(jctx, notifiers=sender)
    morning = text_of(posts_to(fake_slack, "UM")[0])
    assert "10:00" in morning and "11:00" not in morning and "09:00" not in morning
    clock.set(datetime(2026, 10, 25, 13, 50, tzinfo=UTC))
    run_due(jctx, notifiers=sender)
    assert "Up next at 14:00" in text_of(posts_to(fake_slack, "#lgc-announce")[-1])
    assert "14:00" in text_of(posts_to(fake_slack, "UV")[0])


def test_the_grid_goes_out_at_grid_time_once_even_if_publishing_posted_it(
        jctx: AppContext, event: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    assert event.id is not None
    update_event(jctx, event.id, voting_status="closed")
    clock.set(local(DAY, "09:55"))
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []  # nothing published yet: nothing to post (publishing will)
    assert notifying.find_item(jctx, event.id, "grid") is not None

    other = load_event(jctx, parse_event_file(EXAMPLE_EVENT.read_text().replace("slug: lgc26", "slug: other")))
    assert other.id is not None
    update_event(jctx, other.id, voting_status="closed")
    publish_grid(jctx, other.id, [S("A <@U123>", "r1", "t3", hosts=["UA"]), S("B", "r2", "t3")])
    # publishing already posted part 1 of this version
    ledger.claim(jctx, event_id=other.id, key=f"grid:{other.id}:1:part1", kind="grid", target="#lgc-announce")
    ledger.finish(jctx, f"grid:{other.id}:1:part1", "sent", "C1 1.1")
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []

    publish_grid(jctx, other.id, [S("A <@U123>", "r1", "t4"), S("B", "r2", "t3")])  # version 2, not yet posted
    clock.advance(minutes=1)
    run_due(jctx, notifiers=sender)  # the grid item ran already: a new version is publishing's to announce
    assert posts(fake_slack) == []


def test_grid_time_posts_a_version_nobody_announced(
        jctx: AppContext, event: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    assert event.id is not None
    update_event(jctx, event.id, voting_status="closed")
    publish_grid(jctx, event.id, [S("A <@U123>", "r1", "t3", hosts=["UA"]), S("B", "r2", "t3")])
    clock.set(local(DAY, "09:54"))
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []
    clock.set(local(DAY, "09:55"))
    run_due(jctx, notifiers=sender)
    run_due(jctx, notifiers=sender)
    [grid] = posts_to(fake_slack, "#lgc-announce")
    body = text_of(grid)
    assert "version 1" in body and "&lt;@U123&gt;" in body and "<@U123>" not in body


def test_voting_closes_in_ten_minutes(jctx: AppContext, event: Event, fake_slack: FakeSlack, clock: Clock,
                                      sender: NotifierFactory) -> None:
    assert event.id is not None
    # opened by an organiser, so the window's opening (long past) has nothing to announce
    update_event(jctx, event.id, grid_post_at=None, voting_status="open", voting_opens_at=None)
    clock.set(local(DAY, "09:34"))
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []
    clock.set(local(DAY, "09:35"))
    run_due(jctx, notifiers=sender)
    run_due(jctx, notifiers=sender)
    [nudge] = posts_to(fake_slack, "#lgc-pitches")
    assert "Voting closes in 10 minutes" in text_of(nudge) and "09:45" in text_of(nudge)
    # the organisers move the close to 10:15: a new nudge for the new time
    update_event(jctx, event.id, voting_closes_at=local(DAY, "10:15"))
    clock.set(local(DAY, "10:05"))
    run_due(jctx, notifiers=sender)
    assert len(posts_to(fake_slack, "#lgc-pitches")) == 2
    assert "10:15" in text_of(posts_to(fake_slack, "#lgc-pitches")[-1])


def test_no_voting_nudge_when_voting_was_closed_early(jctx: AppContext, event: Event, fake_slack: FakeSlack,
                                                      clock: Clock, sender: NotifierFactory) -> None:
    assert event.id is not None
    update_event(jctx, event.id, grid_post_at=None, voting_status="closed")
    clock.set(local(DAY, "09:36"))
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []


def test_the_closing_post_asks_for_notes_with_each_sessions_link(
        jctx: AppContext, camp: Event, fake_slack: FakeSlack, clock: Clock, sender: NotifierFactory) -> None:
    assert camp.id is not None
    sessions = [S("Open data", "r1", "t4"), S("Last one", "r2", "t5")]
    publish_grid(jctx, camp.id, sessions)
    clock.set(local(DAY, "15:44"))
    run_due(jctx, notifiers=sender)
    assert posts(fake_slack) == []  # the last session ends at 15:45
    before = 0
    clock.set(local(DAY, "15:45"))
    run_due(jctx, notifiers=sender)
    run_due(jctx, notifiers=sender)
    assert len(posts(fake_slack)) == before + 1
    body = text_of(posts(fake_slack)[-1])
    assert "share your notes" in body
    for s in sessions:
        assert f"https://notes.localgov.camp/2026/p{s.pitch_id}" in body
    assert "15:00–15:45" in body
    clock.set(local(DAY, "15:45") + timedelta(hours=13))
    assert notifying.find_item(jctx, camp.id, "closing") is not None
    assert run_due(jctx, notifiers=sender) == []  # long after: nothing is due any more


def test_nothing_is_scheduled_before_a_grid_is_published(jctx: AppContext, camp: Event) -> None:
    assert camp.id is not None
    jobs.reschedule_event_jobs(jctx, camp.id)
    assert sorted(_job_table(jctx)) == [f"voting:{camp.id}"]


def test_a_finished_item_is_not_scheduled_again(jctx: AppContext, camp: Event, fake_slack: FakeSlack,
                                                clock: Clock, sender: NotifierFactory) -> None:
    assert camp.id is not None
    publish_grid(jctx, camp.id, [S("A", "r1", "t3", hosts=["UA"]), S("B", "r2", "t4", hosts=["UB"])])
    clock.set(local(DAY, "12:52"))
    jobs.reschedule_event_jobs(jctx, camp.id)
    assert f"remind:{camp.id}:t3" in _job_table(jctx)  # due, not yet done: it runs as soon as a leader sees it
    run_due(jctx, notifiers=sender)
    jobs.reschedule_event_jobs(jctx, camp.id)
    assert sorted(_job_table(jctx)) == [f"closing:{camp.id}", f"remind:{camp.id}:t4"]


def test_moving_the_voting_close_moves_its_job(jctx: AppContext, camp: Event) -> None:
    assert camp.id is not None
    jobs.reschedule_event_jobs(jctx, camp.id)
    assert _job_table(jctx)[f"voting:{camp.id}"][0] == local(DAY, "09:35")
    update_event(jctx, camp.id, voting_closes_at=local(DAY, "11:00"))
    jobs.reschedule_event_jobs(jctx, camp.id)
    table = _job_table(jctx)
    assert list(table) == [f"voting:{camp.id}"] and table[f"voting:{camp.id}"][0] == local(DAY, "10:50")

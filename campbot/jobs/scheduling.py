"""APScheduler wiring: timed posts and reminders from a job store in the bot's own database.

* **Persistent store, same database.** Jobs live in `apscheduler_jobs` beside the other
  tables, through the app's own engine, so a restart finds them again. (An in-memory SQLite
  database keeps its jobs too, but its one shared connection cannot serve the scheduler's
  threads and the app's at once: run a live scheduler on a SQLite file or PostgreSQL.)
  A job holds ids only (event id, slot key): its function reads the database when it
  fires, so a re-plan never leaves a reminder pointing at an old room.
* **Stable job ids + replace_existing.** `remind:{event}:{slot}`, `grid:{event}`,
  `voting:{event}`, `voting-open:{event}`, `voting-end:{event}`, `closing:{event}`:
  rescheduling after a publish, a re-plan or a changed voting window replaces jobs instead of
  adding duplicates, and jobs no longer in the plan are removed.
* **misfire_grace_time = the item's window.** A job that could not run on time (the bot was
  down) still runs when the bot is back, but only while the message is useful: a reminder
  until its slot begins, the voting nudge until voting closes, the grid until the last slot
  ends. Past that APScheduler drops it, and the send code checks the window again against the
  database's slot start (the slot may have moved) and logs the skip.
* **coalesce = True.** If a job missed several run times (the interval sweep while paused),
  running it once is right: every run looks at the current state anyway.
* **One process runs the scheduler.** Every process starts its scheduler *paused* (so it can
  still write jobs to the shared store when it publishes); a database lease
  (campbot.services.leases) decides which one is resumed. The holder renews it every tick; if it
  dies, the lease expires and a standby takes over. Sends are keyed
  (campbot.services.notifying), so even two running schedulers cannot send anything twice.
* **A sweep.** The leader runs `notifying.run_due` every `sweep_seconds` (and at once when it
  takes over): it retries failed sends, resumes an item a dead process left half-done, and
  catches an item whose job is missing. It also wakes the scheduler up, so jobs another
  process added are seen within a sweep. Every minute the leader also re-derives every
  event's jobs from the database, so a change nobody rescheduled for (an event file loaded
  again with new slot times) still moves the jobs.

Why one module of about 400 lines: the job store names each job's function by this module's
path ("campbot.jobs.scheduling:remind_slot"), so the functions stay beside the scheduler that
adds them; moving them to another module orphans the jobs a running camp has stored until the
leader's next re-derive.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from campbot.config.context import AppContext
from campbot.services import leases, ledger, notifying
from campbot.services.notifier import NotifierFactory
from campbot.services.notifying import Item
from campbot.services.publishing import resume_publications

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
JOB_TABLE = "apscheduler_jobs"
SWEEP_JOB_ID = "sweep"


class SharedEngineJobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy store on the application's own engine.

    Two changes: shutting the scheduler down must not dispose the engine (it belongs to the
    app; for in-memory SQLite disposing it would drop the whole database), and removing a job
    another scheduler already removed is not an error (it would kill the scheduler's loop).
    """

    def shutdown(self) -> None:
        pass

    def remove_job(self, job_id: str) -> None:
        try:
            super().remove_job(job_id)
        except JobLookupError:
            log.debug("job %s was already removed (by another scheduler)", job_id)


class CampScheduler(BackgroundScheduler):
    """BackgroundScheduler that only ever processes jobs while running.

    APScheduler 3.x runs one last round of `_process_jobs` after `shutdown()` (the loop wakes,
    then checks the state), so a paused scheduler that is shut down would submit every due job
    to an executor that is already closed, and die on removing it. Our processes start paused
    (standby, or just writing jobs after a publish), so they must never process jobs then.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()  # type: ignore[no-any-return]


# ------------------------------------------------------------------------ job functions
# Module-level, ids only: the store pickles a reference ("campbot.jobs.scheduling:remind_slot") and the args.

_bound = threading.local()
_default: dict[str, Any] = {}


def _bind(ctx: AppContext, notifiers: NotifierFactory | None) -> None:
    """Runs in each executor thread: jobs of this scheduler use its context and notifiers."""
    _bound.ctx, _bound.notifiers = ctx, notifiers


def _context() -> tuple[AppContext, NotifierFactory]:
    ctx = getattr(_bound, "ctx", None)
    if ctx is not None:
        return ctx, _bound.notifiers
    if "ctx" not in _default:
        raise RuntimeError("no scheduler context: start_scheduler() was not called in this process")
    return _default["ctx"], _default["notifiers"]


def _run(event_id: int, what: str, ref: str | None = None) -> None:
    ctx, notifiers = _context()
    item = notifying.find_item(ctx, event_id, what, ref)
    if item is None:
        log.info("%s job for event %s (%s) has nothing to do any more", what, event_id, ref or "-")
        return
    report = notifying.run_item(ctx, item, notifiers)
    log.info("%s %s for event %s: %s, %d sent, %d failed, %d skipped", what, ref or "", event_id, report.status,
             len(report.sent), len(report.failed), len(report.skipped))


def post_grid(event_id: int) -> None:
    """Grid time: the latest published version goes to the announcement channel."""
    _run(event_id, "grid")


def nudge_voting(event_id: int) -> None:
    """Ten minutes before voting closes."""
    _run(event_id, "voting")


def open_voting(event_id: int) -> None:
    """The event file's `opens`: voting opens by itself, announced, cards redrawn."""
    _run(event_id, "voting-open")


def end_voting(event_id: int) -> None:
    """The event file's `closes`: voting closes by itself, announced, cards redrawn."""
    _run(event_id, "voting-end")


def remind_slot(event_id: int, slot_key: str) -> None:
    """N minutes before a slot: "Up next" in the channel and the personal DMs."""
    _run(event_id, "remind", slot_key)


def post_closing(event_id: int) -> None:
    """After the last session: "share your notes"."""
    _run(event_id, "closing")


def sweep() -> None:
    """Retry what failed, finish what a dead process left, catch up what is due."""
    ctx, notifiers = _context()
    ledger.expire_claims(ctx)  # a send claimed by a process that died is retried, not stuck
    for report in notifying.run_due(ctx, notifiers=notifiers):
        if report.sent or report.failed:
            log.info("sweep: %s %s for event %s: %s", report.item.what, report.item.ref, report.item.event_id,
                     report.status)
    # A publication whose sends a restart or a Slack outage cut short is finished here, once
    # (its sends are keyed), so nobody has to press Publish again.
    for pub in resume_publications(ctx, notifiers):
        log.info("sweep: resumed publishing version %s: %d sent, %d failed", pub.number, len(pub.sent),
                 len(pub.failed))
    stuck = ledger.stuck_claims(ctx)
    if stuck:
        log.warning("sweep: %d send(s) stuck in 'claimed': %s", len(stuck), ", ".join(stuck[:10]))


_FUNCS = {"grid": post_grid, "voting": nudge_voting, "voting-open": open_voting, "voting-end": end_voting,
          "remind": remind_slot, "closing": post_closing}


# ------------------------------------------------------------------------ scheduling


def _add_item(scheduler: BackgroundScheduler, item: Item) -> None:
    grace = max(1, int((item.until - item.due).total_seconds()))
    args: tuple[Any, ...] = (item.event_id, item.ref) if item.what == "remind" else (item.event_id,)
    scheduler.add_job(
        _FUNCS[item.what], trigger=DateTrigger(run_date=item.due), args=args, id=item.job_id,
        name=f"{item.what} {item.ref} (event {item.event_id})", jobstore="default", replace_existing=True,
        misfire_grace_time=grace, coalesce=True, max_instances=1,
    )


def _event_of(job_id: str) -> int | None:
    parts = job_id.split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[0] in _FUNCS and parts[1].isdigit() else None


def _schedule_event(scheduler: BackgroundScheduler, ctx: AppContext, event_id: int,
                    notifiers: NotifierFactory | None) -> list[Item]:
    now = ctx.now()
    items = [i for i in notifying.plan_items(ctx, event_id, notifiers)
             if i.until > now and not (i.due <= now and notifying.item_done(ctx, i))]
    wanted = {i.job_id for i in items}
    for job in scheduler.get_jobs(jobstore="default"):
        if _event_of(job.id) == event_id and job.id not in wanted:
            scheduler.remove_job(job.id, jobstore="default")
    for item in items:
        try:
            _add_item(scheduler, item)
        except JobLookupError:  # removed by another scheduler between our add and update: add again
            _add_item(scheduler, item)
    return items


def _new_scheduler(ctx: AppContext, notifiers: NotifierFactory | None, *, workers: int = 4) -> BackgroundScheduler:
    return CampScheduler(
        jobstores={"default": SharedEngineJobStore(engine=ctx.engine, tablename=JOB_TABLE), "local": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(workers, pool_kwargs={"initializer": _bind,
                                                                       "initargs": (ctx, notifiers)})},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=UTC,
    )


@dataclass
class SchedulerHandle:
    """A process's scheduler: paused until it holds the lease, running while it does."""

    ctx: AppContext
    scheduler: BackgroundScheduler
    holder: str
    notifiers: NotifierFactory | None = None
    lease_ttl: timedelta = timedelta(seconds=30)
    tick_seconds: float = 5.0
    use_lease: bool = True
    leader: bool = False
    resync_seconds: float = 60.0
    _last_resync: float = 0.0
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lease_valid_until: datetime | None = None
    became_leader: threading.Event = field(default_factory=threading.Event)
    rounds: int = 0  # lease rounds done by the loop (tests wait on it)

    @property
    def is_leader(self) -> bool:
        return self.leader

    def tick(self) -> None:
        """One round of the lease: renew it (or notice we lost it), or try to take it."""
        now = self.ctx.now()
        try:
            if not self.use_lease:
                held = True
            elif self.leader:
                held = leases.renew(self.ctx, LEASE_NAME, self.holder, self.lease_ttl, now=now)
                if not held:
                    log.warning("scheduler lease lost by %s; pausing", self.holder)
            else:
                held = leases.try_acquire(self.ctx, LEASE_NAME, self.holder, self.lease_ttl, now=now)
            if held:
                self._lease_valid_until = now + self.lease_ttl
        except Exception:  # noqa: BLE001 - the database is away: carry on only while our lease surely holds
            log.exception("scheduler lease check failed")
            held = self.leader and self._lease_valid_until is not None and now < self._lease_valid_until
        if held:
            if not self.leader:
                self._take_over()
            elif time.monotonic() - self._last_resync >= self.resync_seconds:
                self._resync()
        elif self.leader:
            self.leader = False
            self.scheduler.pause()

    def _resync(self) -> None:
        """Jobs from the database, for every event: catches changes nobody rescheduled for (an
        event file re-loaded with new slot times, a voting window moved), within a minute."""
        self._last_resync = time.monotonic()
        for event_id in notifying.event_ids(self.ctx):
            try:
                _schedule_event(self.scheduler, self.ctx, event_id, self.notifiers)
            except Exception:  # noqa: BLE001 - one broken event must not stop the others' reminders
                log.exception("could not schedule event %s", event_id)

    def _recheck_cards(self) -> None:
        """Card updates wait in the memory of the process that marked them: one that died (or the
        previous run of this one) may have left a card showing an old count or placement. Taking
        the lead, mark every card once; a card already right costs no Slack call (its face
        compares what it would show with what it showed)."""
        if self.notifiers is None:
            return
        for event_id in notifying.event_ids(self.ctx):
            notifier = self.notifiers(event_id)
            if notifier is not None:
                notifier.refresh_cards(event_id)

    def _take_over(self) -> None:
        log.info("scheduler %s took the lease; scheduling and running jobs", self.holder)
        self._resync()
        self._recheck_cards()
        self.leader = True
        self.scheduler.resume()
        self.became_leader.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the lease loop must outlive any one bad round
                log.exception("scheduler tick failed")
            self.rounds += 1
            self._stopping.wait(self.tick_seconds)

    def wait_until_leader(self, timeout: float) -> bool:
        return self.became_leader.wait(timeout)

    def stop(self, *, release: bool = True, wait: bool = True) -> None:
        """Stop scheduling. `release` hands the lease over at once (a clean shutdown); without
        it the lease simply runs out, as when a process dies."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.tick_seconds * 2))
        with contextlib.suppress(Exception):  # already stopped
            self.scheduler.shutdown(wait=wait)
        if release and self.use_lease and self.leader:
            try:
                leases.release(self.ctx, LEASE_NAME, self.holder)
            except Exception:  # noqa: BLE001
                log.exception("could not release the scheduler lease")
        self.leader = False
        if self in _handles:
            _handles.remove(self)


    def shutdown(self) -> None:
        """`campbot serve` stops what it started with `shutdown()`: a clean stop."""
        self.stop()


_handles: list[SchedulerHandle] = []


def start_scheduler(ctx: AppContext, *, notifiers: NotifierFactory, holder: str | None = None,
                    lease_ttl: timedelta = timedelta(seconds=30), tick_seconds: float = 5.0,
                    sweep_seconds: float = 30.0, use_lease: bool = True, catch_up: bool = True) -> SchedulerHandle:
    """Start this process's scheduler (paused) and its lease loop; it runs jobs once it leads.

    `campbot serve` calls this once. `use_lease=False` runs it unconditionally (tests of what
    happens when two schedulers fire the same job); `catch_up=False` skips the sweep at take-over
    (tests that show the persisted jobs alone deliver after a restart).
    """
    holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    follow_schedule_changes(ctx)
    scheduler = _new_scheduler(ctx, notifiers)
    scheduler.add_listener(_on_missed, EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    first_sweep = datetime.now(UTC) + (timedelta(0) if catch_up else timedelta(seconds=sweep_seconds))
    scheduler.add_job(sweep, trigger=IntervalTrigger(seconds=sweep_seconds), id=SWEEP_JOB_ID, jobstore="local",
                      replace_existing=True, next_run_time=first_sweep, misfire_grace_time=None,
                      coalesce=True, max_instances=1)
    handle = SchedulerHandle(ctx=ctx, scheduler=scheduler, holder=holder, notifiers=notifiers, lease_ttl=lease_ttl,
                             tick_seconds=tick_seconds, use_lease=use_lease)
    _default.update(ctx=ctx, notifiers=notifiers)
    _handles.append(handle)
    handle._thread = threading.Thread(target=handle._loop, name=f"campbot-lease-{holder}", daemon=True)
    handle._thread.start()
    return handle


def stop(handle: SchedulerHandle) -> None:
    """Clean shutdown: finish running jobs, hand the lease over."""
    handle.stop()


def _on_missed(event: JobExecutionEvent) -> None:
    log.warning("job %s missed its time %s (the bot was down past the point where it was useful); skipped",
                event.job_id, event.scheduled_run_time)


def follow_schedule_changes(ctx: AppContext) -> AppContext:
    """Have every publish or voting-time change in this context move the event's jobs at once (not
    only at the leader's next re-derive): start_scheduler and the command line call it."""
    if reschedule_event_jobs not in ctx.schedule_changed:
        ctx.schedule_changed.append(reschedule_event_jobs)
    return ctx


def reschedule_event_jobs(ctx: AppContext, event_id: int, notifiers: NotifierFactory | None = None) -> None:
    """Bring an event's jobs in line with the database (after publish, re-plan, a changed
    voting window or grid time). Works in any process: it writes to the shared job store, and
    the leading scheduler picks the jobs up at its next sweep at the latest. An event nobody can
    be reached in (by `notifiers`, else this process's scheduler's) gets no jobs."""
    for handle in list(_handles):
        if handle.ctx.engine is ctx.engine:
            _schedule_event(handle.scheduler, ctx, event_id, notifiers or handle.notifiers)
            return
    scheduler = _new_scheduler(ctx, None, workers=1)
    scheduler.start(paused=True)
    try:
        _schedule_event(scheduler, ctx, event_id, notifiers)
    finally:
        scheduler.shutdown(wait=False)


def scheduled_jobs(ctx: AppContext, event_id: int | None = None) -> dict[str, datetime | None]:
    """Job id -> next run time (UTC) in the shared store: for `campbot` status output and tests."""
    scheduler = _new_scheduler(ctx, None, workers=1)
    scheduler.start(paused=True)
    try:
        return {job.id: job.next_run_time for job in scheduler.get_jobs(jobstore="default")
                if event_id is None or _event_of(job.id) == event_id}
    finally:
        scheduler.shutdown(wait=False)

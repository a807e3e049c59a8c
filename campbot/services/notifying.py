"""Time-driven sends (grid, "voting closes soon", "up next", reminder DMs, "share your notes"),
each done exactly once.

Why it is built this way:

* **Every send is keyed.** A SentNotification row with a unique key is claimed by an INSERT
  before Slack is called and marked "sent" after. Keys (kind:event:slot-or-version[:target]):
  `up-next:{event}:{slot}`, `remind-dm:{event}:{slot}:{user}`, `voting-closing:{event}:{closes}`,
  `closing:{event}`, the grid's own `grid:{event}:{N}:part{i}` (shared with publishing, so a
  version is announced once whoever gets there first), and per item `job:{event}:{what}:{ref}`.
  The unique constraint is the arbiter: a second scheduler, a job fired twice, a sweep racing
  a job all lose the insert and skip. A claim left "claimed" by a process that
  died is taken over after `CLAIM_TIMEOUT`; a "failed" one is retried (up to `MAX_ATTEMPTS`,
  then logged as given up, and left "failed" where an organiser can see it). Like
  campbot.services.publishing, a row's `sent_at` holds the moment of the latest claim while it is
  "claimed"/"failed", and the moment of sending once "sent".
* **Every scheduled job is an item with a window.** An item (the grid post, the voting
  nudge, one slot's reminders, the closing post) is due at a time and useful until another
  (a reminder until its slot begins). The item itself is claimed under a key too, so a crash
  half-way through 150 DMs is noticed (the item stays "claimed", goes stale, and the sweep runs
  it again, skipping the DMs already sent). `run_due` runs every item that is due and still
  useful; it is what the tests call with a controlled clock, and what the scheduler's periodic
  sweep calls to retry failures and catch up after a restart.
* **Content is read at send time, by ids.** A reminder job knows only (event, slot); it reads
  the latest published version when it fires, so a re-plan can never leave a stale reminder
  behind for a session that moved.
* **Pacing.** Every send takes its turn from the budget shared by all of campbot's senders and
  processes (campbot.slack.outbound), at the BULK priority: after anything a person or a card waits for.
  On top, `Pacer` (in-process, with an injectable clock so tests can run a storm of 429s
  without sleeping) keeps this sender's own rhythm and makes it wait out a Retry-After
  (`PacedRateLimitRetry`). A message that still fails after the client's retries is marked
  failed and retried by the next sweep, never dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.grid_queries import GridEntry, ResolvedGrid, published_grid
from campbot.services.voting import CLOSED, voting_is_open, voting_state
from campbot.slack.blocks import reminders as blocks
from campbot.slack.outbound.budget import BULK
from campbot.slack.outbound.client import paced_client, retry_after, sending_as
from campbot.slack.slack_client import token_for_event
from campbot.slack.token_state import token_problem
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, SentNotification, Vote

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=2)  # a single send (with the client's own 429 retries) takes far less
ITEM_CLAIM_TIMEOUT = timedelta(seconds=90)  # an item's claim is refreshed after every send
MAX_ATTEMPTS = 8
VOTING_NUDGE_MINUTES = 10
CLOSING_WINDOW = timedelta(hours=12)
VOTING_END_WINDOW = timedelta(hours=2)  # "voting has closed" is news for a while, then the grid is
VOTING_OPEN_WINDOW = timedelta(hours=12)  # an opening with no closing time: worth announcing this long
EARLY_TOLERANCE = timedelta(seconds=5)  # a job may fire a moment early on a skewed clock

# -------------------------------------------------------------------------------- pacing


class Pacer:
    """Token buckets: one per channel (`rate` per second, `burst` at once) and one overall.

    `wait(channel)` reserves a token and sleeps until it is valid; `hold(seconds)` makes every
    caller wait (a 429's Retry-After). `clock` and `sleep` are injectable so tests run a storm
    of 429s without really sleeping.
    """

    def __init__(self, *, rate: float = 1.0, burst: float = 3.0, overall_rate: float = 20.0,
                 overall_burst: float = 20.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.burst = rate, burst
        self.overall_rate, self.overall_burst = overall_rate, overall_burst
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, stamp)
        self._overall: tuple[float, float] | None = None
        self._hold_until = 0.0
        self.slept = 0.0  # total seconds asked to sleep, for tests and logs

    @staticmethod
    def _take(state: tuple[float, float] | None, now: float, rate: float, burst: float) -> tuple[float, float, float]:
        tokens, stamp = state if state is not None else (burst, now)
        tokens = min(burst, tokens + max(0.0, now - stamp) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        return tokens - 1, now, wait

    def reserve(self, channel: str) -> float:
        """Take a token for `channel` and say how long to wait before using it."""
        with self._lock:
            now = self.clock()
            tokens, stamp, wait_channel = self._take(self._buckets.get(channel), now, self.rate, self.burst)
            self._buckets[channel] = (tokens, stamp)
            o_tokens, o_stamp, wait_overall = self._take(self._overall, now, self.overall_rate, self.overall_burst)
            self._overall = (o_tokens, o_stamp)
            return max(wait_channel, wait_overall, self._hold_until - now, 0.0)

    def wait(self, channel: str) -> None:
        delay = self.reserve(channel)
        if delay > 0:
            self.slept += delay
            self.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Everyone waits `seconds` from now (Slack said so in a Retry-After)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self.clock() + seconds)


class PacedRateLimitRetry(RateLimitErrorRetryHandler):
    """The client's 429 handler, waiting through the Pacer (so every sender backs off together,
    and tests can use a fake sleeper) instead of a private `time.sleep`."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        seconds = retry_after(response.headers)
        log.info("Slack says slow down: waiting %.0fs", seconds)
        self.pacer.hold(seconds)
        self.pacer.slept += seconds
        self.pacer.sleep(seconds)
        state.increment_current_attempt()


@dataclass
class Sender:
    """How messages leave: a Web API client (retrying 5xx, connection errors and 429s) and a pacer."""

    client: WebClient
    pacer: Pacer

    @classmethod
    def for_settings(cls, ctx: AppContext, pacer: Pacer | None = None, *, token: str | None = None) -> Sender:
        pacer = pacer or Pacer()
        client = paced_client(ctx, token)  # the budget shared with every other sender (campbot.slack.outbound)
        client.retry_handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
        client.retry_handlers.append(PacedRateLimitRetry(pacer))
        return cls(client=client, pacer=pacer)

    def post(self, channel: str, message: blocks.Message) -> str:
        """Post to a channel (a user id posts to that person's DM with the app); returns "channel ts"."""
        self.pacer.wait(channel)
        try:
            with sending_as(BULK):  # after what a person or a card waits for
                resp = self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                                    unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            if exc.response.status_code == 429:  # the client's retries ran out: the next send still waits
                self.pacer.hold(retry_after(exc.response.headers))
            raise
        return f"{resp.get('channel', channel)} {resp.get('ts', '')}"


_senders: dict[str, Sender] = {}
_senders_lock = threading.Lock()


def default_sender(ctx: AppContext, event_id: int | None = None) -> Sender:
    """One Sender per Slack API address (and, with OAuth, per workspace token) in this process,
    so the pacing is shared by every job sending to the same workspace."""
    token = token_for_event(ctx, event_id) if event_id is not None else None
    with _senders_lock:
        key = f"{ctx.settings.slack_api_url} {token or ''}"
        if key not in _senders:
            _senders[key] = Sender.for_settings(ctx, token=token)
        return _senders[key]


# -------------------------------------------------------------------------------- claims


CLAIMED, ALREADY, BUSY, GAVE_UP = "claimed", "already", "busy", "gave_up"


def claim(ctx: AppContext, *, event_id: int, key: str, kind: str, target: str,
          timeout: timedelta = CLAIM_TIMEOUT, max_attempts: int | None = MAX_ATTEMPTS) -> str:
    """Claim `key` for sending: CLAIMED (go ahead), ALREADY (sent before), BUSY (someone else is on
    it right now) or GAVE_UP (failed `max_attempts` times).

    Race-safe: a new key is an INSERT that the unique constraint lets only one process win; an
    existing failed or stale claim is taken over by one conditional UPDATE on its (status,
    attempts), which only one process can match.
    """
    return _claim(ctx, event_id=event_id, key=key, kind=kind, target=target, timeout=timeout,
                  max_attempts=max_attempts)[0]


def _claim(ctx: AppContext, *, event_id: int, key: str, kind: str, target: str, timeout: timedelta,
           max_attempts: int | None) -> tuple[str, int]:
    """`claim`, also returning which attempt is ours (so only our own claim is finished by us)."""
    now = ctx.now()
    table = SentNotification.__table__  # type: ignore[attr-defined]
    try:
        with session_scope(ctx.engine) as db:
            db.exec(insert(table).values(event_id=event_id, key=key, kind=kind, target=target[:64],
                                         status="claimed", attempts=1, detail="", created_at=now, sent_at=now))
        return CLAIMED, 1
    except IntegrityError:
        pass
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        if row is None:  # deleted in between: extremely unlikely; let the next run claim it
            return BUSY, 0
        if row.status == "sent":
            return ALREADY, row.attempts
        last = row.sent_at or row.created_at
        if row.status == "claimed" and now - last < timeout:
            return BUSY, row.attempts
        if max_attempts is not None and row.attempts >= max_attempts:
            return GAVE_UP, row.attempts
        if row.status == "claimed":
            log.warning("taking over %s: claimed %s ago and never finished (a process died?)", key, now - last)
        taken = db.exec(
            update(table)
            .where(table.c.key == key, table.c.status == row.status, table.c.attempts == row.attempts)
            .values(status="claimed", attempts=row.attempts + 1, sent_at=now)
        )
        return (CLAIMED, row.attempts + 1) if taken.rowcount == 1 else (BUSY, row.attempts)


def finish(ctx: AppContext, key: str, status: str, detail: str = "", *, attempt: int | None = None) -> None:
    """Mark a claimed key "sent" (with what Slack answered) or "failed" (with the error).

    With `attempt`, only that claim is finished: a slow sender whose claim was taken over in the
    meantime must not overwrite the newer claim's outcome (a "failed" over a "sent" would send
    again).
    """
    table = SentNotification.__table__  # type: ignore[attr-defined]
    query = update(table).where(table.c.key == key)
    if attempt is not None:
        query = query.where(table.c.attempts == attempt, table.c.status == "claimed")
    with session_scope(ctx.engine) as db:
        db.exec(query.values(status=status, detail=detail[:500], sent_at=ctx.now()))


def touch(ctx: AppContext, key: str) -> None:
    """Refresh a long-running claim so nobody takes it over while we are still working."""
    table = SentNotification.__table__  # type: ignore[attr-defined]
    with session_scope(ctx.engine) as db:
        db.exec(update(table).where(table.c.key == key, table.c.status == "claimed").values(sent_at=ctx.now()))


SENT, FAILED = "sent", "failed"


def deliver(ctx: AppContext, sender: Sender, *, event_id: int, key: str, kind: str, channel: str,
            message: Callable[[], blocks.Message]) -> str:
    """Send `message()` to `channel` once under `key`. Returns SENT, FAILED, ALREADY, BUSY or GAVE_UP."""
    outcome, attempt = _claim(ctx, event_id=event_id, key=key, kind=kind, target=channel, timeout=CLAIM_TIMEOUT,
                              max_attempts=MAX_ATTEMPTS)
    if outcome == GAVE_UP:
        log.error("not sending %s: failed %d times; see its SentNotification row", key, MAX_ATTEMPTS)
    if outcome != CLAIMED:
        return outcome
    try:
        answer = sender.post(channel, message())
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        finish(ctx, key, FAILED, error, attempt=attempt)
        log.warning("send %s failed (%s); it will be retried", key, error)
        return FAILED
    except Exception as exc:  # noqa: BLE001 - recorded and retried by the sweep, never lost
        finish(ctx, key, FAILED, f"{type(exc).__name__}: {exc}", attempt=attempt)
        log.warning("send %s failed (%s); it will be retried", key, type(exc).__name__)
        return FAILED
    finish(ctx, key, SENT, answer, attempt=attempt)
    return SENT


# -------------------------------------------------------------------------------- items


@dataclass(frozen=True)
class Item:
    """One scheduled piece of work: due at `due`, worth doing until `until`."""

    event_id: int
    what: str  # grid | voting | voting-open | voting-end | remind | closing
    ref: str  # the slot key for "remind"; a stamp of the due time or "end" for the others
    due: datetime
    until: datetime

    @property
    def key(self) -> str:
        return f"job:{self.event_id}:{self.what}:{self.ref}"

    @property
    def job_id(self) -> str:
        """Stable per (event, what[, slot]) so rescheduling replaces instead of duplicating."""
        return f"remind:{self.event_id}:{self.ref}" if self.what == "remind" else f"{self.what}:{self.event_id}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def reminder_lead(ctx: AppContext) -> timedelta:
    return timedelta(minutes=ctx.settings.reminder_minutes)


def plan_items(ctx: AppContext, event_id: int) -> list[Item]:
    """Every timed item of an event as things stand in the database now."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
    if event is None or token_problem(ctx, event):  # no usable Slack token: nothing is due (campbot.slack.token_state)
        return []
    grid = published_grid(ctx, event_id)
    items: list[Item] = []
    last_end = max((s.end for s in grid.slots), default=None) if grid else None
    if event.grid_post_at:
        until = max(last_end or event.grid_post_at, event.grid_post_at + timedelta(hours=1))
        items.append(Item(event_id, "grid", _stamp(event.grid_post_at), event.grid_post_at, until))
    opens, closes = event.voting_opens_at, event.voting_closes_at
    if closes:
        due = closes - timedelta(minutes=VOTING_NUDGE_MINUTES)
        items.append(Item(event_id, "voting", _stamp(closes), due, closes))
    if event.voting_status != CLOSED:  # an organiser's close wins over the window: nothing to announce
        if opens and (closes is None or opens < closes):
            items.append(Item(event_id, "voting-open", _stamp(opens), opens, closes or opens + VOTING_OPEN_WINDOW))
        if closes:
            items.append(Item(event_id, "voting-end", _stamp(closes), closes, closes + VOTING_END_WINDOW))
    lead = reminder_lead(ctx)
    if grid and grid.entries and lead > timedelta(0):  # reminder_minutes = 0 switches reminders off
        starts = {e.slot_keys[0] for e in grid.entries}
        for slot in grid.slots:
            if slot.key in starts:
                items.append(Item(event_id, "remind", slot.key, slot.start - lead, slot.start))
    if grid and grid.entries:
        end = max(e.end for e in grid.entries)
        items.append(Item(event_id, "closing", "end", end, end + CLOSING_WINDOW))
    return items


def item_done(ctx: AppContext, item: Item) -> bool:
    """True once the item ran to the end (its key is "sent"): no job is needed for it any more."""
    with session_scope(ctx.engine) as db:
        status = db.exec(select(SentNotification.status).where(SentNotification.key == item.key)).first()
    return status == "sent"


@dataclass
class ItemReport:
    """What running an item did, for logs and tests."""

    item: Item
    status: str = "done"  # done | already | busy | not_due | too_late | incomplete
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run_item(ctx: AppContext, item: Item, sender: Sender | None = None) -> ItemReport:
    """Do one item once: check its window, claim it, send what is not sent yet, mark it."""
    report = ItemReport(item)
    now = ctx.now()
    if now < item.due - EARLY_TOLERANCE:
        report.status = "not_due"
        return report
    if now >= item.until:
        report.status = "too_late"
        log.warning("skipped %s for event %s: due %s, no longer useful since %s (now %s)",
                    item.what, item.event_id, item.due.isoformat(), item.until.isoformat(), now.isoformat())
        return report
    outcome, attempt = _claim(ctx, event_id=item.event_id, key=item.key, kind="job", target=item.what,
                              timeout=ITEM_CLAIM_TIMEOUT, max_attempts=None)
    if outcome != CLAIMED:
        report.status = outcome
        return report
    sender = sender or default_sender(ctx, item.event_id)
    try:
        _RUNNERS[item.what](ctx, sender, item, report)
    except Exception as exc:
        finish(ctx, item.key, FAILED, f"{type(exc).__name__}: {exc}", attempt=attempt)
        log.exception("%s for event %s failed; the sweep retries it", item.what, item.event_id)
        report.status = "incomplete"
        return report
    if report.failed or report.status == "incomplete":
        report.status = "incomplete"
        finish(ctx, item.key, FAILED, f"{len(report.failed)} sends failed", attempt=attempt)
    else:
        finish(ctx, item.key, SENT, f"{len(report.sent)} sent, {len(report.skipped)} skipped", attempt=attempt)
    return report


def _send(ctx: AppContext, sender: Sender, item: Item, report: ItemReport, *, key: str, kind: str,
          channel: str, message: Callable[[], blocks.Message]) -> None:
    outcome = deliver(ctx, sender, event_id=item.event_id, key=key, kind=kind, channel=channel, message=message)
    if outcome == SENT:
        report.sent.append(key)
    elif outcome in (FAILED, BUSY):  # busy: another worker's send is in flight; check again later
        report.failed.append(key)
    else:
        report.skipped.append(key)
    touch(ctx, item.key)


def _load_event(ctx: AppContext, event_id: int) -> Event:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
    assert event is not None
    return event


def _grid_url(ctx: AppContext) -> str:
    return ctx.settings.public_url.rstrip("/") + "/grid"


def _line(entry: GridEntry, notes_url: str = "") -> blocks.SessionLine:
    return blocks.SessionLine(title=entry.title, room=entry.room_name, start=entry.start, end=entry.end,
                              hosts=entry.hosts, notes_url=notes_url)


def _run_grid(ctx: AppContext, sender: Sender, item: Item, report: ItemReport) -> None:
    """At grid time, make sure the latest published version is in the announcement channel.

    Publishing (campbot.services.publishing) posts a new version at once under the keys
    grid:{event}:{N}:part{i}; using the same keys and builder here means a version already
    announced is not posted again, and a version published before grid time (or whose post
    failed) goes out now.
    """
    from campbot.slack.blocks.grid import grid_messages

    event = _load_event(ctx, item.event_id)
    grid = published_grid(ctx, item.event_id)
    if grid is None or not event.announce_channel:
        log.info("grid time for %s: %s", event.slug, "nothing published yet" if grid is None else "no announce channel")
        return
    number = grid.number or 0
    for i, (text, body) in enumerate(grid_messages(grid, changelog_hint=number > 1), 1):
        _send(ctx, sender, item, report, key=f"grid:{item.event_id}:{number}:part{i}", kind="grid",
              channel=event.announce_channel, message=partial(blocks.Message, text, body))


def _run_voting(ctx: AppContext, sender: Sender, item: Item, report: ItemReport) -> None:
    event = _load_event(ctx, item.event_id)
    channel = event.pitches_channel or event.announce_channel
    now = ctx.now()
    if not voting_is_open(event, now) or event.voting_closes_at is None or not channel:
        log.info("voting nudge for %s skipped: voting is not open (or no channel)", event.slug)
        return
    minutes = max(1, round((event.voting_closes_at - now).total_seconds() / 60))
    closes = event.voting_closes_at
    _send(ctx, sender, item, report, key=f"voting-closing:{item.event_id}:{item.ref}", kind="voting", channel=channel,
          message=lambda: blocks.voting_closing_post(event_name=event.name, closes_at=closes,
                                                     timezone=event.timezone, minutes_left=minutes))


def _run_voting_window(ctx: AppContext, sender: Sender, item: Item, report: ItemReport) -> None:
    """The event file's window opened or closed voting by itself: say so in the pitches channel
    and redraw every card (the button comes or goes, the note says when voting opens or that it
    closed). An organiser's `/camp voting open|close` since then wins: nothing is announced."""
    event = _load_event(ctx, item.event_id)
    opening = item.what == "voting-open"
    state = voting_state(event, ctx.now())
    if state.open != opening:
        log.info("voting %s for %s skipped: voting is %s now", item.what, event.slug, state.phase)
        return
    channel = event.pitches_channel or event.announce_channel
    if channel:
        name, tz, closes = event.name, event.timezone, event.voting_closes_at
        message = (partial(blocks.voting_opened_post, event_name=name, closes_at=closes, timezone=tz,
                           quota=event.vote_quota) if opening
                   else partial(blocks.voting_ended_post, event_name=name, closed_at=closes or ctx.now(), timezone=tz))
        _send(ctx, sender, item, report, key=f"{item.what}:{item.event_id}:{item.ref}", kind=item.what,
              channel=channel, message=message)
    from campbot.slack.listeners.cards import refresh_event_cards  # the one card update path, shared with votes

    refresh_event_cards(ctx, sender.client, item.event_id)


@dataclass
class _Recipient:
    user: str
    hosting: list[GridEntry] = field(default_factory=list)
    attending: list[GridEntry] = field(default_factory=list)


def reminder_recipients(ctx: AppContext, grid: ResolvedGrid, slot_key: str) -> dict[str, _Recipient]:
    """Who gets a DM before `slot_key`: hosts of sessions starting then (always: it is their
    session), and voters of those sessions who have reminders switched on. Nobody else."""
    starting = [e for e in grid.entries if e.slot_keys[0] == slot_key]
    by_pitch = {e.pitch_id: e for e in starting}
    people: dict[str, _Recipient] = {}
    for entry in starting:
        for user in entry.host_user_ids:
            people.setdefault(user, _Recipient(user)).hosting.append(entry)
    if by_pitch:
        with session_scope(ctx.engine) as db:
            rows = db.exec(
                select(Vote.pitch_id, Person.slack_user_id)
                .join(Person, col(Person.id) == Vote.person_id)
                .where(col(Vote.pitch_id).in_(list(by_pitch)), Vote.event_id == grid.event_id,
                       col(Person.slack_user_id).is_not(None), col(Person.reminders_enabled).is_(True))
                .order_by(col(Vote.pitch_id))
            ).all()
        for pitch_id, voter in rows:
            assert voter is not None
            recipient = people.setdefault(voter, _Recipient(voter))
            entry = by_pitch[pitch_id]
            if entry not in recipient.hosting:
                recipient.attending.append(entry)
    return people


def _run_remind(ctx: AppContext, sender: Sender, item: Item, report: ItemReport) -> None:
    event = _load_event(ctx, item.event_id)
    grid = published_grid(ctx, item.event_id)
    slot = next((s for s in grid.slots if s.key == item.ref), None) if grid else None
    if grid is None or slot is None:
        log.info("reminder for %s %s: nothing published for that slot", event.slug, item.ref)
        return
    starting = [e for e in grid.entries if e.slot_keys[0] == slot.key]
    if not starting:
        log.info("reminder for %s %s: no session starts then in version %s", event.slug, slot.key, grid.number)
        return
    tz, name, start = event.timezone, event.name, slot.start
    if not event.announce_channel:
        log.info("no announcement channel for %s: no 'Up next' post, DMs only", event.slug)
    else:
        _send(ctx, sender, item, report, key=f"up-next:{item.event_id}:{slot.key}", kind="up-next",
              channel=event.announce_channel,
              message=lambda: blocks.up_next_post(event_name=name, slot_start=start, timezone=tz,
                                                  sessions=[_line(e) for e in starting], grid_url=_grid_url(ctx)))
    recipients = reminder_recipients(ctx, grid, slot.key)
    for user in sorted(recipients):
        if ctx.now() >= start:  # a slow (rate-limited) run must not remind people of a started slot
            left = len(recipients) - sum(1 for k in report.sent + report.skipped if k.startswith("remind-dm:"))
            log.warning("slot %s of %s began; %d reminder DMs not sent any more", slot.key, event.slug, left)
            return
        r = recipients[user]
        _send(ctx, sender, item, report, key=f"remind-dm:{item.event_id}:{slot.key}:{user}", kind="remind-dm",
              channel=user,
              message=partial(blocks.reminder_dm, event_name=name, slot_start=start, timezone=tz,
                              hosting=[_line(e) for e in r.hosting], attending=[_line(e) for e in r.attending]))


def notes_url(pattern: str, entry: GridEntry) -> str:
    """The notes link from the event's pattern; the placeholders are the exports' own
    ({session} = "p<pitch id>", {slug}, {slot}, {room}), so every link to a session agrees."""
    if not pattern:
        return ""
    from campbot.web.exports.grid_view import slugify

    values = {"session": f"p{entry.pitch_id}", "slug": slugify(entry.title) or f"p{entry.pitch_id}",
              "slot": entry.slot_keys[0], "room": entry.room_key}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), pattern)


def _run_closing(ctx: AppContext, sender: Sender, item: Item, report: ItemReport) -> None:
    event = _load_event(ctx, item.event_id)
    grid = published_grid(ctx, item.event_id)
    if grid is None or not event.announce_channel:
        return
    lines = [_line(e, notes_url(event.notes_url_pattern, e)) for e in grid.entries]
    _send(ctx, sender, item, report, key=f"closing:{item.event_id}", kind="closing", channel=event.announce_channel,
          message=lambda: blocks.closing_post(event_name=event.name, timezone=event.timezone, sessions=lines,
                                              hashtag=event.hashtag))


_RUNNERS: dict[str, Callable[[AppContext, Sender, Item, ItemReport], None]] = {
    "grid": _run_grid, "voting": _run_voting, "voting-open": _run_voting_window, "voting-end": _run_voting_window,
    "remind": _run_remind, "closing": _run_closing,
}
ITEM_KINDS = tuple(_RUNNERS)  # the first word of every job id (campbot.jobs.scheduling, campbot.slack.installations)


def find_item(ctx: AppContext, event_id: int, what: str, ref: str | None = None) -> Item | None:
    """The current item for a job (jobs carry ids only; the times come from the database now)."""
    for item in plan_items(ctx, event_id):
        if item.what == what and (ref is None or item.ref == ref):
            return item
    return None


def event_ids(ctx: AppContext) -> list[int]:
    with session_scope(ctx.engine) as db:
        return [i for i in db.exec(select(Event.id)).all() if i is not None]


def run_due(ctx: AppContext, now: datetime | None = None, *, sender: Sender | None = None) -> list[ItemReport]:
    """Run every item that is due and still useful, for every event; safe to call any time.

    Items already done are skipped by their keys, so this both catches up after downtime and
    retries failed sends. `now` pins the clock (tests); by default it is `ctx.now()`.
    """
    if now is not None:
        fixed = now
        ctx = replace(ctx, clock=lambda: fixed)
    current = ctx.now()
    reports = []
    for event_id in event_ids(ctx):
        for item in plan_items(ctx, event_id):
            if item.due <= current < item.until:
                reports.append(run_item(ctx, item, sender))
    return reports


def sent_counts(ctx: AppContext, event_id: int) -> dict[str, int]:
    """How many sends of each status an event has (for the organisers' status view and tests)."""
    counts: dict[str, int] = defaultdict(int)
    with session_scope(ctx.engine) as db:
        for status in db.exec(select(SentNotification.status).where(SentNotification.event_id == event_id)):
            counts[status] += 1
    return dict(counts)


def iter_items(ctx: AppContext) -> Iterator[Item]:
    for event_id in event_ids(ctx):
        yield from plan_items(ctx, event_id)


STALE_CLAIM = timedelta(minutes=3)  # longer than any lease (CLAIM_TIMEOUT, ITEM_CLAIM_TIMEOUT, publishing's)


def expire_claims(ctx: AppContext) -> list[str]:
    """Claims older than every lease belong to a process that died (a kill -9 mid-send): mark them
    "failed" (retried by the sweep while still useful, like any failed send) so that no row stays
    "claimed" for ever. Returns their keys."""
    table = SentNotification.__table__  # type: ignore[attr-defined]
    cutoff = ctx.now() - STALE_CLAIM
    with session_scope(ctx.engine) as db:
        keys = [str(k) for k in db.exec(select(SentNotification.key).where(
            SentNotification.status == "claimed", col(SentNotification.sent_at) < cutoff))]
        if keys:
            db.exec(update(table).where(table.c.key.in_(keys), table.c.status == "claimed")
                    .values(status="failed", detail="claim expired: the process sending it stopped"))
    for key in keys:
        log.warning("claim on %s expired (its process stopped mid-send); it will be retried if still useful", key)
    return keys


def stuck_claims(ctx: AppContext) -> list[str]:
    """Keys still "claimed" long after every lease ran out (the sweep reports these; none expected)."""
    cutoff = ctx.now() - STALE_CLAIM
    with session_scope(ctx.engine) as db:
        return [str(k) for k in db.exec(select(SentNotification.key).where(
            SentNotification.status == "claimed", col(SentNotification.sent_at) < cutoff))]

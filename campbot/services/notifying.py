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
* **Said through a notifier.** The items decide what to say (campbot.services.notices) and to
  whom; the notifier of the event's workspace (campbot.services.notifier; the Slack one paces
  every send under Slack's limits) says it. A message that still fails is marked failed in the
  ledger (campbot.services.ledger) and retried by the next sweep, never dropped. An event whose
  people cannot be reached now (its Slack installation revoked) has nothing due.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services import notices
from campbot.services.grid_queries import GridEntry, ResolvedGrid, published_grid
from campbot.services.ledger import BUSY, CLAIMED, FAILED, SENT, claim_attempt, deliver, finish, touch
from campbot.services.notifier import Notifier, NotifierFactory
from campbot.services.slugs import slugify
from campbot.services.voting import CLOSED, voting_is_open, voting_state
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, SentNotification, Vote

log = logging.getLogger(__name__)

ITEM_CLAIM_TIMEOUT = timedelta(seconds=90)  # an item's claim is refreshed after every send
VOTING_NUDGE_MINUTES = 10
CLOSING_WINDOW = timedelta(hours=12)
VOTING_END_WINDOW = timedelta(hours=2)  # "voting has closed" is news for a while, then the grid is
VOTING_OPEN_WINDOW = timedelta(hours=12)  # an opening with no closing time: worth announcing this long
EARLY_TOLERANCE = timedelta(seconds=5)  # a job may fire a moment early on a skewed clock

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


def plan_items(ctx: AppContext, event_id: int, notifiers: NotifierFactory | None = None) -> list[Item]:
    """Every timed item of an event as things stand in the database now; none while nobody can
    be reached (`notifiers` says so: a revoked Slack installation), so nothing is scheduled only
    to fail and be retried until the workspace installs campbot again."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
    if event is None or (notifiers is not None and notifiers(event_id) is None):
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


def run_item(ctx: AppContext, item: Item, notifiers: NotifierFactory) -> ItemReport:
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
    notifier = notifiers(item.event_id)
    if notifier is None:  # nobody can be reached now (a revoked installation): not claimed, nothing lost
        report.status = "unreachable"
        return report
    outcome, attempt = claim_attempt(ctx, event_id=item.event_id, key=item.key, kind="job", target=item.what,
                                     timeout=ITEM_CLAIM_TIMEOUT, max_attempts=None)
    if outcome != CLAIMED:
        report.status = outcome
        return report
    try:
        _RUNNERS[item.what](ctx, notifier, item, report)
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


def _send(ctx: AppContext, item: Item, report: ItemReport, *, key: str, kind: str, target: str,
          send: Callable[[], str]) -> None:
    outcome = deliver(ctx, event_id=item.event_id, key=key, kind=kind, target=target, send=send)
    if outcome == SENT:
        report.sent.append(key)
    elif outcome in (FAILED, BUSY):  # busy: another worker's send is in flight; check again later
        report.failed.append(key)
    else:
        report.skipped.append(key)
    touch(ctx, item.key)


def _post(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport, *, key: str, kind: str,
          channel: str, notice: notices.Notice, piece: int = 1) -> None:
    _send(ctx, item, report, key=key, kind=kind, target=channel,
          send=lambda: notifier.post(channel, notice, piece))


def _load_event(ctx: AppContext, event_id: int) -> Event:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
    assert event is not None
    return event


def _grid_url(ctx: AppContext) -> str:
    return ctx.settings.public_url.rstrip("/") + "/grid"


def _line(entry: GridEntry, notes_url: str = "") -> notices.SessionLine:
    return notices.SessionLine(title=entry.title, room=entry.room_name, start=entry.start, end=entry.end,
                               hosts=entry.hosts, notes_url=notes_url)


def _run_grid(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport) -> None:
    """At grid time, make sure the latest published version is in the announcement channel.

    Publishing (campbot.services.publishing) posts a new version at once under the keys
    grid:{event}:{N}:part{i}; using the same keys and notice here means a version already
    announced is not posted again, and a version published before grid time (or whose post
    failed) goes out now.
    """
    event = _load_event(ctx, item.event_id)
    grid = published_grid(ctx, item.event_id)
    if grid is None or not event.announce_channel:
        log.info("grid time for %s: %s", event.slug, "nothing published yet" if grid is None else "no announce channel")
        return
    number = grid.number or 0
    notice = notices.GridPost(grid, changelog_hint=number > 1)
    for piece in range(1, notifier.pieces(notice) + 1):
        _post(ctx, notifier, item, report, key=f"grid:{item.event_id}:{number}:part{piece}", kind="grid",
              channel=event.announce_channel, notice=notice, piece=piece)


def _run_voting(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport) -> None:
    event = _load_event(ctx, item.event_id)
    channel = event.pitches_channel or event.announce_channel
    now = ctx.now()
    if not voting_is_open(event, now) or event.voting_closes_at is None or not channel:
        log.info("voting nudge for %s skipped: voting is not open (or no channel)", event.slug)
        return
    minutes = max(1, round((event.voting_closes_at - now).total_seconds() / 60))
    notice = notices.VotingClosingPost(event.name, event.voting_closes_at, event.timezone, minutes)
    _post(ctx, notifier, item, report, key=f"voting-closing:{item.event_id}:{item.ref}", kind="voting",
          channel=channel, notice=notice)


def _run_voting_window(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport) -> None:
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
        closes = event.voting_closes_at
        notice: notices.Notice = (
            notices.VotingOpenedPost(event.name, closes, event.timezone, event.vote_quota) if opening
            else notices.VotingEndedPost(event.name, closes or ctx.now(), event.timezone))
        _post(ctx, notifier, item, report, key=f"{item.what}:{item.event_id}:{item.ref}", kind=item.what,
              channel=channel, notice=notice)
    notifier.refresh_cards(item.event_id)


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


def _run_remind(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport) -> None:
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
    if not event.announce_channel:
        log.info("no announcement channel for %s: no 'Up next' post, DMs only", event.slug)
    else:
        up_next = notices.UpNextPost(event.name, slot.start, event.timezone, tuple(_line(e) for e in starting),
                                     _grid_url(ctx))
        _post(ctx, notifier, item, report, key=f"up-next:{item.event_id}:{slot.key}", kind="up-next",
              channel=event.announce_channel, notice=up_next)
    recipients = reminder_recipients(ctx, grid, slot.key)
    for user in sorted(recipients):
        if ctx.now() >= slot.start:  # a slow (rate-limited) run must not remind people of a started slot
            left = len(recipients) - sum(1 for k in report.sent + report.skipped if k.startswith("remind-dm:"))
            log.warning("slot %s of %s began; %d reminder DMs not sent any more", slot.key, event.slug, left)
            return
        r = recipients[user]
        dm = notices.ReminderDM(event.name, slot.start, event.timezone, tuple(_line(e) for e in r.hosting),
                                tuple(_line(e) for e in r.attending))
        _send(ctx, item, report, key=f"remind-dm:{item.event_id}:{slot.key}:{user}", kind="remind-dm", target=user,
              send=lambda user=user, dm=dm: notifier.direct(user, dm))  # type: ignore[misc]


def notes_url(pattern: str, entry: GridEntry) -> str:
    """The notes link from the event's pattern; the placeholders are the exports' own
    ({session} = "p<pitch id>", {slug}, {slot}, {room}), so every link to a session agrees."""
    if not pattern:
        return ""
    values = {"session": f"p{entry.pitch_id}", "slug": slugify(entry.title) or f"p{entry.pitch_id}",
              "slot": entry.slot_keys[0], "room": entry.room_key}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), pattern)


def _run_closing(ctx: AppContext, notifier: Notifier, item: Item, report: ItemReport) -> None:
    event = _load_event(ctx, item.event_id)
    grid = published_grid(ctx, item.event_id)
    if grid is None or not event.announce_channel:
        return
    lines = tuple(_line(e, notes_url(event.notes_url_pattern, e)) for e in grid.entries)
    _post(ctx, notifier, item, report, key=f"closing:{item.event_id}", kind="closing",
          channel=event.announce_channel, notice=notices.ClosingPost(event.name, event.timezone, lines, event.hashtag))


_RUNNERS: dict[str, Callable[[AppContext, Notifier, Item, ItemReport], None]] = {
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


def run_due(ctx: AppContext, now: datetime | None = None, *, notifiers: NotifierFactory) -> list[ItemReport]:
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
        for item in plan_items(ctx, event_id, notifiers):
            if item.due <= current < item.until:
                reports.append(run_item(ctx, item, notifiers))
    return reports


def iter_items(ctx: AppContext) -> Iterator[Item]:
    for event_id in event_ids(ctx):
        yield from plan_items(ctx, event_id)



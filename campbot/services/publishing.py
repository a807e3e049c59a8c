"""Publishing a draft grid: version N, the announcement, the cards, the changelog, targeted DMs.

Two phases, so that a crash or a Slack outage in the middle never leaves a half-published grid
nor sends anything twice:

1. one transaction gives the draft its number (N = highest published + 1), marks it published
   and stores the changelog against version N-1 (and the structured changes the DMs need);
2. every send is then keyed in SentNotification and done once: claim the key (insert a
   "claimed" row, or take over a failed or long-abandoned claim with one conditional UPDATE),
   call Slack, mark it "sent" (or "failed"). Publishing the same version again (the Publish
   button pressed twice, a retry after a failure, a restart) resumes: what was sent is skipped,
   what failed is retried. Only a crash in the instant between Slack's answer and the "sent"
   mark can repeat that one message, after the claim lease (CLAIM_LEASE) has run out.

Keys: grid:{event}:{N}:part{i}, pin:{event}:{N}, unpin:{event}:{N}, changelog:{event}:{N},
card:{pitch}:{N}, replan-dm:{event}:{N}:{person}. While a row is "claimed", its sent_at holds the
moment of the claim.

Version 1 updates every active pitch card (placed: room and time; left out: "not in the
grid"); later versions update only the cards whose session moved, was added or was dropped, and
DM only the hosts and voters of those sessions.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound, ServiceError
from campbot.services.grid_queries import ResolvedGrid, resolve_grid
from campbot.services.problem_builder import latest_published
from campbot.slack.blocks import grid as grid_blocks
from campbot.slack.outbound.budget import BULK, CARDS
from campbot.slack.outbound.client import paced, pacing_for, sending_as
from campbot.slack.outbound.limits import Limit
from campbot.slack.slack_client import client_for_event
from campbot.slack.token_state import token_problem
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Person, Pitch, PitchHost, SentNotification, Vote

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=2)
TELL_PLAN_FROM = 10.0  # seconds: a publish that takes longer tells the organiser first what goes and how long


@dataclass(frozen=True)
class Change:
    pitch_id: int
    kind: str  # moved | added | dropped
    line: str  # "moved: Title, Main hall 11:00 -> Library 14:00"


@dataclass
class PublishReport:
    """What one publish call did; `failed` lists sends to retry (publish again)."""

    version_id: int
    number: int
    changelog: list[str]
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    dm_users: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plan: str = ""  # "sending 60 card update(s) and 48 DM(s), about 1 minute"


# --------------------------------------------------------------------------- the changelog


def diff_grids(previous: ResolvedGrid | None, current: ResolvedGrid) -> list[Change]:
    """What moved, was added or was dropped between two grids, in time order."""
    tz = current.tz
    before = previous.by_pitch() if previous is not None else {}
    after = current.by_pitch()
    changes: list[tuple[Any, Change]] = []
    for pid, now in after.items():
        was = before.get(pid)
        if was is None:
            if previous is not None:
                changes.append((now.start, Change(pid, "added", f"added: {now.title}, {now.where_when(tz)}")))
        elif (was.room_key, was.slot_keys) != (now.room_key, now.slot_keys):
            changes.append((now.start, Change(
                pid, "moved", f"moved: {now.title}, {was.where_when(tz)} -> {now.where_when(tz)}")))
    for pid, was in before.items():
        if pid not in after:
            changes.append((was.start, Change(pid, "dropped", f"dropped: {was.title}, was {was.where_when(tz)}")))
    changes.sort(key=lambda c: (c[0], c[1].kind, c[1].pitch_id))
    return [c for _, c in changes]


# --------------------------------------------------------------------------- phase 1


def _number_it(ctx: AppContext, event_id: int, grid_version_id: int, actor: str) -> tuple[GridVersion, bool]:
    """Give the draft its number in one transaction; (version, newly_published)."""
    with session_scope(ctx.engine) as db:
        if db.get_bind().dialect.name == "postgresql":
            db.exec(select(Event).where(Event.id == event_id).with_for_update()).one()
        version = db.get(GridVersion, grid_version_id)
        if version is None or version.event_id != event_id:
            raise NotFound("That grid no longer exists; run /camp solve again.")
        if version.status == "published":
            return version, False
        previous = latest_published(db, event_id)
        based_on = (version.figures or {}).get("based_on")
        if previous is not None and based_on != previous.number:
            raise ServiceError(f"Version {previous.number} was published after this preview was made, so it is "
                               "out of date. Run /camp replan (or /camp solve) for a fresh one.")
        current = resolve_grid(db, grid_version_id)
        before = resolve_grid(db, previous.id) if previous is not None and previous.id is not None else None
        changes = diff_grids(before, current)
        version.number = (previous.number or 0) + 1 if previous is not None else 1
        version.status = "published"
        version.published_at = ctx.now()
        version.changelog = [c.line for c in changes]
        version.figures = {**(version.figures or {}), "changes": [c.__dict__ for c in changes],
                           "previous_id": previous.id if previous is not None else None}
        db.add(version)
        db.add(AuditLog(event_id=event_id, actor=actor, action="grid.publish",
                        detail={"grid_version": grid_version_id, "number": version.number,
                                "changes": len(changes)}))
        db.flush()
        return version, True


# --------------------------------------------------------------------------- sending once


def send_once(ctx: AppContext, event_id: int, key: str, kind: str, target: str,
              send: Callable[[], str]) -> tuple[str, str]:
    """Do `send` unless `key` was already sent (or is being sent right now by someone else).

    Returns (outcome, detail): outcome "sent" (now), "done" (earlier; detail is what send
    returned then), "busy" (another worker holds a fresh claim) or "failed" (detail: the error).
    """
    claimed = _claim(ctx, event_id, key, kind, target)
    if claimed[0] != "claimed":
        return claimed
    try:
        detail = send()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc)
        _finish(ctx, key, "failed", error)
        log.warning("send %s failed: %s", key, error)
        return "failed", error
    except Exception as exc:  # noqa: BLE001 - recorded; the next publish retries it
        _finish(ctx, key, "failed", type(exc).__name__)
        log.exception("send %s failed", key)
        return "failed", type(exc).__name__
    _finish(ctx, key, "sent", detail)
    return "sent", detail


def _claim(ctx: AppContext, event_id: int, key: str, kind: str, target: str) -> tuple[str, str]:
    now = ctx.now()  # the same clock the reminders' sends use, so claims compare across both
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        if row is None:
            try:
                with db.begin_nested():
                    db.add(SentNotification(event_id=event_id, key=key, kind=kind, target=target[:64],
                                            status="claimed", attempts=1, sent_at=now))
                    db.flush()
                return "claimed", ""
            except IntegrityError:
                return "busy", ""
        if row.status == "sent":
            return "done", row.detail
        stale = now - CLAIM_LEASE
        taken = db.execute(
            update(SentNotification)
            .where(col(SentNotification.key) == key)
            .where(or_(col(SentNotification.status) == "failed",
                       (col(SentNotification.status) == "claimed") & (col(SentNotification.sent_at) < stale)))
            .values(status="claimed", attempts=SentNotification.attempts + 1, sent_at=now)
        )
        return ("claimed", "") if taken.rowcount == 1 else ("busy", "")  # type: ignore[attr-defined]


def _finish(ctx: AppContext, key: str, status: str, detail: str) -> None:
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).one()
        row.status, row.detail, row.sent_at = status, detail[:500], ctx.now()
        db.add(row)


# --------------------------------------------------------------------------- phase 2


def publish(ctx: AppContext, event_id: int, grid_version_id: int, *, actor: str,
            client: WebClient | None = None) -> GridVersion:
    """Publish a draft as the next version and tell everyone (see the module docstring).

    Safe to call again for the same version: it resumes the sends. Raises ServiceError for a
    stale or missing draft; send failures are recorded and retried on the next call.
    """
    return publish_with_report(ctx, event_id, grid_version_id, actor=actor, client=client)[0]


def publish_with_report(ctx: AppContext, event_id: int, grid_version_id: int, *, actor: str,
                        client: WebClient | None = None, send: bool = True,
                        on_plan: Callable[[str], None] | None = None) -> tuple[GridVersion, PublishReport]:
    """publish(), and what was sent. With send=False (no Slack configured) only the numbering
    happens; publishing the same version later with send=True does the sends.

    Every send is paced under Slack's limits (campbot.slack.outbound): the announcement and the card
    updates at the cards' priority, the DMs as bulk, the cards and the DMs side by side (they
    spend different budgets). `on_plan` is told first what will go and about how long it takes
    ("sending 60 card updates and 48 DMs, about 1 minute"), so the organiser knows what to expect."""
    version, _new = _number_it(ctx, event_id, grid_version_id, actor)
    assert version.number is not None and version.id is not None
    if not send:
        return version, PublishReport(version.id, version.number, list(version.changelog),
                                      notes=["nothing was sent to Slack"])
    client = paced(client or client_for_event(ctx, event_id), ctx)
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        assert event is not None
        grid = resolve_grid(db, version.id)
        changes = [Change(**c) for c in (version.figures or {}).get("changes") or []]
        cards = _cards_to_update(db, event_id, grid, changes)
        dms = _dm_targets(db, changes) if version.number > 1 else {}
    hosts = _host_sessions(grid, event.notes_url_pattern) if version.number == 1 else {}
    report = PublishReport(version.id, version.number, list(version.changelog))
    posts = len(grid_blocks.grid_messages(grid, changelog_hint=version.number > 1)) if event.announce_channel else 0
    report.plan, seconds = send_plan(ctx, posts + (1 if version.number > 1 else 0), len(cards), len(dms) + len(hosts))
    if on_plan is not None and seconds >= TELL_PLAN_FROM:
        on_plan(report.plan)
    with sending_as(CARDS):
        _post_grid(ctx, client, event, grid, report, has_changelog=version.number > 1)
        if version.number > 1 and event.announce_channel:
            text, blocks = grid_blocks.changelog_message(event.name, version.number, list(version.changelog))
            _tally(report, f"changelog:{event_id}:{version.number}", send_once(
                ctx, event_id, f"changelog:{event_id}:{version.number}", "changelog", event.announce_channel,
                lambda: _post(client, event.announce_channel or "", text, blocks)))

    def send_cards() -> None:
        with sending_as(CARDS):
            for pitch_id, channel, ts, words in cards:
                key = f"card:{pitch_id}:{version.number}"
                _tally(report, key, send_once(ctx, event_id, key, "card", f"{channel}:{ts}",
                                              _card_sender(ctx, client, event_id, pitch_id, channel, ts, words)))

    def send_dms() -> None:
        with sending_as(BULK):
            for person_id, (user, items) in sorted(dms.items()):
                text, blocks = grid_blocks.replan_dm(event.name, version.number or 0, items)
                _send_dm(ctx, client, report, event_id, f"replan-dm:{event_id}:{version.number}:{person_id}",
                         "replan-dm", user, text, blocks)
            for user, sessions in sorted(hosts.items()):
                text, blocks = grid_blocks.host_dm(event.name, sessions)
                _send_dm(ctx, client, report, event_id, f"host-dm:{event_id}:{version.number}:{user}", "host-dm",
                         user, text, blocks)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="campbot-publish") as pool:
        for done in [pool.submit(send_cards), pool.submit(send_dms)]:
            done.result()
    _reschedule_reminders(ctx, event_id, report)
    if report.failed or report.busy:
        log.warning("publish of %s v%s: %d sends failed, %d still claimed elsewhere; the sweep finishes them",
                    event.slug, version.number, len(report.failed), len(report.busy))
    else:
        _mark_complete(ctx, version.id)
    return version, report


def _send_dm(ctx: AppContext, client: WebClient, report: PublishReport, event_id: int, key: str, kind: str,
             user: str, text: str, blocks: list[dict[str, Any]]) -> None:
    outcome = send_once(ctx, event_id, key, kind, user, _bind(_dm, client, user, text, blocks))
    _tally(report, key, outcome)
    if outcome[0] in ("sent", "done"):
        report.dm_users.append(user)


def _host_sessions(grid: ResolvedGrid, notes_pattern: str) -> dict[str, list[tuple[str, str, str]]]:
    """Slack user id -> [(title, "Library, 11:00–11:45", notes link)] for every host in the grid."""
    from campbot.services.notifying import notes_url

    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for entry in sorted(grid.entries, key=lambda e: (e.start, e.room_position)):
        where = f"{entry.room_name}, {entry.start.astimezone(grid.tz):%H:%M}–{entry.end.astimezone(grid.tz):%H:%M}"
        for user in entry.host_user_ids:
            out[user].append((entry.title, where, notes_url(notes_pattern, entry)))
    return dict(out)


def send_plan(ctx: AppContext, posts: int, cards: int, dms: int) -> tuple[str, float]:
    """What a publish will send and about how long it takes within Slack's limits (the paced rates
    of campbot.slack.outbound.limits: posts to one channel, chat.update, and conversations.open per DM)."""
    limits = pacing_for(ctx).limits
    seconds = max(_paced_seconds(posts, limits.per_channel), _paced_seconds(cards, limits.for_method("chat.update")),
                  _paced_seconds(dms, limits.for_method("conversations.open")))
    parts = [f"{posts} announcement message(s)"] if posts else []
    parts += [f"{cards} card update(s)"] if cards else []
    parts += [f"{dms} DM(s)"] if dms else []
    what = ", ".join(parts) or "nothing"
    return f"sending {what}, {_about(seconds)}", seconds


def _paced_seconds(count: int, limit: Limit | None) -> float:
    if limit is None or count <= 0 or limit.is_unlimited():
        return 0.0
    interval, burst = limit.pace()
    return max(0, count - burst) * interval


def _about(seconds: float) -> str:
    if seconds < 10:
        return "a few seconds"
    if seconds < 90:
        return f"about {int(round(seconds / 10.0)) * 10} seconds" if seconds < 55 else "about 1 minute"
    return f"about {int(round(seconds / 60.0))} minutes"


def _mark_complete(ctx: AppContext, version_id: int) -> None:
    with session_scope(ctx.engine) as db:
        row = db.get(GridVersion, version_id)
        if row is not None and not (row.figures or {}).get("sends_complete"):
            row.figures = {**(row.figures or {}), "sends_complete": True}
            db.add(row)


def resume_publications(ctx: AppContext, *, client: WebClient | None = None) -> list[PublishReport]:
    """Finish the sends of every event's current version that a crash, a restart or a Slack
    outage left unfinished (call at start-up or from a periodic sweep). Idempotent."""
    reports = []
    with session_scope(ctx.engine) as db:
        camps = list(db.exec(select(Event)))
    # a camp whose Slack token was revoked waits for its re-install (campbot.slack.token_state)
    events = [e.id for e in camps if e.id is not None and not token_problem(ctx, e)]
    with session_scope(ctx.engine) as db:
        todo = []
        for event_id in events:
            version = latest_published(db, event_id)
            if version is not None and version.id is not None and not (version.figures or {}).get("sends_complete"):
                todo.append((event_id, version.id))
    for event_id, version_id in todo:
        reports.append(publish_with_report(ctx, event_id, version_id, actor="resume", client=client)[1])
    return reports


def _bind(fn: Callable[[WebClient, str, str, list[dict[str, Any]]], str], client: WebClient, where: str,
          text: str, blocks: list[dict[str, Any]]) -> Callable[[], str]:
    return lambda: fn(client, where, text, blocks)


def _tally(report: PublishReport, key: str, outcome: tuple[str, str]) -> None:
    """File a send under sent / skipped (done earlier) / busy (claimed by someone else, not yet
    known to be sent: the publish stays unfinished so the sweep comes back) / failed."""
    {"sent": report.sent, "done": report.skipped, "busy": report.busy}.get(outcome[0], report.failed).append(key)


def _post(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
    resp = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                   unfurl_media=False)
    return f"{resp['channel']} {resp['ts']}"


def _dm(client: WebClient, user: str, text: str, blocks: list[dict[str, Any]]) -> str:
    opened = client.conversations_open(users=user)
    channel = opened["channel"]["id"]
    return _post(client, channel, text, blocks)


def _post_grid(ctx: AppContext, client: WebClient, event: Event, grid: ResolvedGrid, report: PublishReport,
               *, has_changelog: bool) -> None:
    assert event.id is not None
    number = grid.number or 0
    if not event.announce_channel:
        report.notes.append("no announcement channel is set, so the grid was not posted; "
                            "add channels.announce to the event file")
        return
    first: str = ""
    for i, (text, blocks) in enumerate(grid_blocks.grid_messages(grid, changelog_hint=has_changelog), 1):
        key = f"grid:{event.id}:{number}:part{i}"
        outcome = send_once(ctx, event.id, key, "grid", event.announce_channel,
                            _bind(_post, client, event.announce_channel, text, blocks))
        _tally(report, key, outcome)
        if i == 1 and outcome[0] in ("sent", "done"):
            first = outcome[1]
    if not first:
        return
    channel, ts = first.split(" ", 1)
    key = f"pin:{event.id}:{number}"
    _tally(report, key, send_once(ctx, event.id, key, "pin", channel, lambda: _pin(client, channel, ts)))
    previous = _sent_detail(ctx, f"grid:{event.id}:{number - 1}:part1") if number > 1 else ""
    if previous:
        old_channel, old_ts = previous.split(" ", 1)
        key = f"unpin:{event.id}:{number - 1}"
        outcome = send_once(ctx, event.id, key, "unpin", old_channel, lambda: _unpin(client, old_channel, old_ts))
        if outcome[0] == "failed":  # an old pin left in place is untidy, not wrong: no retry needed
            report.notes.append("the previous grid could not be unpinned")
        else:
            _tally(report, key, outcome)


def _pin(client: WebClient, channel: str, ts: str) -> str:
    try:
        client.pins_add(channel=channel, timestamp=ts)
    except SlackApiError as exc:
        if exc.response.get("error") != "already_pinned":
            raise
    return f"{channel} {ts}"


def _unpin(client: WebClient, channel: str, ts: str) -> str:
    try:
        client.pins_remove(channel=channel, timestamp=ts)
    except SlackApiError as exc:
        if exc.response.get("error") not in ("no_pin", "message_not_found"):
            raise
    return f"{channel} {ts}"


def _sent_detail(ctx: AppContext, key: str) -> str:
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        return row.detail if row is not None and row.status == "sent" else ""


def _cards_to_update(db: Session, event_id: int, grid: ResolvedGrid,
                     changes: list[Change]) -> list[tuple[int, str, str, str]]:
    """(pitch id, channel, ts, placement words) for each card to update."""
    placed = grid.by_pitch()
    number = grid.number or 0
    query = select(Pitch).where(Pitch.event_id == event_id, col(Pitch.message_ts).is_not(None),
                                col(Pitch.channel).is_not(None))
    if number > 1:
        ids = [c.pitch_id for c in changes]
        query = query.where(col(Pitch.id).in_(ids))
    else:
        query = query.where(or_(col(Pitch.status) == "active", col(Pitch.id).in_(list(placed))))
    out = []
    for p in db.exec(query.order_by(col(Pitch.id))):
        assert p.id is not None
        words = grid_blocks.placement_words(placed.get(p.id), grid.tz, number)
        out.append((p.id, p.channel or "", p.message_ts or "", words))
    return out


def _card_sender(ctx: AppContext, client: WebClient, event_id: int, pitch_id: int, channel: str, ts: str,
                 words: str) -> Callable[[], str]:
    """The pitch card as the pitching code draws it (vote button, live count), plus where and when."""
    from campbot.services.pitching import get_pitch_card
    from campbot.slack.blocks.pitch_card import pitch_card_blocks, pitch_card_text

    def send() -> str:
        card = get_pitch_card(ctx, event_id, pitch_id)
        client.chat_update(channel=channel, ts=ts, text=pitch_card_text(card),
                           blocks=pitch_card_blocks(card, placement=words))
        return f"{channel} {ts}"

    return send


def _dm_targets(db: Session, changes: list[Change]) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    """person id -> (Slack user id, [(role, line)]) for the hosts and voters of changed sessions."""
    lines = {c.pitch_id: c.line for c in changes}
    if not lines:
        return {}
    items: dict[int, list[tuple[str, str]]] = defaultdict(list)
    users: dict[int, str] = {}
    hosts = db.exec(select(PitchHost.pitch_id, Person).join(Person, col(Person.id) == PitchHost.person_id)
                    .where(col(PitchHost.pitch_id).in_(list(lines))))
    seen: set[tuple[int, int]] = set()
    for pid, person in hosts:
        if person.slack_user_id and person.id is not None:
            users[person.id] = person.slack_user_id
            items[person.id].append(("host", lines[pid]))
            seen.add((person.id, pid))
    voters = db.exec(select(Vote.pitch_id, Person).join(Person, col(Person.id) == Vote.person_id)
                     .where(col(Vote.pitch_id).in_(list(lines))).order_by(col(Vote.pitch_id)))
    for pid, person in voters:
        if person.slack_user_id and person.id is not None and (person.id, pid) not in seen:
            users[person.id] = person.slack_user_id
            items[person.id].append(("voter", lines[pid]))
    return {pid: (users[pid], items[pid]) for pid in items}


def _reschedule_reminders(ctx: AppContext, event_id: int, report: PublishReport) -> None:
    """Reminders follow the new version (campbot.jobs.scheduling, when the reminders code is installed)."""
    try:
        jobs = importlib.import_module("campbot.jobs.scheduling")
    except ModuleNotFoundError as exc:
        if exc.name != "campbot.jobs.scheduling":
            raise
        return
    fn = getattr(jobs, "reschedule_event_jobs", None)
    if callable(fn):
        try:
            fn(ctx, event_id)
        except Exception:  # noqa: BLE001 - the grid is out; reminders can be fixed by publishing again
            log.exception("rescheduling reminders failed")
            report.notes.append("reminders could not be rescheduled; publish again to retry")


def draft_changes(ctx: AppContext, grid_version_id: int) -> list[str]:
    """The changelog a draft would have if published now (empty when nothing is published)."""
    with session_scope(ctx.engine) as db:
        version = db.get(GridVersion, grid_version_id)
        if version is None:
            raise NotFound("That grid no longer exists; run /camp solve again.")
        previous = latest_published(db, version.event_id)
        if previous is None or previous.id is None or previous.id == grid_version_id:
            return []
        return [c.line for c in diff_grids(resolve_grid(db, previous.id), resolve_grid(db, grid_version_id))]

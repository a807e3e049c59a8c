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
replan-dm:{event}:{N}:{person}, host-dm:{event}:{N}:{user}. While a row is "claimed", its sent_at
holds the moment of the claim.

Everything is said through the notifier the caller hands in (campbot.services.notifier): the
Slack face's paces every send under Slack's limits. Cards are not sent here: version 1 marks
every active pitch's card out of date (placed: room and time; left out: "not in the grid"),
later versions only the cards whose session moved, was added or was dropped, and the face
redraws them on its one card path. Later versions DM only the hosts and voters of changed
sessions. Once a version is out, the callbacks in `ctx.schedule_changed` run (the scheduler puts
its "reschedule this event's reminders" there when it starts).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services import notices
from campbot.services.changelog import Change, diff_grids
from campbot.services.errors import NotFound, ServiceError
from campbot.services.grid_queries import ResolvedGrid, resolve_grid
from campbot.services.ledger import ALREADY, CLAIMED, FAILED, SENT, claim_attempt, finish
from campbot.services.notifier import Notifier, NotifierFactory, SendFailed
from campbot.services.notifying import notes_url
from campbot.services.problem_builder import latest_published
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Person, Pitch, PitchHost, SentNotification, Vote

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=2)
TELL_PLAN_FROM = 10.0  # seconds: a publish that takes longer tells the organiser first what goes and how long


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
    cards: int = 0  # pitch cards handed to the face to redraw (it sends them on its own, paced)


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
    """Do `send` unless `key` was already sent (or is being sent right now by someone else), on
    the send ledger (campbot.services.ledger) with publishing's rule: a failed send is retried by
    the next publish or sweep however often it failed, a claim is abandoned after CLAIM_LEASE.

    Returns (outcome, detail): outcome "sent" (now), "done" (earlier; detail is what send
    returned then), "busy" (another worker holds a fresh claim) or "failed" (detail: the error).
    """
    outcome, attempt = claim_attempt(ctx, event_id=event_id, key=key, kind=kind, target=target,
                                     timeout=CLAIM_LEASE, max_attempts=None)
    if outcome == ALREADY:
        return "done", _sent_detail(ctx, key)
    if outcome != CLAIMED:
        return "busy", ""
    try:
        detail = send()
    except SendFailed as exc:
        finish(ctx, key, FAILED, exc.reason, attempt=attempt)
        log.warning("send %s failed: %s", key, exc.reason)
        return "failed", exc.reason
    except Exception as exc:  # noqa: BLE001 - recorded; the next publish retries it
        finish(ctx, key, FAILED, type(exc).__name__, attempt=attempt)
        log.exception("send %s failed", key)
        return "failed", type(exc).__name__
    finish(ctx, key, SENT, detail, attempt=attempt)
    return "sent", detail


# --------------------------------------------------------------------------- phase 2


def publish(ctx: AppContext, event_id: int, grid_version_id: int, *, actor: str,
            notifier: Notifier | None) -> GridVersion:
    """Publish a draft as the next version and tell everyone (see the module docstring).

    Safe to call again for the same version: it resumes the sends. Raises ServiceError for a
    stale or missing draft; send failures are recorded and retried on the next call.
    """
    return publish_with_report(ctx, event_id, grid_version_id, actor=actor, notifier=notifier)[0]


def publish_with_report(ctx: AppContext, event_id: int, grid_version_id: int, *, actor: str,
                        notifier: Notifier | None, on_plan: Callable[[str], None] | None = None,
                        ) -> tuple[GridVersion, PublishReport]:
    """publish(), and what was sent. With no notifier (no Slack configured) only the numbering
    happens; publishing the same version later with a notifier does the sends.

    The announcement goes first, then the card marks and the DMs side by side (a face paces them
    on different budgets). `on_plan` is told first what will go and about how long it takes
    ("sending 60 card updates and 48 DMs, about 1 minute") when that is long enough to matter."""
    version, _new = _number_it(ctx, event_id, grid_version_id, actor)
    assert version.number is not None and version.id is not None
    if notifier is None:
        return version, PublishReport(version.id, version.number, list(version.changelog),
                                      notes=["nothing was sent to Slack"])
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        assert event is not None
        grid = resolve_grid(db, version.id)
        changes = [Change(**c) for c in (version.figures or {}).get("changes") or []]
        cards = _cards_to_update(db, event_id, grid, changes)
        dms = _dm_targets(db, changes) if version.number > 1 else {}
    hosts = _host_sessions(grid, event.notes_url_pattern) if version.number == 1 else {}
    report = PublishReport(version.id, version.number, list(version.changelog), cards=len(cards))
    grid_post = notices.GridPost(grid, changelog_hint=version.number > 1)
    posts = notifier.pieces(grid_post) if event.announce_channel else 0
    report.plan, seconds = send_plan(notifier, posts + (1 if version.number > 1 else 0), len(cards),
                                     len(dms) + len(hosts))
    if on_plan is not None and seconds >= TELL_PLAN_FROM:
        on_plan(report.plan)
    _post_grid(ctx, notifier, event, grid_post, report)
    if version.number > 1 and event.announce_channel:
        key = f"changelog:{event_id}:{version.number}"
        changelog = notices.ChangelogPost(event.name, version.number, tuple(version.changelog))
        channel = event.announce_channel
        _tally(report, key, send_once(ctx, event_id, key, "changelog", channel,
                                      lambda: notifier.post(channel, changelog)))

    def send_dms() -> None:
        number = version.number or 0
        for person_id, (user, items) in sorted(dms.items()):
            _send_dm(ctx, notifier, report, event_id, f"replan-dm:{event_id}:{number}:{person_id}", "replan-dm",
                     user, notices.ReplanDM(event.name, number, tuple(items)))
        for user, sessions in sorted(hosts.items()):
            _send_dm(ctx, notifier, report, event_id, f"host-dm:{event_id}:{number}:{user}", "host-dm", user,
                     notices.HostDM(event.name, tuple(sessions)))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="campbot-publish") as pool:
        dm_sends = pool.submit(send_dms)
        notifier.refresh_cards(event_id, cards)  # the face's one card path; it converges on its own
        dm_sends.result()
    _schedule_changed(ctx, event_id, report)
    if report.failed or report.busy:
        log.warning("publish of %s v%s: %d sends failed, %d still claimed elsewhere; the sweep finishes them",
                    event.slug, version.number, len(report.failed), len(report.busy))
    else:
        _mark_complete(ctx, version.id)
    return version, report


def _send_dm(ctx: AppContext, notifier: Notifier, report: PublishReport, event_id: int, key: str, kind: str,
             user: str, notice: notices.Notice) -> None:
    outcome = send_once(ctx, event_id, key, kind, user, lambda: notifier.direct(user, notice))
    _tally(report, key, outcome)
    if outcome[0] in ("sent", "done"):
        report.dm_users.append(user)


def _host_sessions(grid: ResolvedGrid, notes_pattern: str) -> dict[str, list[tuple[str, str, str]]]:
    """Slack user id -> [(title, "Library, 11:00–11:45", notes link)] for every host in the grid."""
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for entry in sorted(grid.entries, key=lambda e: (e.start, e.room_position)):
        where = f"{entry.room_name}, {entry.start.astimezone(grid.tz):%H:%M}–{entry.end.astimezone(grid.tz):%H:%M}"
        for user in entry.host_user_ids:
            out[user].append((entry.title, where, notes_url(notes_pattern, entry)))
    return dict(out)


def send_plan(notifier: Notifier, posts: int, cards: int, dms: int) -> tuple[str, float]:
    """What a publish will send and about how long it takes within the face's limits."""
    seconds = notifier.seconds_to_send(posts, cards, dms)
    parts = [f"{posts} announcement message(s)"] if posts else []
    parts += [f"{cards} card update(s)"] if cards else []
    parts += [f"{dms} DM(s)"] if dms else []
    what = ", ".join(parts) or "nothing"
    return f"sending {what}, {_about(seconds)}", seconds


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


def resume_publications(ctx: AppContext, notifiers: NotifierFactory) -> list[PublishReport]:
    """Finish the sends of every event's current version that a crash, a restart or a Slack
    outage left unfinished (call at start-up or from a periodic sweep). Idempotent. An event
    nobody can be reached in now (its installation revoked) waits for its re-install."""
    with session_scope(ctx.engine) as db:
        todo = []
        for event_id in [i for i in db.exec(select(Event.id)) if i is not None]:
            version = latest_published(db, event_id)
            if version is not None and version.id is not None and not (version.figures or {}).get("sends_complete"):
                todo.append((event_id, version.id))
    reports = []
    for event_id, version_id in todo:
        notifier = notifiers(event_id)
        if notifier is not None:
            reports.append(publish_with_report(ctx, event_id, version_id, actor="resume", notifier=notifier)[1])
    return reports


def _tally(report: PublishReport, key: str, outcome: tuple[str, str]) -> None:
    """File a send under sent / skipped (done earlier) / busy (claimed by someone else, not yet
    known to be sent: the publish stays unfinished so the sweep comes back) / failed."""
    {"sent": report.sent, "done": report.skipped, "busy": report.busy}.get(outcome[0], report.failed).append(key)


def _post_grid(ctx: AppContext, notifier: Notifier, event: Event, notice: notices.GridPost,
               report: PublishReport) -> None:
    """The grid in the announcement channel (in as many pieces as the face needs), the first
    piece pinned and the previous version's unpinned."""
    assert event.id is not None
    number = notice.grid.number or 0
    channel = event.announce_channel
    if not channel:
        report.notes.append("no announcement channel is set, so the grid was not posted; "
                            "add channels.announce to the event file")
        return
    first: str = ""
    for piece in range(1, notifier.pieces(notice) + 1):
        key = f"grid:{event.id}:{number}:part{piece}"
        outcome = send_once(ctx, event.id, key, "grid", channel,
                            lambda piece=piece: notifier.post(channel, notice, piece))  # type: ignore[misc]
        _tally(report, key, outcome)
        if piece == 1 and outcome[0] in ("sent", "done"):
            first = outcome[1]
    if not first:
        return
    key = f"pin:{event.id}:{number}"
    _tally(report, key, send_once(ctx, event.id, key, "pin", first.split(" ", 1)[0], lambda: notifier.pin(first)))
    previous = _sent_detail(ctx, f"grid:{event.id}:{number - 1}:part1") if number > 1 else ""
    if previous:
        key = f"unpin:{event.id}:{number - 1}"
        outcome = send_once(ctx, event.id, key, "unpin", previous.split(" ", 1)[0], lambda: notifier.unpin(previous))
        if outcome[0] == "failed":  # an old pin left in place is untidy, not wrong: no retry needed
            report.notes.append("the previous grid could not be unpinned")
        else:
            _tally(report, key, outcome)


def _sent_detail(ctx: AppContext, key: str) -> str:
    with session_scope(ctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key)).first()
        return row.detail if row is not None and row.status == "sent" else ""


def _cards_to_update(db: Session, event_id: int, grid: ResolvedGrid, changes: list[Change]) -> list[int]:
    """The pitches whose cards now say something else: every posted active or placed one at
    version 1, the changed sessions' after that."""
    placed = grid.by_pitch()
    number = grid.number or 0
    query = select(Pitch.id).where(Pitch.event_id == event_id, col(Pitch.message_ts).is_not(None),
                                col(Pitch.channel).is_not(None))
    if number > 1:
        ids = [c.pitch_id for c in changes]
        query = query.where(col(Pitch.id).in_(ids))
    else:
        query = query.where(or_(col(Pitch.status) == "active", col(Pitch.id).in_(list(placed))))
    return [p for p in db.exec(query.order_by(col(Pitch.id))) if p is not None]


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


def _schedule_changed(ctx: AppContext, event_id: int, report: PublishReport) -> None:
    """Whoever wants to follow a new version (the scheduler: reminders move with the grid)."""
    for follow in ctx.schedule_changed:
        try:
            follow(ctx, event_id)
        except Exception:  # noqa: BLE001 - the grid is out; reminders can be fixed by publishing again
            log.exception("a follow-up of publishing failed")
            report.notes.append("reminders could not be rescheduled; publish again to retry")

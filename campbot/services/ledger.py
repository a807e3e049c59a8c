"""The ledger of sends: every message campbot sends is keyed in SentNotification and done once.

Why a ledger: a second scheduler, a job fired twice, a sweep racing a job, the Publish button
pressed twice or a restart mid-send must never send anything twice, and a send that failed must
be retried, not lost. A send claims its key with an INSERT before the notifier is called and
marks it "sent" after; the unique constraint is the arbiter. A claim left "claimed" by a process
that died is taken over after `CLAIM_TIMEOUT`; a "failed" one is retried (up to `MAX_ATTEMPTS`,
then logged as given up, and left "failed" where an organiser can see it). A row's `sent_at`
holds the moment of the latest claim while it is "claimed"/"failed", and the moment of sending
once "sent". Publishing (campbot.services.publishing.send_once) claims with no attempt limit:
an organiser's Publish (or the sweep) retries its failed sends however often they failed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.notifier import SendFailed
from campbot.store.db import session_scope
from campbot.store.tables import SentNotification

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=2)  # a single send (with the client's own 429 retries) takes far less
MAX_ATTEMPTS = 8


CLAIMED, ALREADY, BUSY, GAVE_UP = "claimed", "already", "busy", "gave_up"


def claim(ctx: AppContext, *, event_id: int, key: str, kind: str, target: str,
          timeout: timedelta = CLAIM_TIMEOUT, max_attempts: int | None = MAX_ATTEMPTS) -> str:
    """Claim `key` for sending: CLAIMED (go ahead), ALREADY (sent before), BUSY (someone else is on
    it right now) or GAVE_UP (failed `max_attempts` times).

    Race-safe: a new key is an INSERT that the unique constraint lets only one process win; an
    existing failed or stale claim is taken over by one conditional UPDATE on its (status,
    attempts), which only one process can match.
    """
    return claim_attempt(ctx, event_id=event_id, key=key, kind=kind, target=target, timeout=timeout,
                  max_attempts=max_attempts)[0]


def claim_attempt(ctx: AppContext, *, event_id: int, key: str, kind: str, target: str, timeout: timedelta,
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


def deliver(ctx: AppContext, *, event_id: int, key: str, kind: str, target: str, send: Callable[[], str]) -> str:
    """Do `send()` (one notifier call, returning its receipt) once under `key`.
    Returns SENT, FAILED, ALREADY, BUSY or GAVE_UP."""
    outcome, attempt = claim_attempt(ctx, event_id=event_id, key=key, kind=kind, target=target, timeout=CLAIM_TIMEOUT,
                              max_attempts=MAX_ATTEMPTS)
    if outcome == GAVE_UP:
        log.error("not sending %s: failed %d times; see its SentNotification row", key, MAX_ATTEMPTS)
    if outcome != CLAIMED:
        return outcome
    try:
        answer = send()
    except SendFailed as exc:
        error = exc.reason
        finish(ctx, key, FAILED, error, attempt=attempt)
        log.warning("send %s failed (%s); it will be retried", key, error)
        return FAILED
    except Exception as exc:  # noqa: BLE001 - recorded and retried by the sweep, never lost
        finish(ctx, key, FAILED, f"{type(exc).__name__}: {exc}", attempt=attempt)
        log.warning("send %s failed (%s); it will be retried", key, type(exc).__name__)
        return FAILED
    finish(ctx, key, SENT, answer, attempt=attempt)
    return SENT


def sent_counts(ctx: AppContext, event_id: int) -> dict[str, int]:
    """How many sends of each status an event has (for the organisers' status view and tests)."""
    counts: dict[str, int] = defaultdict(int)
    with session_scope(ctx.engine) as db:
        for status in db.exec(select(SentNotification.status).where(SentNotification.event_id == event_id)):
            counts[status] += 1
    return dict(counts)


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

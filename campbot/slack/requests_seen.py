"""Remembering which Slack requests were handled, so a retry or a replay runs once.

Slack retries an event it thinks we missed, and anyone who captured a signed request can
send it again within the five-minute signature window. Every such request carries an id
that is unique per user action (`event_id`, `trigger_id`, `action_ts`); the first insert of
that id wins. The primary key makes it race-safe: two copies arriving at once cannot both
insert, so exactly one of them is told "first time".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import delete

from campbot.config.context import AppContext
from campbot.store.db import session_scope
from campbot.store.tables import SeenRequest

KEEP = timedelta(days=2)


def first_time(ctx: AppContext, key: str) -> bool:
    """True exactly once per key, even when two callers race with the same key."""
    key = key[:200]
    try:
        with session_scope(ctx.engine) as db:
            if db.get(SeenRequest, key) is not None:
                return False
            db.add(SeenRequest(key=key, created_at=ctx.now()))
            db.flush()
    except IntegrityError:
        return False
    return True


def forget_old(ctx: AppContext, *, older_than: timedelta = KEEP) -> int:
    """Drop keys past any replay window (signatures are only valid for 5 minutes)."""
    cutoff = ctx.now() - older_than
    with session_scope(ctx.engine) as db:
        stmt = delete(SeenRequest).where(SeenRequest.created_at < cutoff)  # type: ignore[arg-type]
        result = db.exec(stmt)  # type: ignore[call-overload]
        return int(result.rowcount or 0)

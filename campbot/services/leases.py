"""Database leases: a named lock with an expiry, so only one process runs the scheduler.

Several bot processes may run at once (HTTP workers behind gunicorn, a second instance
started by mistake, an old one not quite dead). The reminder scheduler must run in exactly
one of them, and when that one dies another must take over without anyone's help. A
lease row does both: the holder renews it well before it expires; anyone may take it once
it has expired. The "take" is one conditional UPDATE (or the INSERT of a missing row, made
race-safe by the primary key), so two processes can never both believe they hold it.

Times come from `ctx.now()` so tests can expire a lease without waiting. Sends are keyed
separately (see `campbot.services.notifying`), so even a moment of two holders (a paused
process waking up after its lease was taken) cannot send a message twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from campbot.config.context import AppContext
from campbot.store.db import session_scope
from campbot.store.tables import Lease

log = logging.getLogger(__name__)


def try_acquire(ctx: AppContext, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Take or renew the lease `name` for `holder` until now + ttl; False if someone else holds it.

    Succeeds when the lease is free (no row), expired, or already ours (a renewal).
    """
    now = now or ctx.now()
    expires = now + ttl
    table = Lease.__table__  # type: ignore[attr-defined]
    with session_scope(ctx.engine) as db:
        taken = db.exec(
            update(table)
            .where(table.c.name == name, (table.c.holder == holder) | (table.c.expires_at <= now))
            .values(holder=holder, expires_at=expires)
        )
        if taken.rowcount == 1:
            return True
    try:
        with session_scope(ctx.engine) as db:
            db.exec(insert(table).values(name=name, holder=holder, expires_at=expires))
        log.info("lease %s: created for %s", name, holder)
        return True
    except IntegrityError:
        return False  # a row exists and is someone else's, still valid


def renew(ctx: AppContext, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Extend our own lease; False means we lost it (it expired and someone took it)."""
    now = now or ctx.now()
    table = Lease.__table__  # type: ignore[attr-defined]
    with session_scope(ctx.engine) as db:
        result = db.exec(
            update(table).where(table.c.name == name, table.c.holder == holder).values(expires_at=now + ttl)
        )
        return bool(result.rowcount == 1)


def release(ctx: AppContext, name: str, holder: str) -> None:
    """Give the lease up at a clean shutdown so a standby takes over at once, not at expiry."""
    table = Lease.__table__  # type: ignore[attr-defined]
    with session_scope(ctx.engine) as db:
        db.exec(delete(table).where(table.c.name == name, table.c.holder == holder))


def holder_of(ctx: AppContext, name: str, *, now: datetime | None = None) -> str | None:
    """Who holds the lease now, or None when it is free or expired."""
    now = now or ctx.now()
    with session_scope(ctx.engine) as db:
        row = db.get(Lease, name)
        if row is None or row.expires_at <= now:
            return None
        return row.holder

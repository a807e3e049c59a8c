"""Rate budgets shared by every sender and every worker process.

Each budget (workspace + method, or workspace + channel for posts) is a GCRA token bucket:
one number, the "theoretical arrival time" `tat`, up to which the budget is spoken for. A call
may go when `tat - tolerance <= now`; it then moves `tat` on by one interval. One number per
budget fits in one database row (`SlackBudget`), updated in a short transaction, so two worker
processes share a budget instead of each spending its own.

Priorities: a caller of lower priority may only take a token while some burst is left over for
the higher ones (`reserve`), so a person's modal never queues behind a card refresh or a bulk
DM, while a lone bulk sender still runs at the full rate.

If the database is away, a budget falls back to this process's memory (pacing stays on; only the
sharing is lost until it is back): a person must still be told that the database is away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from campbot.slack.outbound.limits import Limit
from campbot.store.db import session_scope
from campbot.store.tables import SlackBudget

log = logging.getLogger(__name__)

PERSON, CARDS, BULK = 0, 1, 2  # who waits: a person, the cards in the channel, nobody in particular


def decide(tat: float, now: float, limit: Limit, priority: int) -> tuple[float | None, float]:
    """Pure GCRA step: (the new tat if a call may go now, else None; seconds to wait otherwise)."""
    interval, burst = limit.pace()
    tolerance = (burst - 1) * interval
    reserve = priority * min(interval, tolerance / 2)
    start = max(tat, now)
    allowed_at = start - tolerance + reserve
    if allowed_at > now:
        return None, allowed_at - now
    return start + interval, 0.0


class Budget:
    """`take(key, limit, priority)`: 0.0 when the call may go now, else how long to wait first."""

    def __init__(self, engine: Engine | None, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self._memory: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit, priority: int) -> float:
        now = self.clock()
        if self.engine is not None:
            try:
                return self._take_shared(key, limit, priority, now)
            except SQLAlchemyError as exc:
                log.warning("rate budget %s: database unavailable (%s); pacing in memory", key, type(exc).__name__)
        with self._lock:
            new, wait = decide(self._memory.get(key, 0.0), now, limit, priority)
            if new is not None:
                self._memory[key] = new
            return wait

    def hold(self, key: str, seconds: float, limit: Limit) -> None:
        """Nobody takes from `key` for `seconds` (Slack answered 429 with that Retry-After)."""
        interval, burst = limit.pace()
        until = self.clock() + seconds + (burst - 1) * interval
        with self._lock:
            self._memory[key] = max(self._memory.get(key, 0.0), until)
        if self.engine is None:
            return
        try:
            with session_scope(self.engine) as db:
                self._ensure(db, key)
                table: Any = SlackBudget.__table__  # type: ignore[attr-defined]
                db.exec(update(table).where(table.c.key == key, table.c.tat < until).values(tat=until))
        except SQLAlchemyError as exc:
            log.warning("rate budget %s: could not record the hold (%s)", key, type(exc).__name__)

    def _take_shared(self, key: str, limit: Limit, priority: int, now: float) -> float:
        assert self.engine is not None
        with session_scope(self.engine) as db:
            self._ensure(db, key)
            row = db.exec(select(SlackBudget).where(SlackBudget.key == key).with_for_update()).one()
            new, wait = decide(row.tat, now, limit, priority)
            if new is not None:
                row.tat = new
                db.add(row)
            return wait

    @staticmethod
    def _ensure(db: Any, key: str) -> None:
        dialect = db.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.exec(maker(SlackBudget.__table__).values(key=key, tat=0.0).on_conflict_do_nothing())  # type: ignore[attr-defined]

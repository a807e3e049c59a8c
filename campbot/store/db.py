"""One engine per process, and short-lived sessions.

SQLite is the zero-setup default, so it is tuned for many writers: WAL so readers never
block, a long busy timeout instead of "database is locked", and every transaction begun
IMMEDIATE so two read-then-write transactions (a vote toggle, a quota check) serialise
rather than deadlock on lock upgrade. PostgreSQL gets a pre-pinged pool.

Two per-engine options (see `within` and `read_only`) let the request path wait on the
database only as long as Slack waits for an answer: a request must be acked in 3 seconds,
so what runs before the ack gives up on a held lock after its budget (SQLite busy timeout,
PostgreSQL lock_timeout/statement_timeout for that transaction) and says "busy" truthfully;
read-only work on SQLite begins DEFERRED, so a held write lock never delays a read (WAL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool, StaticPool
from sqlmodel import Session, create_engine

SQLITE_BUSY_MS = 30_000
BUDGET_OPTION = "campbot_budget_ms"  # execution option: give up waiting on a lock after this
READ_ONLY_OPTION = "campbot_read_only"  # execution option: SQLite begins DEFERRED, not IMMEDIATE


def within(engine: Engine, seconds: float) -> Engine:
    """The same engine (same pool), but each transaction waits at most `seconds` for a lock
    or a statement; past that it raises OperationalError, which `is_busy` recognises."""
    return engine.execution_options(**{BUDGET_OPTION: max(50, int(seconds * 1000))})


def read_only(engine: Engine) -> Engine:
    """The same engine for reads only: on SQLite a held write lock does not delay them."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


_checkout_budget: ContextVar[float | None] = ContextVar("campbot_checkout_budget", default=None)


@contextmanager
def checkout_budget(seconds: float) -> Iterator[None]:
    """While inside, waiting for a free pooled connection gives up after `seconds` (this thread
    only): when every connection is held by work queued behind a lock, the ack path still
    answers "busy" in time instead of queueing for the pool's 30 s."""
    token = _checkout_budget.set(seconds)
    try:
        yield
    finally:
        _checkout_budget.reset(token)


class BudgetedQueuePool(QueuePool):
    """QueuePool whose wait for a connection honours checkout_budget (QueuePool reads its wait
    from `_timeout` on every checkout; this makes that per-thread)."""

    @property  # type: ignore[override]
    def _timeout(self) -> float:
        budget = _checkout_budget.get()
        return self._campbot_timeout if budget is None else min(budget, self._campbot_timeout)

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._campbot_timeout = value


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "a lock was held past our budget" (try again soon),
    as opposed to "the database is unreachable"."""
    if isinstance(exc, sa_exc.TimeoutError):  # no free pooled connection within the budget
        return True
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "57014"):  # PostgreSQL lock_not_available, query_canceled (our timeouts)
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if not is_sqlite(url):
        engine = create_engine(
            url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20, poolclass=BudgetedQueuePool
        )
        _budget_postgres(engine)
        return engine
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool
    else:  # file connections are cheap: enough that threads waiting on the write lock never starve readers
        kwargs.update(poolclass=BudgetedQueuePool, pool_size=10, max_overflow=100)
    engine = create_engine(url, echo=echo, **kwargs)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        wanted = int(options.get(BUDGET_OPTION) or SQLITE_BUSY_MS)
        info = conn.connection.info  # lives as long as the DBAPI connection: set the pragma only on change
        if info.get("busy_ms") != wanted:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wanted}")
            info["busy_ms"] = wanted
        conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION) else "BEGIN IMMEDIATE")


def _budget_postgres(engine: Engine) -> None:
    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        budget = conn.get_execution_options().get(BUDGET_OPTION)
        if budget:  # SET LOCAL: only this transaction; the pooled connection keeps no trace
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(budget)}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(budget)}")


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads (see `read_only`); loaded objects stay usable after it."""
    with Session(read_only(engine), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()  # ends the read transaction; there is nothing to write
        except BaseException:
            session.rollback()
            raise


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error, so no half-written rows."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

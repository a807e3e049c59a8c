"""Hold the database's write lock from a second connection, as another process would.

SQLite: `BEGIN IMMEDIATE` on a second connection (the reserved lock: others may read, nobody
else may write). PostgreSQL: every campbot table locked IN EXCLUSIVE MODE by a second
connection (reads go on, every write waits), the nearest equivalent.
Used by tests/faults/test_database_busy.py and bench/ack_budget.py.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Any

from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import campbot.store.tables  # noqa: F401  (registers the tables)
from campbot.store.db import is_sqlite


class WriteLock:
    """`with WriteLock(url): ...` holds the lock for the block; `.hold()` / `.release()` too."""

    def __init__(self, database_url: str):
        self.url = database_url
        self._conn: Any = None

    def hold(self) -> None:
        if is_sqlite(self.url):
            path = make_url(self.url).database
            assert path, "a file database (an in-memory one has no second connection)"
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("BEGIN IMMEDIATE")
            return
        import psycopg

        url = make_url(self.url).set(drivername="postgresql")
        self._conn = psycopg.connect(url.render_as_string(hide_password=False))
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        self._conn.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")  # psycopg: inside a transaction

    def release(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> WriteLock:
        self.hold()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

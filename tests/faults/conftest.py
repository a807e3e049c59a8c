"""Fault fixtures: the e2e harness, plus a database that can be taken away and brought back.

`outage.down()` / `outage.up()`:
* PostgreSQL (CAMPBOT_TEST_DATABASE_URL): the app's engine talks to the database through a
  TCP proxy on loopback (tests/faults/proxy.py); down() cuts every connection and refuses
  new ones, exactly what a stopped or unreachable server looks like to psycopg.
* SQLite: a file database cannot be "unreachable", so the engine is made to fail every
  statement with sqlalchemy's OperationalError (what a locked-out or vanished database
  raises) while down.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from campbot.slack.listeners.cards import stop_refresher
from campbot.store.db import is_sqlite, make_engine
from campbot.store.migrate import upgrade
from tests.e2e.conftest import bot, clock, ctx, fake_slack, slack, voting_open  # noqa: F401
from tests.faults.proxy import TcpProxy


@dataclass
class Outage:
    kind: str  # "proxy" (PostgreSQL) or "injected" (SQLite)
    proxy: TcpProxy | None = None
    _down: bool = False

    def down(self) -> None:
        self._down = True
        if self.proxy is not None:
            self.proxy.cut()

    def up(self) -> None:
        self._down = False
        if self.proxy is not None:
            self.proxy.restore()

    @property
    def is_down(self) -> bool:
        return self._down


@pytest.fixture
def outage() -> Outage:
    return Outage(kind="pending")


@pytest.fixture
def engine(database_url: str, outage: Outage) -> Iterator[Engine]:
    if is_sqlite(database_url):
        eng = make_engine(database_url)
        upgrade(eng)
        outage.kind = "injected"

        @sa_event.listens_for(eng, "before_cursor_execute")
        def _fail_while_down(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if outage.is_down:
                raise OperationalError(statement, None, Exception("database unavailable (test outage)"))

        yield eng
        stop_refresher(eng)
        eng.dispose()
        return
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    outage.kind, outage.proxy = "proxy", proxy
    eng = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    upgrade(eng)
    yield eng
    stop_refresher(eng)
    eng.dispose()
    proxy.stop()

"""Shared fixtures: a real database (SQLite file by default, PostgreSQL when
CAMPBOT_TEST_DATABASE_URL is set), a context on it, and the example event loaded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from campbot.config.context import AppContext
from campbot.config.settings import Settings, load_settings
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.slack.listeners.cards import stop_refresher
from campbot.slack.outbound.limits import LOCAL_UNLIMITED
from campbot.store.db import make_engine
from campbot.store.migrate import upgrade
from campbot.store.tables import Event

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_EVENT = ROOT / "examples" / "localgovcamp.yaml"


def _per_worker(url: str) -> str:
    """Under pytest-xdist each worker wipes its schema before every test, so two workers on one
    PostgreSQL database would wipe each other's tables: each gets its own database, `<name>_gwN`,
    created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def fresh_database_url(tmp_path: Path) -> str:
    """The URL tests run against; PostgreSQL's schema is wiped so each test starts empty."""
    url = os.environ.get("CAMPBOT_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'campbot-test.db'}"
    url = _per_worker(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return fresh_database_url(tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    stop_refresher(eng)  # its thread must not outlive this database
    eng.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The tests' fake Slack limits nothing unless a test asks it to, so nor does the pacing
    # (tests of the pacing set small limits on both: tests/slack/test_slack_pacing.py).
    return load_settings(database_url=database_url, slack_signing_secret="test-signing-secret",
                         slack_bot_token="xoxb-test-token", slack_limits=LOCAL_UNLIMITED)


@pytest.fixture
def ctx(settings: Settings, engine: Engine) -> AppContext:
    return AppContext(settings=settings, engine=engine)


@pytest.fixture
def event(ctx: AppContext) -> Event:
    return load_event(ctx, read_event_file(EXAMPLE_EVENT))

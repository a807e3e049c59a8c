"""The schema: migrations produce exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from campbot.config.context import AppContext
from campbot.store.db import session_scope
from campbot.store.migrate import current_revision, upgrade
from campbot.store.tables import Event, SentNotification


def test_migrations_match_the_tables(engine: Engine) -> None:
    upgrade(engine)  # a second upgrade is harmless
    from alembic.script import ScriptDirectory

    from campbot.store.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert len(heads) == 1, f"migrations must form one line, not {heads}"
    assert current_revision(engine) == heads[0]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_datetimes_come_back_aware_and_in_utc(ctx: AppContext) -> None:
    bst = timezone(timedelta(hours=1))
    with session_scope(ctx.engine) as db:
        db.add(Event(slug="x", name="X", voting_closes_at=datetime(2026, 6, 20, 9, 45, tzinfo=bst)))
    with session_scope(ctx.engine) as db:
        got = db.exec(select(Event)).one().voting_closes_at
    assert got == datetime(2026, 6, 20, 8, 45, tzinfo=UTC)
    assert got is not None and got.tzinfo is not None


def test_naive_datetime_is_refused(ctx: AppContext) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(ctx.engine) as db:
        db.add(Event(slug="y", name="Y", voting_closes_at=datetime(2026, 6, 20, 9, 45)))
    with session_scope(ctx.engine) as db:
        assert db.exec(select(Event)).all() == []


def test_a_notification_key_is_stored_once(ctx: AppContext, event: Event) -> None:
    from sqlalchemy.exc import IntegrityError

    with session_scope(ctx.engine) as db:
        db.add(SentNotification(event_id=event.id, key="remind:1:t1:U1", kind="remind", target="U1"))
    with pytest.raises(IntegrityError), session_scope(ctx.engine) as db:
        db.add(SentNotification(event_id=event.id, key="remind:1:t1:U1", kind="remind", target="U1"))
    with session_scope(ctx.engine) as db:
        assert len(db.exec(select(SentNotification)).all()) == 1

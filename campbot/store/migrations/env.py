"""Alembic environment: the engine comes from `campbot.store.migrate`, the target from the tables."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import campbot.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=lambda name, type_, parent: not (type_ == "table" and name and name.startswith("apscheduler")),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

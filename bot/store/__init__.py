"""Storage: tables, engine and sessions, migrations."""

from bot.store.db import make_engine, session_scope
from bot.store.migrate import upgrade

__all__ = ["make_engine", "session_scope", "upgrade"]

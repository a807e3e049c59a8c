"""What every use case needs: settings, the database engine and the clock.

The clock is injected so that reminders, voting windows and freezes can be tested at any
minute of the camp day without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from campbot.config.settings import Settings
from campbot.store.db import make_engine
from campbot.store.migrate import upgrade
from campbot.store.types import utcnow


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=utcnow)
    # Called with (ctx, event id) when what times an event's posts changed: a grid version went out
    # (campbot.services.publishing), voting's closing time moved (campbot.services.setup). The
    # scheduler adds "reschedule this event's jobs" (campbot.jobs.scheduling.follow_schedule_changes),
    # so the services need not know the jobs exist and no face has to remember to call them.
    schedule_changed: list[Callable[[AppContext, int], None]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()


def build_context(settings: Settings, *, migrate: bool = True) -> AppContext:
    """The one place an engine is made from settings; upgrades the schema unless told not to."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return AppContext(settings=settings, engine=engine)

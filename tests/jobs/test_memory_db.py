"""The job store shares the app's engine, so even an in-memory SQLite database (one connection,
StaticPool) keeps its jobs, and shutting a scheduler down does not throw the database away
(APScheduler's own store disposes its engine on shutdown, which would drop an in-memory one)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.jobs import scheduling as jobs
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.store.db import make_engine, session_scope
from campbot.store.migrate import upgrade
from campbot.store.tables import Event
from tests.conftest import EXAMPLE_EVENT
from tests.jobs.conftest import DAY
from tests.jobs.helpers import Clock, S, local, publish_grid


def test_in_memory_sqlite_keeps_jobs_and_data_across_scheduler_shutdowns(settings: Settings) -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    ctx = AppContext(settings=settings.model_copy(update={"database_url": "sqlite://"}), engine=engine,
                     clock=Clock(local(DAY, "08:00")))
    event = load_event(ctx, read_event_file(EXAMPLE_EVENT))
    assert event.id is not None
    publish_grid(ctx, event.id, [S("A", "r1", "t3", hosts=["UA"])])
    jobs.reschedule_event_jobs(ctx, event.id)  # starts and shuts down a (paused) scheduler on this engine
    assert jobs.scheduled_jobs(ctx, event.id)[f"remind:{event.id}:t3"] == local(DAY, "13:00") - timedelta(minutes=10)
    with session_scope(engine) as db:
        assert db.exec(select(Event.slug)).one() == "lgc26"
    engine.dispose()

"""A grid whose slots sit at the ends of the calendar (a year 1 or 9999 that reached the
database before the event file checked dates, or by hand) never makes an export answer 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.server.http_app import make_wsgi_app
from campbot.server.serve import serve_in_thread
from campbot.store.db import session_scope
from campbot.store.tables import Event, Slot
from tests.jobs.helpers import S, publish_grid


@pytest.mark.parametrize(
    "start",
    [
        datetime(9999, 12, 31, 22, 0, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        datetime(1, 1, 1, 23, 0, tzinfo=UTC),
    ],
)
def test_exports_answer_for_slots_at_the_ends_of_the_calendar(ctx: AppContext, event: Event, start: datetime) -> None:
    assert event.id is not None
    publish_grid(ctx, event.id, [S("Edge of time", "r1", "t1", hosts=["U0HOST1"])])
    with session_scope(ctx.engine) as db:
        slot = db.exec(select(Slot).where(Slot.event_id == event.id, Slot.key == "t1")).one()
        slot.start, slot.end = start, start.replace(minute=45)
        db.add(slot)
    server, thread = serve_in_thread(make_wsgi_app(ctx))
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        for path in ("/ical/event.ics", "/grid", "/data/grid.json", "/data/grid.csv", "/data/schedule.json"):
            answer = requests.get(base + path, timeout=30)
            assert answer.status_code < 500, (path, answer.status_code, answer.text[:200])
        assert b"BEGIN:VCALENDAR" in requests.get(base + "/ical/event.ics", timeout=30).content
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

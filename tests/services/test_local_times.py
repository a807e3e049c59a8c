"""Times reach the solver, and come back to organisers, as the camp's wall clock.

The database keeps UTC. The solver quotes the clock time of the slot strings it is given in its
reasons, so those strings must carry the local time with its offset; and organisers read slots
as times ("10:00–10:45"), never as keys ("t1"). Checked on a summer (BST, UTC+1) and a winter
(GMT, UTC+0) date, where a UTC slip shows as an hour early in summer only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services import solving
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.services.grid_queries import load_grid
from campbot.services.problem_builder import build_problem
from campbot.services.times import slot_label, slot_time, slot_times
from campbot.store.db import session_scope
from campbot.store.tables import Event, Slot
from scheduler.problem_file import parse_problem
from tests.conftest import EXAMPLE_EVENT
from tests.support.grid_camp import LONDON, add_pitch

SUMMER, WINTER = "2026-06-20", "2026-12-05"


def _camp_on(ctx: AppContext, tmp_path: Path, day: str) -> Event:
    """The example camp, moved to `day` (its slots are 10:00-15:45 London time)."""
    text = EXAMPLE_EVENT.read_text(encoding="utf-8").replace(SUMMER, day)
    text = text.replace("opens: 2026-06-19T09:00", "opens: " + day + "T08:00")
    path = tmp_path / "camp.yaml"
    path.write_text(text, encoding="utf-8")
    return load_event(ctx, read_event_file(path))


@pytest.mark.parametrize(("day", "offset"), [(SUMMER, "+01:00"), (WINTER, "+00:00")])
def test_the_solver_gets_local_slot_times_with_their_offset(ctx: AppContext, tmp_path: Path, day: str,
                                                            offset: str) -> None:
    event = _camp_on(ctx, tmp_path, day)
    assert event.id is not None
    add_pitch(ctx, event, "Open data", "U1")

    problem = build_problem(ctx, event.id)

    first = problem["slots"][0]
    assert (first["start"], first["end"]) == (f"{day}T10:00:00{offset}", f"{day}T10:45:00{offset}")
    assert problem["slots"][3]["start"] == f"{day}T14:00:00{offset}"
    parsed = parse_problem(problem)  # still the same instants to the solver's reader
    assert parsed.slots[0].start == first["start"]


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_slot_labels_are_local_times(ctx: AppContext, tmp_path: Path, day: str) -> None:
    event = _camp_on(ctx, tmp_path, day)
    with session_scope(ctx.engine) as db:
        slots = list(db.exec(select(Slot).where(Slot.event_id == event.id)))
    t1 = next(s for s in slots if s.key == "t1")
    assert slot_time(t1.start, t1.end, LONDON) == "10:00–10:45"
    assert slot_label((t1.start, t1.end), LONDON) == ("Sat 10:00–10:45")
    assert slot_times(["t4", "t1", "t9"], slots, LONDON) == "14:00–14:45, 10:00–10:45, t9"


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_a_reason_naming_a_time_shows_the_local_time(ctx: AppContext, tmp_path: Path, day: str) -> None:
    """Through the bot's solve path and the real solver process: a pitch pinned to the first slot
    when its host cannot come is explained with 10:00 (the wall clock), never 09:00 (UTC)."""
    event = _camp_on(ctx, tmp_path, day)
    assert event.id is not None
    ctx = AppContext(settings=ctx.settings.model_copy(update={"solve_workers": 1}), engine=ctx.engine)
    add_pitch(ctx, event, "Fine", "U1")
    stuck = add_pitch(ctx, event, "Pinned when away", "U2", pin_slot_key="t1", unavailable_slots=["t1"])

    run_id = solving.start_solve(ctx, event.id, seconds=2, background=False)

    result = solving.solve_result(ctx, run_id)
    if result.status == "done":  # the pitch is left out and the rest solved
        said = " ".join(x["reason"] for x in result.figures["left_out"] if x["pitch_id"] == stuck)
        assert result.grid_version_id is not None
        assert stuck not in load_grid(ctx, result.grid_version_id).by_pitch()
    else:  # a solver that still stops the whole run says why
        said = result.error
    assert f"#{stuck}" in said and "10:00–10:45" in said, said
    assert "09:00" not in said and "(t1)" not in said, said

"""`campbot solve | publish | replan --event`: the same services as Slack, figures printed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from campbot.cli.main import app
from campbot.config.context import AppContext
from campbot.services.grid_queries import published_grid
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Pitch, Room, SolveRun
from tests.support.fake_slack import FakeSlack
from tests.support.grid_camp import add_pitch, crowded_camp, vote


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def camp(ctx: AppContext, event: Event, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setenv("CAMPBOT_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("CAMPBOT_SOLVE_WORKERS", "1")
    ids = [add_pitch(ctx, event, f"Talk {i}", f"U0HOST{i}") for i in range(6)]
    for v in range(10):
        vote(ctx, event, f"U0V{v}", ids[v % 6], ids[(v + 1) % 6])
    return ids


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_solve_publish_replan(ctx: AppContext, event: Event, camp: list[int], fake: FakeSlack,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert event.id is not None
    code, out = _run("solve", "--event", "lgc26", "--seconds", "1")
    assert code == 0, out
    assert "Coverage (wishes served)" in out and "by hand" in out and "Sessions placed: 6 of 6" in out
    assert "campbot publish --event lgc26 --run 1" in out

    code, out = _run("publish", "--event", "lgc26")
    assert code == 0, out
    assert "in the database only" in out
    grid = published_grid(ctx, event.id)
    assert grid is not None and grid.number == 1 and not fake.calls

    # with Slack configured, publishing the same version again sends what was not sent
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli")
    monkeypatch.setenv("CAMPBOT_SLACK_API_URL", fake.url)
    monkeypatch.setenv("CAMPBOT_SLACK_LIMITS", "*=100000/1")  # the fake Slack limits nothing
    code, out = _run("publish", "--event", "lgc26", "--run", "1")
    assert code == 0, out
    assert out.startswith("Published version 1") and len(fake.calls_to("chat.update")) == 6
    assert len(fake.calls_to("pins.add")) == 1

    in_r1 = [e.pitch_id for e in grid.entries if e.room_key == "r1" and e.slot_keys[0] in ("t3", "t4", "t5")]
    code, out = _run("replan", "--event", "lgc26", "--close-room", "r1", "--at", "12:00", "--seconds", "1")
    assert code == 0, out
    assert "Closed Main hall (r1) at 13:00–13:45, 14:00–14:45, 15:00–15:45." in out
    assert "Moves: " in out and "frozen slots: 10:00–10:45, 11:00–11:45" in out
    with session_scope(ctx.engine) as db:
        room = db.exec(select(Room).where(Room.event_id == event.id, Room.key == "r1")).one()
        assert room.closed_slots == ["t3", "t4", "t5"]
        runs = db.exec(select(SolveRun).order_by(SolveRun.id)).all()  # type: ignore[arg-type]
    assert [r.kind for r in runs] == ["solve", "replan"]
    assert out.count("moved: ") == len(in_r1)


def test_cli_reports_both_grids_and_publishes_the_one_asked_for(ctx: AppContext, event: Event,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert event.id is not None
    monkeypatch.setenv("CAMPBOT_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("CAMPBOT_SOLVE_WORKERS", "1")
    crowded_camp(ctx, event)

    code, out = _run("solve", "--event", "lgc26", "--seconds", "1")

    assert code == 0, out
    out = " ".join(out.split())  # the console wraps long lines
    assert "Highest coverage (the grid above):" in out
    assert "Room for everyone (no more people standing than by hand): coverage " in out
    assert "differs: moved: " in out
    assert "campbot publish --event lgc26 --run 1 --objective seats" in out
    with session_scope(ctx.engine) as db:
        drafts = {str(v.figures["objective"]): v.id for v in db.exec(select(GridVersion))}
    assert set(drafts) == {"coverage", "seats"}

    code, out = _run("publish", "--event", "lgc26", "--objective", "everything")
    assert code == 2 and "say coverage or seats" in out
    code, out = _run("publish", "--event", "lgc26", "--objective", "seats")
    assert code == 0, out
    grid = published_grid(ctx, event.id)
    assert grid is not None and grid.version_id == drafts["seats"]


def test_cli_pin_exclude_and_back(ctx: AppContext, event: Event, camp: list[int]) -> None:
    code, out = _run("pin", f"#{camp[0]}", "Library", "14:00", "--event", "lgc26")
    assert code == 0 and "Pinned" in out and "Library" in out
    code, out = _run("exclude", "Talk 1", "--event", "lgc26")
    assert code == 0 and "left out" in out
    with session_scope(ctx.engine) as db:
        rows = {p.id: p for p in db.exec(select(Pitch))}
    assert (rows[camp[0]].pin_room_key, rows[camp[0]].pin_slot_key) == ("r5", "t4") and rows[camp[1]].excluded
    assert _run("unpin", str(camp[0]))[0] == 0 and _run("include", f"#{camp[1]}")[0] == 0
    code, out = _run("pin", "Talk", "r1")
    assert code == 2 and "matches 6 pitches" in out
    with session_scope(ctx.engine) as db:
        rows = {p.id: p for p in db.exec(select(Pitch))}
    assert rows[camp[0]].pin_room_key is None and not rows[camp[1]].excluded


def test_cli_explains_bad_input_without_a_traceback(camp: list[int]) -> None:
    code, out = _run("replan", "--event", "lgc26", "--seconds", "1")
    assert code == 2 and "Nothing is published yet" in out and "Traceback" not in out
    code, out = _run("solve", "--event", "nope")
    assert code == 2 and "no event 'nope'" in out
    code, out = _run("replan", "--event", "lgc26", "--close-room", "r99")
    assert code == 2 and "No room 'r99'" in out
    code, out = _run("replan", "--event", "lgc26", "--host-gone", "@nobody.here")
    assert code == 2 and "Nobody called 'nobody.here'" in out and "Traceback" not in out
    code, out = _run("replan", "--event", "lgc26", "--host-gone", " @ ")
    assert code == 2 and "--host-gone needs a name or a Slack id" in out
    code, out = _run("replan", "--event", "lgc26", "--at", "half past")
    assert code == 2 and "--at" in out
    code, out = _run("solve", "--event", "lgc26", "--seconds", "0")
    assert code == 2 and "between 1 and 600 seconds" in out
    code, out = _run("publish", "--event", "lgc26")
    assert code == 2 and "no new draft" in out
    # what was typed comes back as typed: services write plain text, the command line escapes rich's markup
    code, out = _run("unpin", "[b]nothing<&>[/b]", "--event", "lgc26")
    assert code == 2 and "No active pitch matches '[b]nothing<&>[/b]'" in out

"""The `campbot` command as an organiser types it: real process, real database file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from campbot.config.settings import load_settings
from campbot.server.serve import ServeError, check_settings
from campbot.store.db import make_engine, session_scope
from campbot.store.tables import Pitch, Room, Vote
from tests.conftest import EXAMPLE_EVENT, ROOT

PITCHES = ROOT / "examples" / "localgovcamp-pitches.yaml"


def campbot(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAMPBOT_DATABASE_URL": db, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "campbot", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_load_import_and_refuse_a_bad_file(database_url: str, tmp_path: Path) -> None:
    up = campbot("db", "upgrade", db=database_url)
    assert up.returncode == 0, up.stderr
    assert re.search(r"revision [0-9]{4}", up.stdout), up.stdout

    loaded = campbot("event", "load", str(EXAMPLE_EVENT), db=database_url)
    assert loaded.returncode == 0, loaded.stderr
    assert "lgc26" in loaded.stdout and "7 rooms, 5 slots" in loaded.stdout
    # the window has passed (the example camp was in June 2026): said plainly, with the way back
    assert "Voting closed Saturday 20 June at 09:45; /camp voting open reopens it." in loaded.stdout

    imported = campbot("import", str(PITCHES), db=database_url)
    assert imported.returncode == 0, imported.stderr
    assert "imported 38 pitches" in imported.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_EVENT.read_text().replace("capacity: 40", "capacity: lots"))
    refused = campbot("event", "load", str(bad), db=database_url)
    assert refused.returncode == 2
    assert "rooms[1].capacity" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    engine = make_engine(database_url)
    with session_scope(engine) as db:
        assert db.exec(select(Room).where(Room.key == "r2")).one().capacity == 40
        assert len(db.exec(select(Pitch)).all()) == 38
        assert len(db.exec(select(Vote)).all()) == sum(
            1 for line in PITCHES.read_text().splitlines() if line.startswith('  "u')
            for _ in line.split(":", 1)[1].split(","))
    engine.dispose()


def test_import_before_any_event_says_what_to_do(database_url: str) -> None:
    result = campbot("import", str(PITCHES), db=database_url)
    assert result.returncode == 2
    assert "campbot event load" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_pitch_file_imports_nothing(database_url: str, tmp_path: Path) -> None:
    assert campbot("event", "load", str(EXAMPLE_EVENT), db=database_url).returncode == 0
    bad = tmp_path / "pitches.yaml"
    bad.write_text('pitches:\n  - {"id": "a", "title": "Fine", "hosts": ["X"]}\n'
                   '  - {"id": "b", "title": "Bad", "hosts": ["Y"], "format": "lecture"}\n')
    result = campbot("import", str(bad), db=database_url)
    assert result.returncode == 2 and "pitches.1.format" in result.stderr
    engine = make_engine(database_url)
    with session_scope(engine) as db:
        assert db.exec(select(Pitch)).all() == []
    engine.dispose()


def test_bad_slack_limits_are_refused_at_start_with_the_format(database_url: str) -> None:
    """CAMPBOT_SLACK_LIMITS is checked before any command runs (and by `campbot serve`), not at
    the first send: the message names the setting and shows the format."""
    env = {**os.environ, "CAMPBOT_DATABASE_URL": database_url, "COLUMNS": "200",
           "CAMPBOT_SLACK_LIMITS": "chat.update=three/2"}
    result = subprocess.run([sys.executable, "-m", "campbot", "status"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "slack_limits" in result.stderr and "bad Slack limit 'chat.update=three/2'" in result.stderr
    assert "method=CALLS/SECONDS" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_bad_slack_limits() -> None:
    """`campbot serve`'s own start-up check (campbot.server.serve.check_settings) says the same."""
    settings = load_settings(slack_bot_token="xoxb-x", slack_app_token="xapp-x", slack_limits="chat.update=0/1")
    with pytest.raises(ServeError, match=r"CAMPBOT_SLACK_LIMITS: bad Slack limit 'chat.update=0/1'"):
        check_settings(settings)

"""`campbot demo`, the README's main command, as a newcomer runs it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from icalendar import Calendar


def test_demo_runs_the_day_and_writes_the_grid(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPBOT_", "SLACK_"))}
    env["COLUMNS"] = "160"
    result = subprocess.run([sys.executable, "-m", "campbot", "demo", "--out", str(out), "--seconds", "2"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = result.stdout
    assert "Traceback" not in text + result.stderr
    # a first run starts with the story (the event is set up), not with the migrations' INFO lines
    assert "LocalGovCamp 2026: the event is set up" in text.splitlines()[0]
    assert "alembic" not in result.stderr and " INFO " not in result.stderr, result.stderr[:2000]
    for moment in ("Voting is open now and closes by itself Saturday 20 June at 09:45",
                   "*Voting is open* until Saturday 20 June at 09:45", "Voting closes in 10 minutes",
                   "*Voting closed* at 09:45", "Coverage (wishes served)",
                   "Closed Main hall (r1) at 13:00–13:45, 14:00–14:45, 15:00–15:45", "Moves:", "Up next"):
        assert moment in text, moment
    assert "DM to" in text
    # attendees off Slack: the ticket list (its bad row refused with the fix), the sheet, the web face
    assert "5 attendees imported from the ticket list" in text and "'mary@example' is not an email address" in text
    assert "Ada Lovelace (on the web) opened their link; pitched" in text
    assert text.count("(on the web) opened their link") == 3 and "interested in #1 " in text
    sheet = (out / "link-sheet.html").read_text()
    assert sheet.count("<svg") == 5 and "Ada Lovelace" in sheet and "Ticket LGC-0006" in sheet
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".db" and "-" not in p.name) == [
        "event.ics", "grid.csv", "grid.html", "grid.json", "schedule.json"]
    rows = list(csv.reader((out / "grid.csv").open()))
    assert rows[0] == ["Year", "Time", "Session", "Room", "Capacity", "Title", "Leader1", "Leader2", "Leader3",
                       "Leader 4", "Session notes", "Hashtag"]
    assert len(rows) > 25
    # after the re-plan nothing is in the Main hall in the afternoon
    assert not [r for r in rows[1:] if r[3] == "Main hall" and r[1] >= "13:00"]
    grid = json.loads((out / "grid.json").read_text())
    assert grid["version"] == 2
    assert any(line.startswith(("moved:", "dropped:")) for line in grid["changelog"])
    cal = Calendar.from_ical((out / "event.ics").read_bytes())
    assert len([c for c in cal.walk("VEVENT")]) >= 25

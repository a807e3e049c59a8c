"""`campbot demo`: the example camp, end to end, with no Slack account.

For now it loads the bundled camp into a fresh SQLite file and prints what is there;
the full simulated day grows here as the features land.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import select

from bot.context import build_context
from bot.event_file import read_event_file
from bot.services.events import load_event
from bot.services.importing import import_pitches, read_pitch_file
from bot.settings import load_settings
from bot.store.db import session_scope
from bot.store.tables import Pitch, Room, Slot, Vote

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_demo(*, out_dir: Path, solve_seconds: float, console: Console) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = out_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    ctx = build_context(load_settings(database_url=f"sqlite:///{db_file}"))
    event = load_event(ctx, read_event_file(EXAMPLES / "localgovcamp.yaml"), actor="demo")
    assert event.id is not None
    imported = import_pitches(ctx, event.id, read_pitch_file(EXAMPLES / "localgovcamp-pitches.yaml"), actor="demo")
    console.rule(f"[bold]{event.name}[/bold]")
    with session_scope(ctx.engine) as db:
        rooms = db.exec(select(Room).where(Room.event_id == event.id).order_by(Room.position)).all()
        slots = db.exec(select(Slot).where(Slot.event_id == event.id).order_by(Slot.position)).all()
        pitches = db.exec(select(Pitch).where(Pitch.event_id == event.id)).all()
        votes = db.exec(select(Vote).where(Vote.event_id == event.id)).all()
    table = Table(title="Rooms")
    for col in ("id", "name", "seats", "features"):
        table.add_column(col)
    for r in rooms:
        table.add_row(r.key, r.name, str(r.capacity), ", ".join(r.features))
    console.print(table)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(event.timezone)
    console.print("Slots: " + ", ".join(
        f"{s.key} {s.start.astimezone(zone):%H:%M}-{s.end.astimezone(zone):%H:%M} ({s.block})" for s in slots))
    counts: dict[int, int] = {}
    for v in votes:
        counts[v.pitch_id] = counts.get(v.pitch_id, 0) + 1
    table = Table(title=f"{imported.pitches} pitches, {imported.votes} votes")
    for col in ("pitch", "format", "len", "interested"):
        table.add_column(col)
    for p in sorted(pitches, key=lambda p: -counts.get(p.id or 0, 0)):
        table.add_row(p.title, p.format, str(p.length), str(counts.get(p.id or 0, 0) + p.paper_votes))
    console.print(table)
    return 0

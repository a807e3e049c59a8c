"""`campbot demo`: the whole camp day on the bundled example, with no Slack account.

The demo is the real product on a fast clock: a fresh SQLite file, the example event, the
services the Slack commands call, the real solver in a subprocess, and the real Slack Web API
client talking to a local stand-in of Slack (campbot.slack.local_slack) that prints what would be
posted. Nothing here is simulated except the attendees and the passing of time.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import select

from campbot.cli.demo_printer import describe
from campbot.cli.demo_web import attendees_on_the_web
from campbot.config.context import AppContext
from campbot.config.settings import load_settings
from campbot.services import publishing, replanning, solving
from campbot.services.errors import ServiceError
from campbot.services.event_file import read_event_file
from campbot.services.events import load_event
from campbot.services.importing import import_pitches, read_pitch_file
from campbot.services.notifying import run_due
from campbot.services.voting import toggle_vote, voting_plan
from campbot.slack.blocks.camp import room_change_text
from campbot.slack.blocks.preview import choice_lines, figures_lines
from campbot.slack.local_slack import Call, LocalSlack
from campbot.slack.notifier import slack_notifiers
from campbot.slack.outbound.limits import LOCAL_UNLIMITED
from campbot.store.db import make_engine, session_scope
from campbot.store.migrate import upgrade
from campbot.store.tables import Event, Pitch
from campbot.web.exports.files import export_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORGANISER = "U0ORGANISE1"
DM_SAMPLE = 2  # direct messages shown in full per round; the rest are counted


@dataclass
class DemoClock:
    """The camp's clock, moved forward by the story rather than by the wall."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, zone: ZoneInfo, hhmm: str) -> None:
        hh, mm = (int(x) for x in hhmm.split(":"))
        self.now = self.now.astimezone(zone).replace(hour=hh, minute=mm, second=0, microsecond=0)


class SlackPrinter:
    """Prints channel posts in full and keeps direct messages to a sample and a count."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.dms = 0
        self.methods: Counter[str] = Counter()

    def __call__(self, call: Call) -> None:
        self.methods[call.method] += 1
        text = describe(call)
        if text is None:
            return
        channel = str(call.params.get("channel", ""))
        if channel.startswith(("U", "D")) and call.method == "chat.postMessage":
            self.dms += 1
            if self.dms > DM_SAMPLE:
                return
            text = text.replace("→", "→ DM to", 1)
        self.console.print(text, markup=False, highlight=False)

    def round_done(self) -> None:
        if self.dms > DM_SAMPLE:
            self.console.print(f"    … and {self.dms - DM_SAMPLE} more direct messages like these",
                               style="dim")
        self.dms = 0


def _progress_notifier(progress: Progress, task: Any) -> solving.SolveNotifier:
    class Notifier:
        def started(self, run_id: int) -> None:
            progress.update(task, description=f"solve #{run_id} starting")

        def progress(self, run_id: int, fraction: float, note: str) -> None:
            progress.update(task, completed=fraction * 100, description=note[:60])

        def finished(self, run_id: int) -> None:
            progress.update(task, completed=100, description="done")

    return Notifier()


def _solve(ctx: AppContext, event_id: int, console: Console, *, kind: str, seconds: float) -> int:
    """Run a solve or re-plan with a progress bar; returns the draft GridVersion id."""
    columns = (TextColumn("{task.description:<60}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("starting", total=100)
        run_id = solving.start_solve(ctx, event_id, kind=kind, requested_by=ORGANISER, seconds=seconds,
                                     notifier=_progress_notifier(progress, task), background=False)
    result = solving.solve_result(ctx, run_id)
    if result.status != "done" or result.grid_version_id is None:
        raise ServiceError(f"the {kind} failed: {result.error}")

    console.print("[bold]Private preview for the organisers[/bold]")
    other = result.room_for_everyone
    for line in figures_lines(result.figures) + choice_lines(result.figures, other.figures if other else None):
        console.print("    " + line, markup=False, highlight=False)
    for x in result.figures.get("left_out") or []:
        console.print(f"    left out: {x['title']}: {x['reason']}", markup=False, highlight=False)
    return result.grid_version_id


def _vote_like_the_simulated_camp(ctx: AppContext, event_id: int, votes: dict[str, list[str]],
                                  ids: dict[str, int], console: Console) -> int:
    """Each simulated attendee clicks "I'm interested" on their pitches, in a shuffled order."""
    clicks = [(voter, pid) for voter, pitches in votes.items() for pid in pitches]
    random.Random(2026).shuffle(clicks)
    people = {voter: f"U0DEMO{n:04d}" for n, voter in enumerate(sorted(votes))}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console) as progress:
        task = progress.add_task("attendees clicking I'm interested", total=len(clicks))
        for voter, pid in clicks:
            toggle_vote(ctx, event_id, people[voter], ids[pid], want=True)
            progress.advance(task)
    return len(clicks)


def run_demo(*, out_dir: Path, solve_seconds: float, console: Console) -> int:
    began = time.monotonic()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # job-store bookkeeping is not the story
    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = out_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    printer = SlackPrinter(console)
    slack = LocalSlack(listener=printer).start()
    try:
        settings = load_settings(database_url=f"sqlite:///{db_file}", slack_api_url=slack.url,
                                 slack_bot_token="xoxb-demo", slack_signing_secret="demo", solve_seconds=solve_seconds,
                                 slack_limits=LOCAL_UNLIMITED)  # the local Slack limits nothing
        spec = read_event_file(EXAMPLES / "localgovcamp.yaml")
        zone = ZoneInfo(spec.event.timezone)
        assert spec.event.date is not None
        clock = DemoClock(datetime(spec.event.date.year, spec.event.date.month, spec.event.date.day, 8, 30,
                                   tzinfo=zone))
        engine = make_engine(settings.database_url)
        upgrade(engine)
        ctx = AppContext(settings=settings, engine=engine, clock=clock)
        return _the_day(ctx, clock, zone, printer, console, out_dir, solve_seconds, began)
    finally:
        slack.stop()


@dataclass
class Story:
    """The day's narrator: moves the clock, prints the heading, and runs what is due."""

    ctx: AppContext
    clock: DemoClock
    zone: ZoneInfo
    printer: SlackPrinter
    console: Console

    def at(self, hhmm: str | None, title: str) -> None:
        if hhmm:
            self.clock.set_local(self.zone, hhmm)
        self.console.rule(f"[bold]{self.clock.now.astimezone(self.zone):%H:%M}[/bold]  {title}")

    def due_posts(self, hhmm: str, title: str) -> None:
        """What the reminder scheduler would fire at this minute (the same service it calls)."""
        self.at(hhmm, title)
        run_due(self.ctx, notifiers=slack_notifiers(self.ctx))
        self.printer.round_done()

    def publish(self, event_id: int, draft: int, title: str) -> None:
        self.at(None, title)
        publishing.publish(self.ctx, event_id, draft, actor=ORGANISER, notifier=slack_notifiers(self.ctx)(event_id))
        self.printer.round_done()


def _the_day(ctx: AppContext, clock: DemoClock, zone: ZoneInfo, printer: SlackPrinter, console: Console,
             out_dir: Path, solve_seconds: float, began: float) -> int:
    story = Story(ctx, clock, zone, printer, console)
    event = load_event(ctx, read_event_file(EXAMPLES / "localgovcamp.yaml"), actor="demo")
    assert event.id is not None
    event_id = event.id
    story.at(None, f"{event.name}: the event is set up (7 rooms, 5 slots)")
    console.print(voting_plan(event, clock.now).replace("`", ""))
    run_due(ctx, notifiers=slack_notifiers(ctx))  # voting opened yesterday by the window: the scheduler says so
    printer.round_done()

    story.at(None, "pitches arrive and attendees vote")
    pitch_file = read_pitch_file(EXAMPLES / "localgovcamp-pitches.yaml")
    imported = import_pitches(ctx, event_id, pitch_file, with_votes=False, actor="demo")
    console.print(f"{imported.pitches} pitches pitched (the example camp's, hosts not on Slack)")
    clicks = _vote_like_the_simulated_camp(ctx, event_id, pitch_file.votes, imported.pitch_ids, console)
    console.print(f"{clicks} votes from {len(pitch_file.votes)} attendees")
    story.at(None, "attendees off Slack: the ticket list, the link sheet, and a few on the web")
    attendees_on_the_web(ctx, event_id, event.name, EXAMPLES, out_dir, slack_notifiers(ctx),
                         sorted(imported.pitch_ids.values()), console)
    printer.round_done()
    story.due_posts("09:35", "scheduled posts that are due")

    story.due_posts("09:45", "the window ends: voting closes by itself")
    story.at("09:46", "the organisers solve")
    draft = _solve(ctx, event_id, console, kind="solve", seconds=solve_seconds)
    story.publish(event_id, draft, "the organisers publish version 1")
    story.due_posts("09:50", "reminders: 10 minutes before the first slot")

    story.at("12:20", "after lunch the Main hall is lost (a leak); the organisers re-plan")
    closed = replanning.close_room(ctx, event_id, "r1", ["from", "13:00"], actor=ORGANISER)
    console.print(room_change_text(closed, closed=True, markup=False))
    draft = _solve(ctx, event_id, console, kind="replan", seconds=solve_seconds)
    story.publish(event_id, draft, "the organisers publish version 2: changelog, and DMs to those affected")
    story.due_posts("12:50", "reminders for the first afternoon slot")
    story.due_posts("15:50", "the last slot is over")

    written = export_files(ctx, event_id, out_dir, ["html", "ical", "csv", "json", "frab"])
    story.at(None, "the grid off Slack")
    for path in written:
        console.print(f"wrote {path}")
    with session_scope(ctx.engine) as db:
        event_row = db.get(Event, event_id)
        active = len(db.exec(select(Pitch).where(Pitch.event_id == event_id, Pitch.status == "active")).all())
    assert event_row is not None
    calls = ", ".join(f"{n} {m}" for m, n in sorted(printer.methods.items()))
    console.print(f"{active} pitches; Slack calls made: {calls}")
    console.print(f"demo finished in {time.monotonic() - began:.0f} s")
    return 0

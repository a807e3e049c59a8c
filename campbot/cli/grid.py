"""`campbot solve | publish | replan`: the organisers' grid commands on the command line.

They call the same services as the Slack commands do (services/solving.py, publishing.py,
replanning.py), so a camp can be run from a laptop when Slack is down, and every figure the
Slack preview shows is printed here too. `solve --problem FILE` solves a bare problem file
without any database (the bench path).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from sqlmodel import col, select

from campbot.cli.common import err, out, with_context
from campbot.jobs.scheduling import follow_schedule_changes
from campbot.services import pins
from campbot.services.changelog import diff_grids, draft_changes
from campbot.services.errors import ServiceError
from campbot.services.events import get_event
from campbot.services.grid_queries import latest_draft, load_grid
from campbot.services.publishing import publish_with_report
from campbot.services.replanning import close_room as close
from campbot.services.replanning import host_gone as gone
from campbot.services.replanning import split_room_words
from campbot.services.solving import clamp_seconds, last_run_seconds, solve_result, start_solve
from campbot.services.times import slot_label
from campbot.slack.blocks.camp import room_change_text
from campbot.slack.blocks.preview import choice_lines, figures_lines
from campbot.slack.listeners.cards import wait_idle
from campbot.slack.listeners.organiser_grid import publish_text
from campbot.slack.notifier import slack_notifiers
from campbot.slack.slack_text import parse, person_ref
from campbot.store.db import session_scope
from campbot.store.tables import Slot
from scheduler.__main__ import main as scheduler_main


def _parse_at(text: str | None, tz_name: str, day: datetime | None) -> datetime | None:
    """--at: an ISO time ("2026-06-20T12:00", with or without offset) or "HH:MM" on the camp's day."""
    if not text:
        return None
    tz = ZoneInfo(tz_name)
    try:
        if len(text) <= 5 and ":" in text:
            hh, mm = (int(x) for x in text.split(":"))
            if day is None:
                raise ServiceError("the event has no slots, so --at needs a full date and time")
            local = day.astimezone(tz)
            return local.replace(hour=hh, minute=mm, second=0, microsecond=0)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ServiceError(f"--at {text!r}: give a time like 12:30 or 2026-06-20T12:30") from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _print_result(ctx: Any, run_id: int, slug: str) -> int:
    """The draft as an organiser reads it: slot by slot, then the figures beside the baseline."""
    result = solve_result(ctx, run_id)
    if result.status != "done" or result.grid_version_id is None:
        err.print(f"the {result.kind} failed: {result.error}", markup=False, highlight=False)
        return 1
    grid = load_grid(ctx, result.grid_version_id)
    for slot in grid.slots:
        out.print(f"[bold]{slot_label((slot.start, slot.end), grid.tz)}[/bold]", highlight=False)
        for e in grid.entries:
            if e.slot_keys[0] == slot.key:
                hosts = f" — {', '.join(e.hosts)}" if e.hosts else ""
                out.print(f"  {e.room_name}: {e.title}{hosts}", markup=False, highlight=False)
    say = lambda line: out.print(line, markup=False, highlight=False)  # noqa: E731 - plain text, no markup
    say("Highest coverage (the grid above):")
    for line in figures_lines(result.figures):
        say(f"  {line}")
    for x in result.figures.get("left_out") or []:
        say(f"  left out: #{x['pitch_id']} {x['title']}: {x['reason']}")
    for line in draft_changes(ctx, result.grid_version_id):
        say(f"  {line}")
    other = result.room_for_everyone
    for line in choice_lines(result.figures, other.figures if other else None):
        say(line)
    publish = f"campbot publish --event {slug} --run {run_id}"
    if other is not None:
        for change in diff_grids(grid, load_grid(ctx, other.grid_version_id)):
            say(f"  differs: {change.line}")
        say(f"publish the highest-coverage grid with: {publish}")
        say(f"publish the room-for-everyone grid with: {publish} --objective seats")
    else:
        say(f"draft grid from run {run_id}; publish it with: {publish}")
    return 0


CARDS_WAIT_SECONDS = 120.0  # a publish's card updates, paced under Slack's limits, before the command ends
EventOpt = typer.Option(None, "--event", help="Event slug (default: CAMPBOT_EVENT, or the only event).")
DbOpt = typer.Option(None, "--database-url", help="Overrides CAMPBOT_DATABASE_URL.")


def register(app: typer.Typer) -> None:

    @app.command()
    def pin(pitch: str = typer.Argument(..., help="The pitch: #12, 12 or words from its title."),
            places: list[str] = typer.Argument(None, help="A room (r3 or its name) and/or a slot (t2 or 11:00)."),
            event: str = EventOpt, database_url: str = DbOpt) -> None:
        """Pin a pitch to a room and/or a slot; the next solve keeps it there."""
        _pitch_command(event, database_url, lambda ctx, eid: pins.pin_pitch(ctx, eid, pitch, places or [],
                                                                               actor="cli"))

    @app.command()
    def unpin(pitch: str = typer.Argument(..., help="The pitch: #12, 12 or words from its title."),
              event: str = EventOpt, database_url: str = DbOpt) -> None:
        """Let the solver place a pinned pitch freely again."""
        _pitch_command(event, database_url, lambda ctx, eid: pins.unpin_pitch(ctx, eid, pitch, actor="cli"))

    @app.command()
    def exclude(pitch: str = typer.Argument(..., help="The pitch: #12, 12 or words from its title."),
                event: str = EventOpt, database_url: str = DbOpt) -> None:
        """Leave a pitch out of the next solves."""
        _pitch_command(event, database_url,
                       lambda ctx, eid: pins.set_excluded(ctx, eid, pitch, True, actor="cli"))

    @app.command()
    def include(pitch: str = typer.Argument(..., help="The pitch: #12, 12 or words from its title."),
                event: str = EventOpt, database_url: str = DbOpt) -> None:
        """Take an excluded pitch back into the next solves."""
        _pitch_command(event, database_url,
                       lambda ctx, eid: pins.set_excluded(ctx, eid, pitch, False, actor="cli"))

    @app.command()
    def solve(
        problem: Path = typer.Option(None, "--problem", help="Solve a campbot.problem/1 JSON file (no database)."),
        time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds the solver may run."),
        seed: int = typer.Option(1, "--seed", help="Random seed; same seed and workers give the same grid."),
        workers: int = typer.Option(2, "--workers", help="Solver threads."),
        objective: str = typer.Option("coverage", "--objective", help="With --problem: coverage (highest "
                                      "coverage) or seats (room for everyone: seats short no worse than by hand). "
                                      "With --event both grids are made when they differ."),
        out: Path = typer.Option(None, "--out", help="Write the solution JSON here (stdout if not given)."),
        event: str = typer.Option(None, "--event", help="Solve this event's pitches and votes (database)."),
        seconds: float = typer.Option(None, "--seconds", help="With --event: solver seconds "
                                      "(default CAMPBOT_SOLVE_SECONDS)."),
        database_url: str = typer.Option(None, "--database-url", help="Overrides CAMPBOT_DATABASE_URL."),
    ) -> None:
        """Solve the event (--event) into a draft grid, or a problem file (--problem) into a solution file."""
        if problem is not None:

            argv = [str(problem), "--time-limit", str(time_limit), "--seed", str(seed), "--workers", str(workers),
                    "--objective", objective]
            if out:
                argv += ["--out", str(out)]
            raise typer.Exit(scheduler_main(argv))

        raise typer.Exit(with_context(database_url, lambda ctx: _solve_event(ctx, event, seconds, kind="solve")))

    @app.command()
    def publish(
        event: str = typer.Option(None, "--event", help="Event slug (default: CAMPBOT_EVENT, or the only event)."),
        run: int = typer.Option(None, "--run", help="Publish the draft of this solve run (default: the newest)."),
        objective: str = typer.Option("coverage", "--objective", help="Which of the run's grids: coverage "
                                      "(highest coverage, the default) or seats (room for everyone)."),
        database_url: str = typer.Option(None, "--database-url", help="Overrides CAMPBOT_DATABASE_URL."),
    ) -> None:
        """Publish a draft grid as the next version: Slack posts, card updates, changelog and DMs."""

        def go(ctx: Any) -> int:
            ev = get_event(ctx, event)
            assert ev.id is not None
            if objective not in ("coverage", "seats"):
                raise ServiceError(f"--objective {objective!r}: say coverage or seats.")
            draft = latest_draft(ctx, ev.id, run_id=run, objective=objective)
            assert draft.id is not None
            notifier = slack_notifiers(ctx)(ev.id) if ctx.settings.slack_bot_token is not None else None
            ctx = follow_schedule_changes(ctx)
            _, report = publish_with_report(ctx, ev.id, draft.id, actor="cli", notifier=notifier)
            if notifier is not None and not wait_idle(ctx, CARDS_WAIT_SECONDS):
                # the cards go out on their one path, the refresher thread, which dies with this process
                out.print("Some pitch cards are still to be updated; the running bot will finish them.",
                          markup=False, highlight=False)
            if notifier is None:
                out.print(f"Published version {report.number} in the database only: SLACK_BOT_TOKEN is not set, "
                          "so nothing went to Slack. Run this again with the token to send it.",
                          markup=False, highlight=False)
                return 0
            out.print(publish_text(report).replace("`", ""), markup=False, highlight=False)
            for line in report.changelog:
                out.print(f"  {line}", markup=False, highlight=False)
            return 1 if report.failed else 0

        raise typer.Exit(with_context(database_url, go))

    @app.command()
    def replan(
        event: str = typer.Option(None, "--event", help="Event slug (default: CAMPBOT_EVENT, or the only event)."),
        close_room: list[str] = typer.Option([], "--close-room", help="Close this room (key or name) for the "
                                             "rest of the day, or 'r1 from 13:00'; repeat for more."),
        host_gone: list[str] = typer.Option([], "--host-gone", help="This host (Slack id or name) has left; "
                                            "repeat for more."),
        at: str = typer.Option(None, "--at", help="Plan as if it were this time (12:30 on the camp's day, or "
                               "ISO); default now. Slots that started or start within the freeze minutes stay."),
        seconds: float = typer.Option(None, "--seconds", help="Solver seconds (default CAMPBOT_SOLVE_SECONDS)."),
        database_url: str = typer.Option(None, "--database-url", help="Overrides CAMPBOT_DATABASE_URL."),
    ) -> None:
        """Re-plan the rest of the day from the published grid, moving as little as the changes force."""

        def go(ctx: Any) -> int:
            ev = get_event(ctx, event)
            assert ev.id is not None
            when = _parse_at(at, ev.timezone, _first_slot(ctx, ev.id))
            for room in close_room:
                key, slots = split_room_words(ctx, ev.id, room.split())
                change = close(ctx, ev.id, key, slots, at=when, actor="cli")
                out.print(room_change_text(change, closed=True, markup=False), markup=False,
                          highlight=False)
            for who in host_gone:
                person = person_ref(parse(who, escaped=False))
                if person is None:
                    raise ServiceError("--host-gone needs a name or a Slack id.")
                result = gone(ctx, ev.id, person.user_id, person.name, at=when, actor="cli")
                out.print(f"{result.name} is gone; moving or dropping: {', '.join(result.titles)}", markup=False,
                          highlight=False)
            return _solve_event(ctx, event, seconds, kind="replan", at=when)

        raise typer.Exit(with_context(database_url, go))


def _pitch_command(event: str | None, database_url: str | None, action: Any) -> None:

    def go(ctx: Any) -> None:
        ev = get_event(ctx, event)
        out.print(action(ctx, ev.id), markup=False, highlight=False)

    with_context(database_url, go)


def _first_slot(ctx: Any, event_id: int) -> datetime | None:
    with session_scope(ctx.engine) as db:
        slot = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.start))).first()
        return slot.start if slot else None


def _solve_event(ctx: Any, event: str | None, seconds: float | None, *, kind: str,
                 at: datetime | None = None) -> int:
    ev = get_event(ctx, event)
    assert ev.id is not None
    limit = clamp_seconds(ctx, seconds)
    what = "re-planning" if kind == "replan" else "solving"
    last = last_run_seconds(ctx, ev.id, kind)
    took = f" (the last {'re-plan' if kind == 'replan' else 'solve'} took {last:.0f} s)" if last else ""
    out.print(f"{what} {ev.slug}{took}…", markup=False, highlight=False)
    run_id = start_solve(ctx, ev.id, kind=kind, requested_by="cli", seconds=limit, at=at, background=False)
    return _print_result(ctx, run_id, ev.slug)

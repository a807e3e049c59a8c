"""`campbot`: the command line for organisers, hosts and the demo.

Every command turns a known failure (bad file, no event, database unreachable) into one
plain message with the fix and exit code 2; stack traces are for bugs only.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.markup import escape

from campbot.cli import attendees as cli_attendees
from campbot.cli import grid as cli_grid
from campbot.cli.common import DatabaseOption, EventOption, app, err, friendly_errors, out, with_context
from campbot.cli.demo import run_demo
from campbot.config.context import AppContext
from campbot.config.logging_setup import configure_logging
from campbot.config.settings import load_settings
from campbot.jobs.scheduling import scheduled_jobs
from campbot.server.serve import run as serve_until_stopped
from campbot.services.event_file import read_event_file
from campbot.services.events import get_event, load_event
from campbot.services.importing import import_pitches, read_pitch_file
from campbot.services.organising import event_status
from campbot.services.replanning import organiser_closures
from campbot.services.voting import voting_plan
from campbot.slack.blocks.camp import closure_kept_text, status_text
from campbot.slack.outbound.limits import parse_overrides
from campbot.slack.slack_text import decode_entities
from campbot.slack.token_state import token_problem
from campbot.store.migrate import current_revision
from campbot.store.tables import Event
from campbot.web.exports.files import export_files

event_app = typer.Typer(no_args_is_help=True, help="Set the event up.")
db_app = typer.Typer(no_args_is_help=True, help="Database housekeeping.")
app.add_typer(event_app, name="event")
app.add_typer(db_app, name="db")
app.add_typer(cli_attendees.app, name="attendees")


@db_app.command("upgrade")
def db_upgrade(database_url: str = DatabaseOption) -> None:
    """Create or upgrade the database schema to the latest version."""
    ctx = with_context(database_url, lambda c: c)
    out.print(f"database at revision {current_revision(ctx.engine)}")


@event_app.command("load")
def event_load(file: Path, database_url: str = DatabaseOption) -> None:
    """Create or update an event from a YAML file (see examples/localgovcamp.yaml)."""

    def run(ctx: AppContext) -> None:
        spec = read_event_file(file)
        event = load_event(ctx, spec)
        assert event.id is not None
        out.print(f"loaded event [bold]{event.slug}[/bold] ({event.name}): "
                  f"{len(spec.rooms)} rooms, {len(spec.slots)} slots, quota {event.vote_quota}")
        for line in load_notes(ctx, event):
            out.print(line, markup=False, highlight=False)

    with_context(database_url, run)


def load_notes(ctx: AppContext, event: Event) -> list[str]:
    """What a load leaves that the file alone does not say: when voting opens and closes, and
    the rooms an organiser closed in Slack (kept, not silently reopened by the file)."""
    assert event.id is not None
    closures = organiser_closures(ctx, event.id)
    return [voting_plan(event, ctx.now()).replace("`", ""), *(closure_kept_text(c) for c in closures)]


@app.command("import")
def import_cmd(
    file: Path,
    event: str = EventOption,
    votes: bool = typer.Option(True, "--votes/--no-votes", help="Also import the file's votes."),
    database_url: str = DatabaseOption,
) -> None:
    """Import pitches (paper pitches, or a simulated camp) from a YAML/JSON file."""

    def run(ctx: AppContext) -> None:
        spec = read_pitch_file(file)
        ev = get_event(ctx, event)
        assert ev.id is not None
        result = import_pitches(ctx, ev.id, spec, with_votes=votes)
        out.print(f"imported {result.pitches} pitches and {result.votes} votes into {ev.slug}")

    with_context(database_url, run)


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("out"), "--out", help="Where to write the grid files."),
    seconds: float = typer.Option(8.0, "--seconds", help="Solver time per solve."),
) -> None:
    """The whole camp day on the bundled example, SQLite and no Slack account."""

    # A first run's output starts with the story: the migrations of the fresh demo database
    # (alembic logs them at INFO) are not part of it.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with friendly_errors():
        raise typer.Exit(run_demo(out_dir=out_dir, solve_seconds=seconds, console=out))


@app.command()
def status(event: str = EventOption, database_url: str = DatabaseOption) -> None:
    """The camp at a glance, like `/camp status`, with its scheduled jobs. Exit 1 when the
    camp cannot reach Slack (its bot token was revoked, or it is not installed)."""

    def run(ctx: AppContext) -> int:
        ev = get_event(ctx, event)
        assert ev.id is not None
        problem = token_problem(ctx, ev)
        text = status_text(event_status(ctx, ev.id), problem).replace("*", "").replace(":warning: ", "WARNING: ")
        out.print(decode_entities(text), markup=False, highlight=False)
        out.print(f"• Scheduled jobs: {len(scheduled_jobs(ctx, ev.id))}", markup=False, highlight=False)
        return 1 if problem else 0

    raise typer.Exit(with_context(database_url, run))


@app.command()
def export(
    formats: list[str] = typer.Argument(None, help="html, ical, csv, json, frab, pitches, pitches-csv (default: all)"),
    event: str = EventOption,
    version: int = typer.Option(None, "--version", help="Published version number (default: the latest)."),
    out_dir: Path = typer.Option(Path("out"), "--out", help="Directory to write the files to."),
    database_url: str = DatabaseOption,
) -> None:
    """Write the published grid as HTML, iCal, CSV, JSON and frab schedule JSON."""

    def run(ctx: AppContext) -> None:
        ev = get_event(ctx, event)
        assert ev.id is not None
        for path in export_files(ctx, ev.id, out_dir, formats or None, number=version):
            out.print(f"wrote {path}")

    with_context(database_url, run)


@app.command()
def serve(
    mode: str = typer.Option(None, "--mode", help="socket (needs SLACK_APP_TOKEN) or http."),
    host: str = typer.Option(None, "--host", help="HTTP mode: address to bind."),
    port: int = typer.Option(None, "--port", help="HTTP mode: port."),
    database_url: str = DatabaseOption,
    workers: int = typer.Option(1, "--workers", min=1, help="HTTP mode: worker processes (gunicorn when > 1)."),
) -> None:
    """Run the Slack bot (and the public grid pages in HTTP mode)."""
    overrides: dict[str, object] = {}
    for key, value in (("mode", mode), ("http_host", host), ("http_port", port), ("database_url", database_url)):
        if value is not None:
            overrides[key] = value
    with friendly_errors():
        raise typer.Exit(serve_until_stopped(load_settings(**overrides), workers=workers))


cli_grid.register(app)


def main() -> None:
    try:
        settings = load_settings()
        parse_overrides(settings.slack_limits)  # Slack's pacing limits: their format is the Slack side's
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error:[/red] bad setting in the environment or .env: {problems}")
        sys.exit(2)
    except ValueError as exc:
        err.print(f"[red]error:[/red] bad setting in the environment or .env: slack_limits: {escape(str(exc))}",
                  markup=True, highlight=False)
        sys.exit(2)
    configure_logging(settings)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

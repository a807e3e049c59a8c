"""What every `campbot` command shares: the Typer app, the consoles, and the one way a known
failure becomes a plain message with exit code 2.

Its own module so the command modules (campbot.cli.main, campbot.cli.grid) can use it without
importing each other; campbot.cli.main imports the command modules and mounts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from campbot.config.context import AppContext, build_context
from campbot.config.settings import Settings, load_settings
from campbot.services.errors import ServiceError
from campbot.services.event_file import EventFileError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="campbot: run the session side of an unconference.")

err = Console(stderr=True)
out = Console()
T = TypeVar("T")

DatabaseOption = typer.Option(None, "--database-url", help="Overrides CAMPBOT_DATABASE_URL.")
EventOption = typer.Option(None, "--event", help="Event slug (default: CAMPBOT_EVENT, or the only event).")


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except (EventFileError, ServiceError) as exc:
        # services write plain text, which may quote what was typed: markup-escaped for rich here
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except OperationalError as exc:
        err.print(f"[red]error:[/red] cannot reach the database ({exc.orig}); check CAMPBOT_DATABASE_URL")
        raise typer.Exit(2) from None


def settings_from(database_url: str | None) -> Settings:
    return load_settings(**({"database_url": database_url} if database_url else {}))


def with_context(database_url: str | None, fn: Callable[[AppContext], T]) -> T:
    with friendly_errors():
        return fn(build_context(settings_from(database_url)))

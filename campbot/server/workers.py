"""`campbot serve --mode http --workers N`: the HTTP app in N gunicorn worker processes.

One process is one Python interpreter, so one GIL: a camp's morning rush (hundreds of
people clicking within a minute, a solve running) is served better by several processes on
one database. gunicorn's master forks N workers that share the listening socket; each
worker builds its own AppContext (its own engine and pool: connections must never cross a
fork), Bolt app and WSGI app, exactly as `campbot serve` does in one process.

* Migrations run once, in the master (campbot.server.serve.run), before any worker starts.
* Every worker starts the reminder scheduler *paused*; the database lease of campbot.jobs.scheduling makes
  exactly one of them the leader, and another takes over if that worker dies or is
  recycled. Sends are keyed, so even an overlap cannot send twice.
* Workers are campbot.server.http_front.FrontWorker: each runs the buffering front (one asyncio loop
  reads every connection, with deadlines and a socket cap; only complete requests reach the
  app's thread pool). gunicorn's own sync/gthread workers give a thread to each connection
  while it is still being read, so a few dozen slow clients (slowloris) starve them; see the
  docstring of campbot.server.http_front. Bolt's own listener pool runs the after-ack work.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from campbot.config.context import build_context
from campbot.config.settings import Settings
from campbot.server.background import start_jobs
from campbot.server.http_app import make_wsgi_app
from campbot.slack.app import build_app

log = logging.getLogger(__name__)

_stops: list[Any] = []  # this worker's scheduler stop (set in the worker by load())


def worker_app(settings: Settings) -> Any:
    """The WSGI app of one worker process (called after the fork)."""
    ctx = build_context(settings, migrate=False)
    bolt_app = build_app(ctx)
    _stops.append(start_jobs(ctx))
    return make_wsgi_app(ctx, bolt_app)


def _worker_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the worker: hand the scheduler lease over at a clean exit."""
    while _stops:
        try:
            _stops.pop()()
        except Exception:  # noqa: BLE001 - exiting anyway; the lease expires by itself
            log.exception("stopping the scheduler failed")


class CampbotGunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn driven from Python (no config file, no argv): options from Settings."""

    def __init__(self, settings: Settings, workers: int):
        self.settings = settings  # FrontWorker reads its limits from here
        self.options = {
            "bind": f"{settings.http_host}:{settings.http_port}",
            "workers": workers,
            "worker_class": "campbot.server.http_front.FrontWorker",
            "backlog": 2048,
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": settings.log_level.lower(),
            "worker_exit": _worker_exit,
            "proc_name": "campbot",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return worker_app(self.settings)


def run_workers(settings: Settings, workers: int) -> int:
    """Serve with `workers` processes until interrupted (SIGINT/SIGTERM to the master).
    The caller (campbot.server.serve.run) has migrated the database and closed its own connections."""
    print(
        f"campbot: serving on http://{settings.http_host}:{settings.http_port}/slack/events "
        f"with {workers} worker processes (Ctrl-C to stop)",
        flush=True,
    )
    CampbotGunicorn(settings, workers).run()
    return 0

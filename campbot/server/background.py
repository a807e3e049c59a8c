"""The job scheduler that every serving process starts beside its HTTP or Socket Mode face.

Its own module because both `campbot serve` (campbot.server.serve, one process) and each
gunicorn worker (campbot.server.workers) start it, and serve also starts the workers: with the
start here, neither of those two imports the other's caller.
"""

from __future__ import annotations

from collections.abc import Callable

from campbot.config.context import AppContext
from campbot.jobs.scheduling import start_scheduler
from campbot.slack.notifier import slack_notifiers


def start_jobs(ctx: AppContext) -> Callable[[], None]:
    """Start this process's reminder scheduler (paused until it holds the database lease, see
    campbot.jobs.scheduling), telling people through Slack; returns the stop that hands the lease
    over at a clean exit."""
    return start_scheduler(ctx, notifiers=slack_notifiers(ctx)).stop

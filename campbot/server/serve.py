"""`campbot serve`: run the bot in Socket Mode or HTTP mode until interrupted.

Socket Mode needs SLACK_APP_TOKEN (xapp-...) and no public URL; HTTP mode serves
campbot.server.http_app on host:port behind the buffering front of campbot.server.http_front (slow clients cost a
socket, never an app thread) and needs SLACK_SIGNING_SECRET. Both need
SLACK_BOT_TOKEN and a loaded event. The reminder scheduler starts too (campbot.server.background).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler

from campbot.config.context import build_context
from campbot.config.settings import Mode, Settings
from campbot.server.background import start_jobs
from campbot.server.http_app import make_wsgi_app
from campbot.server.http_front import FrontLimits, FrontServer, limits_from
from campbot.server.workers import run_workers
from campbot.services.errors import NotFound
from campbot.services.events import get_event
from campbot.slack.app import build_app
from campbot.slack.oauth import oauth_enabled
from campbot.slack.outbound.limits import parse_overrides
from campbot.slack.requests_seen import forget_old

log = logging.getLogger(__name__)


class ServeError(Exception):
    """A setting is missing or wrong; the message names it and says how to fix it."""


def make_http_server(wsgi_app: Any, host: str, port: int, limits: FrontLimits | None = None) -> FrontServer:
    """A bound-but-not-serving HTTP server (port 0 picks a free one: see server_port): the
    buffering front of campbot.server.http_front, so slow clients cannot hold up Slack's requests."""
    return FrontServer(wsgi_app, host, port, limits)


def check_settings(settings: Settings) -> None:
    try:  # the pacing limits' format, now rather than at the first send
        parse_overrides(settings.slack_limits)
    except ValueError as exc:
        raise ServeError(f"CAMPBOT_SLACK_LIMITS: {exc}") from None
    if settings.slack_bot_token is None and not (settings.mode == Mode.http and oauth_enabled(settings)):
        raise ServeError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-..., from the Slack app's OAuth page).")
    if settings.mode == Mode.socket and settings.slack_app_token is None:
        raise ServeError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-..., scope "
            "connections:write). Or run HTTP mode: campbot serve --mode http --port 3000"
        )
    if settings.mode == Mode.http and settings.slack_signing_secret is None:
        raise ServeError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests come from Slack "
            "(Slack app settings > Basic Information > Signing Secret)."
        )


def run(settings: Settings, *, workers: int = 1) -> int:
    """Serve until Ctrl-C. Returns the process exit code (2 for a configuration problem).
    HTTP mode with workers > 1 runs gunicorn worker processes (campbot.server.workers)."""
    logging.getLogger().setLevel(settings.log_level.upper())
    try:
        check_settings(settings)
    except ServeError as exc:
        log.error("%s", exc)
        print(f"error: {exc}")
        return 2
    ctx = build_context(settings)
    try:
        event = get_event(ctx)
    except NotFound as exc:
        print(f"error: {exc}")
        return 2
    if settings.mode == Mode.http and workers > 1:
        forget_old(ctx)
        ctx.engine.dispose()  # no connection may cross the fork
        return run_workers(settings, workers)
    bolt_app = build_app(ctx)
    forget_old(ctx)  # replay keys older than any signature window
    stop_scheduler = start_jobs(ctx)
    try:
        if settings.mode == Mode.socket:
            assert settings.slack_app_token is not None
            print(f"campbot: serving {event.name} over Socket Mode (Ctrl-C to stop)")
            SocketModeHandler(bolt_app, settings.slack_app_token.get_secret_value()).start()
        else:
            server = make_http_server(
                make_wsgi_app(ctx, bolt_app), settings.http_host, settings.http_port, limits_from(settings)
            )
            print(
                f"campbot: serving {event.name} on http://{settings.http_host}:{server.server_port}"
                f"/slack/events (Ctrl-C to stop)"
            )
            try:
                server.serve_forever()
            finally:
                server.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        stop_scheduler()
        ctx.engine.dispose()
    return 0


def serve_in_thread(
    wsgi_app: Any, host: str = "127.0.0.1", port: int = 0, limits: FrontLimits | None = None
) -> tuple[FrontServer, threading.Thread]:
    """Serve `wsgi_app` from a background thread (tests, embedding); stop with server.shutdown()."""
    server = make_http_server(wsgi_app, host, port, limits)
    thread = threading.Thread(target=server.serve_forever, name="campbot-http", daemon=True)
    thread.start()
    server.wait_ready()
    return server, thread

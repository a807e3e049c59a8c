"""The HTTP face of the bot, as one WSGI app.

    POST /slack/events   -> Bolt (signature checked by Bolt: bad/stale/missing -> 401)
    GET  /healthz        -> 200 "ok" when the database answers, 503 otherwise
    anything else        -> the web face (campbot.web.app): attendee pages, grid pages, open data

It is plain WSGI so `campbot serve --mode http` can run it behind campbot.server.http_front (which
buffers whole requests first) and a deployment can run it under gunicorn:
`gunicorn -k campbot.server.http_front.FrontWorker 'campbot.server.http_app:create_app()'`
(settings from the environment as for `campbot serve`; the reminder scheduler is started
by `campbot serve` only, so run one of those too, or rely on its lease to pick a leader).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from campbot.config.context import AppContext, build_context
from campbot.config.settings import Mode, load_settings
from campbot.jobs.scheduling import follow_schedule_changes
from campbot.services.notifier import NotifierFactory
from campbot.slack.app import build_app
from campbot.slack.notifier import slack_notifiers
from campbot.slack.request_guard import BAD_SHAPE, MAX_BODY_BYTES, TOO_LARGE, Refusal, check
from campbot.store.db import checkout_budget, read_only
from campbot.web.app import create_web_app

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_BUDGET_SECONDS = 2.0  # a read that cannot even get a pooled connection in this long is unhealthy
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class CampbotWeb:
    """Routes Slack's endpoint to Bolt, /healthz to a database ping, the rest to `fallback`."""

    def __init__(self, ctx: AppContext, bolt_app: App):
        self.ctx = ctx
        self.bolt = SlackRequestHandler(bolt_app, path=SLACK_PATH)
        secret = ctx.settings.slack_signing_secret
        self.secret = secret.get_secret_value() if secret is not None else None
        self.fallback: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only")
            refused = self._guard(environ)
            if refused is not None:  # unsigned (401), a body Bolt would choke on (400), too big (413)
                return _plain(start_response, refused.status, refused.reason)
            try:
                return self.bolt(environ, start_response)
            except ValueError:  # a body Bolt cannot parse (e.g. payload= that is not JSON)
                log.warning("unparseable Slack request body")
                return _plain(start_response, "400 Bad Request", "bad request")
            except Exception:  # Bolt answers errors itself; this is the last guard against a 500 page
                log.exception("Slack request failed")
                return _plain(start_response, "500 Internal Server Error", "error")
        if path in OAUTH_PATHS and method == "GET" and self.bolt.app.oauth_flow is not None:
            return self.bolt(environ, start_response)  # Slack OAuth install/redirect (campbot.slack.oauth)
        if path == "/healthz":
            return self._health(start_response)
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        return _plain(start_response, "404 Not Found", "Not Found")

    def _guard(self, environ: WSGIEnvironment) -> Refusal | None:
        """Read the body once, check it (campbot.slack.request_guard), and put it back for Bolt."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return BAD_SHAPE
        if length > MAX_BODY_BYTES:
            return TOO_LARGE
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        return check(self.secret, body, headers)

    def _health(self, start_response: StartResponse) -> list[bytes]:
        try:
            with checkout_budget(HEALTH_BUDGET_SECONDS), read_only(self.ctx.engine).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check: database unavailable: %s", type(exc).__name__)
            return _plain(start_response, "503 Service Unavailable", "database unavailable")
        return _plain(start_response, "200 OK", "ok")


def mount_web(wsgi_app: CampbotWeb, ctx: AppContext, notifiers: NotifierFactory | None = None) -> None:
    """Serve the web face (campbot.web.app: the attendee pages, and the public grid pages and
    open data under /grid, /ical and /data) for every path but Slack's and /healthz. Its votes
    and pitches reach the Slack cards through `notifiers` (Slack's, by default)."""
    wsgi_app.fallback = create_web_app(ctx, notifiers if notifiers is not None else slack_notifiers(ctx))


def make_wsgi_app(ctx: AppContext, bolt_app: App | None = None) -> CampbotWeb:
    """The whole HTTP app for this context (builds the Bolt app unless given one). A publish or a
    changed voting time handled here moves the event's jobs in the shared store at once, whether
    or not this process leads the scheduler."""
    follow_schedule_changes(ctx)
    if bolt_app is None:
        bolt_app = build_app(ctx)
    web = CampbotWeb(ctx, bolt_app)
    mount_web(web, ctx)
    return web


def create_app() -> CampbotWeb:
    """WSGI app factory for gunicorn and friends: settings from the environment."""
    settings = load_settings(mode=Mode.http)
    return make_wsgi_app(build_context(settings))

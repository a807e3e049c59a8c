"""The web face: the attendee pages (sign in by personal link, pitch, vote, my day) and the
public grid and open-data exports, as one WSGI app served beside Slack's endpoint.

Why Flask: the pages need sessions, forms, templates with autoescape and a URL map, and
Flask's are small, well known and run under the same WSGI servers as the rest of campbot
(campbot.server.http_app mounts this for every path but /slack/events and /healthz). The
attendee pages call the same services as the Slack listeners (campbot.services.pitching,
voting, home, board, my_day) and never Slack itself: when a vote or an edit changes what a
Slack card shows, they tell the event's notifier (a NotifierFactory handed in by the server),
which redraws the card on the one path every card update takes.

Routes here (the exports under /grid, /ical and /data are campbot.web.exports, unchanged):

    GET  /me/<token>                 sign in with a personal link, then 303 to /me
    GET  /me                         your votes and quota, your pitches, links
    GET  /me/day                     your sessions once a grid is published, with changes
    GET  /pitches                    the list: search (?q=), tag (?tag=), interest toggles
    POST /pitches/<id>/vote          toggle your interest (want=1 or 0)
    GET/POST /pitches/new            pitch a session
    GET/POST /pitches/<id>/edit      change your pitch (hosts only)
    GET/POST /pitches/<id>/withdraw  withdraw it, after a confirmation page
    POST /signout                    forget this browser's session
    GET  /static/site.css            the one stylesheet

Every POST is rate limited per client and must carry the session's CSRF token; every HTML
answer carries a Content-Security-Policy with no script at all, `no-store` and no Referer
(a personal link must never leak into another site's logs).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, g, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from campbot.config.context import AppContext
from campbot.services.attendee_links import derive_key, signing_key
from campbot.services.attendees import get_attendee
from campbot.services.errors import NotFound
from campbot.services.events import get_event
from campbot.services.exporting import loaders_for
from campbot.services.notifier import NotifierFactory
from campbot.web import pages
from campbot.web.exports.wsgi import make_export_app
from campbot.web.face import WebFace, client_key, too_many
from campbot.web.guard import (
    CSRF_FIELD,
    SESSION_ATTENDEE,
    SESSION_CSRF,
    SESSION_VERSION,
    Limit,
    RateLimiter,
    csrf_matches,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
EXPORT_PATHS = re.compile(r"/(grid|ical|data)(/.*)?")
SIGN_IN_LIMIT = Limit(burst=20, per_seconds=60)  # failed links per address; one good link's openings
WRITE_LIMIT = Limit(burst=30, per_seconds=60)  # per signed-in attendee (else per address): far above a person
MAX_FORM_BYTES = 64 * 1024  # the longest honest pitch form is under 4 KB
SESSION_DAYS = 30  # people vote the week before the camp and look at their day on it


def _load_attendee(face: WebFace) -> None:
    """Who this browser is signed in as (g.attendee), or nobody. A session whose link was
    revoked since is cleared, and g.revoked says so, so the page can say the link stopped."""
    g.attendee = None
    g.revoked = False
    attendee_id, version = session.get(SESSION_ATTENDEE), session.get(SESSION_VERSION)
    if not isinstance(attendee_id, int) or not isinstance(version, int):
        return
    attendee = get_attendee(face.ctx.engine, attendee_id)
    if attendee is None or attendee.token_version != version:
        session.clear()
        g.revoked = True
        return
    g.attendee = attendee


def create_web_app(
    ctx: AppContext,
    notifiers: NotifierFactory,
    *,
    sign_in_limit: Limit = SIGN_IN_LIMIT,
    write_limit: Limit = WRITE_LIMIT,
) -> WSGIApplication:
    """The web face as one WSGI app: the attendee pages, and the exports of the configured (or
    only) event under /grid, /ical and /data when an event is loaded."""
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    master = signing_key(ctx.engine, ctx.settings.web_secret)
    app.config.update(
        SECRET_KEY=derive_key(master, "web-session"),
        SESSION_COOKIE_NAME="campbot_session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=SESSION_DAYS),
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_BYTES,
    )
    face = WebFace(ctx, notifiers, master, RateLimiter(sign_in_limit), RateLimiter(write_limit),
                   RateLimiter(sign_in_limit))
    app.extensions["campbot"] = face

    @app.before_request
    def guard() -> Response | None:
        _load_attendee(face)
        if request.method == "POST" and request.url_rule is not None:  # no such page: a plain 404, not a form error
            wait = face.write_limiter.take(client_key())
            if wait > 0:
                return too_many(wait)
            if not csrf_matches(session.get(SESSION_CSRF), request.form.get(CSRF_FIELD)):
                return Response(render_template(
                    "message.html", title="This form has expired",
                    message="For your safety we could not accept that form: it was opened in another "
                            "session or has expired. Go back, reload the page and try again."), status=400)
        return None

    try:
        camp_name: str | None = get_event(ctx).name
    except NotFound:
        camp_name = None

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"camp_name": camp_name, "attendee": g.get("attendee"), "csrf_token": session.get(SESSION_CSRF, ""),
                "csrf_field": CSRF_FIELD}

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        words = {404: ("Page not found", "There is nothing at this address. Check it, or start from the pitches."),
                 405: ("Not allowed", "That page can't be used that way."),
                 413: ("Too much text", "That form had more text than any pitch needs. Shorten it and try again.")}
        title, message = words.get(code, ("Something went wrong", "Please try again."))
        return Response(render_template("message.html", title=title, message=message), status=code)

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Response:
        log.exception("web page failed: %s %s", request.method, request.path)
        return Response(render_template("message.html", title="Something went wrong",
                                        message="Sorry, this page could not be made. Please try again."), status=500)

    pages.register(app)
    proxies = ctx.settings.trusted_proxies
    if proxies:  # the client's address from the proxies' X-Forwarded-For, for the rate limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return _with_exports(app.wsgi_app, ctx)


def _with_exports(pages_app: WSGIApplication, ctx: AppContext) -> WSGIApplication:
    """/grid, /ical and /data go to the export app (read-only, its own headers and ETags);
    everything else to the pages. Without an event loaded the exports answer from the pages' 404."""
    try:
        event = get_event(ctx)
    except NotFound:
        exports: WSGIApplication | None = None
    else:
        assert event.id is not None
        loaders = loaders_for(ctx, event.id)
        exports = make_export_app(loaders.view, loaders.person, loaders.pitches, clock=ctx.now,
                                  base_url=ctx.settings.public_url)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if exports is not None and EXPORT_PATHS.fullmatch(path):
            return exports(environ, start_response)
        return pages_app(environ, start_response)

    return app


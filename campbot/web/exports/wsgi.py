"""The published grid and its open data, read-only, as a Flask app.

It owns no state: three loaders, supplied by the caller, fetch a :class:`GridView` (latest
when given ``None``, or a numbered version), a person's feed (display name and session ids,
by an opaque token), and the pitch list.  campbot.web.app mounts it under the attendee pages
for /grid, /ical and /data; the tests and any other host can serve it alone (it is a WSGI app).

Routes (GET and HEAD only; anything else on a known route is 405 with ``Allow: GET, HEAD``):

====================================  ==============================================
``/grid``, ``/grid?mode=screen``      latest grid, print/phone page or big screen
``/grid/<version>``                   one published version
``/ical/event.ics``                   the whole event (iCal)
``/ical/person/<token>.ics``          one person's voted and hosted sessions
``/data/grid.csv``, ``/data/grid.json``  open data of the latest grid
``/data/schedule.json``               frab/pretalx schedule JSON
``/data/pitches.csv``, ``.json``      the pitch list
====================================  ==============================================

Responses carry an ETag (a 304 answers a matching ``If-None-Match``, which calendar apps
polling every few minutes use), ``no-cache`` so a re-plan shows up at once, and a
Content-Security-Policy that allows no script at all on the HTML pages.  Error pages are the
same small template for every status (``templates/plain_message.html``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from campbot.web.exports.csv_export import render_grid_csv, render_pitches_csv
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.grid_view import GridView, PitchListItem
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import render_event_ical, render_person_ical
from campbot.web.exports.json_export import render_grid_json, render_pitches_json
from campbot.web.templating import TEMPLATES

log = logging.getLogger(__name__)

ViewLoader = Callable[[int | None], GridView | None]
PersonLoader = Callable[[str], tuple[str, frozenset[str]] | None]
PitchesLoader = Callable[[], list[PitchListItem]]

HTML = "text/html; charset=utf-8"
ICAL = "text/calendar; charset=utf-8"
CSV = "text/csv; charset=utf-8"
JSON = "application/json"

HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
NOT_PUBLISHED = "The grid isn't published yet"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
MAX_VERSION = 999_999_999  # nine digits, as before: /grid/<a longer number> is simply not found
READ_ONLY = ["GET", "HEAD"]


class _Refusal(Exception):
    """A page that is not there (yet): status, title and message for the plain error page."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


def _not_published() -> _Refusal:
    return _Refusal(404, NOT_PUBLISHED,
                    "The organisers haven't published the session grid yet. Please check back soon.")


def _text(content_type: str, text: str | bytes, *, filename: str = "", cors: bool = False) -> Response:
    # "replace": a stray lone surrogate in someone's title must not turn the page into a 500.
    body = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    response = Response(body, status=200, content_type=content_type)
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _plain_page(status: int, title: str, message: str) -> Response:
    """The small self-contained error page (404, 405, 500); its text is in a ``<main>`` landmark,
    so a screen reader's "skip to main content" lands on it as on the grid page."""
    body = render_template("plain_message.html", title=title, message=message)
    return Response(body, status=status, content_type=HTML)


def make_export_app(
    load_view: ViewLoader,
    load_person: PersonLoader,
    load_pitches: PitchesLoader,
    *,
    clock: Callable[[], datetime] | None = None,
    base_url: str = "",
) -> WSGIApplication:
    """Build the app.  ``clock`` (tz-aware "now") drives the big screen's Now/Next;
    ``base_url`` (where this app is publicly reachable, e.g. "https://camp.example.org/")
    is written into the frab JSON; when empty, the URL of the incoming request is used."""
    now = clock or (lambda: datetime.now(UTC))
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=None)

    def rule(path: str, endpoint: str, view: Callable[..., Response]) -> None:
        app.add_url_rule(path, endpoint, view, methods=READ_ONLY, provide_automatic_options=False)

    def other_formats() -> list[tuple[str, str]]:
        """Where this app serves the other formats, as seen from the page (mount prefix included)."""
        prefix = request.script_root.rstrip("/")
        return [
            ("Add the whole event to your calendar (iCal)", f"{prefix}/ical/event.ics"),
            ("The grid as a spreadsheet (CSV, GovCamp session sheet)", f"{prefix}/data/grid.csv"),
            ("The grid as open data (JSON)", f"{prefix}/data/grid.json"),
            ("Schedule for conference apps (frab/pretalx JSON)", f"{prefix}/data/schedule.json"),
            ("All pitches (CSV)", f"{prefix}/data/pitches.csv"),
        ]

    def grid(version: int | None = None) -> Response:
        view = load_view(version)
        if view is None:
            if version is None:
                raise _not_published()
            raise _Refusal(404, "No such version", f"There is no published version {version} of the grid.")
        if request.args.get("mode") == "screen":
            return _text(HTML, render_grid_html(view, mode="screen", now=now()))
        return _text(HTML, render_grid_html(view, links=other_formats()))

    def latest(render: Callable[[GridView], str | bytes], content_type: str, filename: str) -> Response:
        view = load_view(None)
        if view is None:
            raise _not_published()
        return _text(content_type, render(view), filename=filename, cors=True)

    def person(token: str) -> Response:
        if not _TOKEN.fullmatch(token):
            raise _Refusal(404, "Not found", "There is nothing at this address.")
        found = load_person(token)
        if found is None:
            raise _Refusal(404, "Unknown calendar", "This personal calendar link is not valid.")
        view = load_view(None)
        if view is None:
            raise _not_published()
        name, session_ids = found
        response = Response(render_person_ical(view, session_ids, name), status=200, content_type=ICAL)
        response.headers["Content-Disposition"] = f'inline; filename="{view.event_slug}-mine.ics"'
        return response

    def schedule() -> Response:
        # frab apps want absolute links; without a configured base URL, use the one we were reached at.
        base = base_url or request.url_root
        return latest(lambda v: render_frab_json(v, base_url=base), JSON, "schedule.json")

    rule("/grid", "grid", grid)
    rule(f"/grid/<int(max={MAX_VERSION}):version>", "grid_version", grid)
    rule("/ical/event.ics", "event_ical", lambda: latest(render_event_ical, ICAL, "event.ics"))
    rule("/ical/person/<token>.ics", "person_ical", person)
    rule("/data/grid.csv", "grid_csv", lambda: latest(render_grid_csv, CSV, "grid.csv"))
    rule("/data/grid.json", "grid_json", lambda: latest(render_grid_json, JSON, "grid.json"))
    rule("/data/schedule.json", "schedule", schedule)
    rule("/data/pitches.json", "pitches_json",
         lambda: _text(JSON, render_pitches_json(load_pitches()), filename="pitches.json", cors=True))
    rule("/data/pitches.csv", "pitches_csv",
         lambda: _text(CSV, render_pitches_csv(load_pitches()), filename="pitches.csv", cors=True))

    @app.errorhandler(_Refusal)
    def refused(exc: _Refusal) -> Response:
        return _plain_page(exc.status, exc.title, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.code == 405:
            response = _plain_page(405, "Method not allowed", "These pages are read-only: use GET.")
            response.headers["Allow"] = "GET, HEAD"
            return response
        return _plain_page(exc.code or 500, "Not found", "There is nothing at this address.")

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Response:
        log.exception("export failed for %s", request.path)
        return _plain_page(500, "Something went wrong", "Sorry, this page could not be made. Please try again.")

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = HTML_CSP
        if response.status_code == 200:
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
            response.headers["Cache-Control"] = "no-cache"
            response.make_conditional(request)  # a matching If-None-Match: 304, no body
        else:
            response.headers["Cache-Control"] = "no-store"
        return response

    return _tolerate_trailing_slash(app.wsgi_app)


def _tolerate_trailing_slash(app: WSGIApplication) -> WSGIApplication:
    """"/grid/" is "/grid": printed and typed addresses pick up a trailing slash."""

    def tolerant(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if len(path) > 1 and path.endswith("/"):
            environ = {**environ, "PATH_INFO": path.rstrip("/") or "/"}
        return app(environ, start_response)

    return tolerant

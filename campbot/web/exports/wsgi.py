"""A tiny WSGI app that serves the published grid and its open data, read-only.

It is plain WSGI (no framework) so ``campbot serve`` can mount it beside the Slack
endpoint under any server (wsgiref, gunicorn, or uvicorn through a WSGI adapter).  The
app owns no state: three loaders, supplied by the caller, fetch a :class:`GridView`
(latest when given ``None``, or a numbered version), a person's feed (display name and
session ids, by an opaque token), and the pitch list.

Routes (GET and HEAD only; anything else on a known route is 405):

====================================  ==============================================
``/grid``, ``/grid?mode=screen``      latest grid, print/phone page or big screen
``/grid/<version>``                   one published version
``/ical/event.ics``                   the whole event (iCal)
``/ical/person/<token>.ics``          one person's voted and hosted sessions
``/data/grid.csv``, ``/data/grid.json``  open data of the latest grid
``/data/schedule.json``               frab/pretalx schedule JSON
``/data/pitches.csv``, ``.json``      the pitch list
====================================  ==============================================

Responses carry an ETag (a 304 answers a matching ``If-None-Match``, which calendar
apps polling every few minutes use), ``no-cache`` so a re-plan shows up at once, and a
Content-Security-Policy that allows no script at all on the HTML pages.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment
from wsgiref.util import application_uri

from campbot.web.exports.csv_export import render_grid_csv, render_pitches_csv
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.grid_view import GridView, PitchListItem
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import render_event_ical, render_person_ical
from campbot.web.exports.json_export import render_grid_json, render_pitches_json

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
_STATUS = {
    200: "200 OK",
    304: "304 Not Modified",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    500: "500 Internal Server Error",
}


@dataclass
class Response:
    """What a route returns; the app adds the common headers."""

    status: int
    content_type: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def _page(title: str, message: str) -> bytes:
    """A small, self-contained HTML page for errors (404, 405, 500); its text is in a ``<main>``
    landmark, so a screen reader's "skip to main content" lands on it as on the grid page."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font:18px/1.4 system-ui,sans-serif;color:#111;background:#fff;margin:2rem}</style>"
        f"</head><body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>\n"
    ).encode()


def _not_found(title: str = "Not found", message: str = "There is nothing at this address.") -> Response:
    return Response(404, HTML, _page(title, message), [("Content-Security-Policy", HTML_CSP)])


def _not_published() -> Response:
    return _not_found(NOT_PUBLISHED, "The organisers haven't published the session grid yet. Please check back soon.")


def _text(content_type: str, text: str, *, filename: str = "", cors: bool = False) -> Response:
    headers: list[tuple[str, str]] = []
    if filename:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    if cors:
        headers.append(("Access-Control-Allow-Origin", "*"))
    if content_type == HTML:
        headers.append(("Content-Security-Policy", HTML_CSP))
    # "replace": a stray lone surrogate in someone's title must not turn the page into a 500.
    return Response(200, content_type, text.encode("utf-8", "replace"), headers)


def make_export_app(
    load_view: ViewLoader,
    load_person: PersonLoader,
    load_pitches: PitchesLoader,
    *,
    clock: Callable[[], datetime] | None = None,
    base_url: str = "",
) -> WSGIApplication:
    """Build the WSGI app.  ``clock`` (tz-aware "now") drives the big screen's Now/Next;
    ``base_url`` (where this app is publicly reachable, e.g. "https://camp.example.org/")
    is written into the frab JSON; when empty, the URL of the incoming request is used."""
    now = clock or (lambda: datetime.now(UTC))

    def other_formats(environ: WSGIEnvironment) -> list[tuple[str, str]]:
        """Where this app serves the other formats, as seen from the page (mount prefix included)."""
        prefix = environ.get("SCRIPT_NAME", "").rstrip("/")
        return [
            ("Add the whole event to your calendar (iCal)", f"{prefix}/ical/event.ics"),
            ("The grid as a spreadsheet (CSV, GovCamp session sheet)", f"{prefix}/data/grid.csv"),
            ("The grid as open data (JSON)", f"{prefix}/data/grid.json"),
            ("Schedule for conference apps (frab/pretalx JSON)", f"{prefix}/data/schedule.json"),
            ("All pitches (CSV)", f"{prefix}/data/pitches.csv"),
        ]

    def grid(version: int | None, query: dict[str, list[str]], environ: WSGIEnvironment) -> Response:
        view = load_view(version)
        if view is None:
            if version is None:
                return _not_published()
            return _not_found("No such version", f"There is no published version {version} of the grid.")
        if query.get("mode", [""])[0] == "screen":
            return _text(HTML, render_grid_html(view, mode="screen", now=now()))
        return _text(HTML, render_grid_html(view, links=other_formats(environ)))

    def latest(render: Callable[[GridView], str | bytes], content_type: str, filename: str) -> Response:
        view = load_view(None)
        if view is None:
            return _not_published()
        out = render(view)
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        return _text(content_type, text, filename=filename, cors=True)

    def person(token: str) -> Response:
        if not _TOKEN.fullmatch(token):
            return _not_found()
        found = load_person(token)
        if found is None:
            return _not_found("Unknown calendar", "This personal calendar link is not valid.")
        view = load_view(None)
        if view is None:
            return _not_published()
        name, session_ids = found
        body = render_person_ical(view, session_ids, name)
        return Response(200, ICAL, body, [("Content-Disposition", f'inline; filename="{view.event_slug}-mine.ics"')])

    def route(path: str, query: dict[str, list[str]], environ: WSGIEnvironment) -> Response | None:
        """The response for ``path``, or None when no route matches."""
        if path == "/grid":
            return grid(None, query, environ)
        if m := re.fullmatch(r"/grid/(\d{1,9})", path):
            return grid(int(m.group(1)), query, environ)
        if path == "/ical/event.ics":
            return latest(render_event_ical, ICAL, "event.ics")
        if m := re.fullmatch(r"/ical/person/([^/]+)\.ics", path):
            return person(m.group(1))
        if path == "/data/grid.csv":
            return latest(render_grid_csv, CSV, "grid.csv")
        if path == "/data/grid.json":
            return latest(render_grid_json, JSON, "grid.json")
        if path == "/data/schedule.json":
            # frab apps want absolute links; without a configured base URL, use the one we were reached at.
            base = base_url or application_uri(environ)
            return latest(lambda v: render_frab_json(v, base_url=base), JSON, "schedule.json")
        if path == "/data/pitches.json":
            return _text(JSON, render_pitches_json(load_pitches()), filename="pitches.json", cors=True)
        if path == "/data/pitches.csv":
            return _text(CSV, render_pitches_csv(load_pitches()), filename="pitches.csv", cors=True)
        return None

    def is_route(path: str) -> bool:
        return bool(
            re.fullmatch(
                r"/grid(/\d{1,9})?|/ical/event\.ics|/ical/person/[^/]+\.ics"
                r"|/data/(grid\.csv|grid\.json|schedule\.json|pitches\.json|pitches\.csv)",
                path,
            )
        )

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        if len(path) > 1:
            path = path.rstrip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if method not in ("GET", "HEAD"):
            if is_route(path):
                response = Response(
                    405,
                    HTML,
                    _page("Method not allowed", "These pages are read-only: use GET."),
                    [("Allow", "GET, HEAD")],
                )
            else:
                response = _not_found()
        else:
            try:
                response = route(path, query, environ) or _not_found()
            except Exception:
                log.exception("export failed for %s", path)
                response = Response(
                    500, HTML, _page("Something went wrong", "Sorry, this page could not be made. Please try again.")
                )
        return _send(environ, start_response, method, response)

    return app


def _send(environ: WSGIEnvironment, start_response: StartResponse, method: str, response: Response) -> Iterable[bytes]:
    body = response.body
    headers = [("Content-Type", response.content_type), ("X-Content-Type-Options", "nosniff"), *response.headers]
    status = response.status
    if status == 200:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers += [("ETag", etag), ("Cache-Control", "no-cache")]
        wanted = [t.strip() for t in environ.get("HTTP_IF_NONE_MATCH", "").split(",")]
        if etag in wanted or "*" in wanted:
            status, body = 304, b""
            headers = [h for h in headers if h[0] in ("ETag", "Cache-Control")]
    else:
        headers.append(("Cache-Control", "no-store"))
    headers.append(("Content-Length", str(len(body))))
    start_response(_STATUS[status], headers)
    return [] if method == "HEAD" or status == 304 else [body]

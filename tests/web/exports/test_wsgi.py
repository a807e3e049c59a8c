"""The export WSGI app over real HTTP: every route, content types, 404s, 405s, caching."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests
from icalendar import Calendar

from campbot.web.exports.wsgi import make_export_app
from tests.web.exports.conftest import PITCHES, at, make_lgc_view
from tests.web.exports.serving import Store, serve


@dataclass
class Server:
    url: str
    store: Store


@pytest.fixture
def server() -> Iterator[Server]:
    store = Store()
    app = make_export_app(
        store.load_view,
        store.load_person,
        store.load_pitches,
        clock=lambda: at(2026, 6, 20, 11, 20),
        base_url="https://camp.example.org",
    )
    with serve(app) as url:
        yield Server(url, store)


@pytest.fixture
def published(server: Server) -> Server:
    v1 = make_lgc_view(version=1, published_at=at(2026, 6, 20, 8))
    server.store.versions = {1: dataclasses.replace(v1, changelog=()), 2: make_lgc_view(version=2)}
    server.store.people = {"tok_Asha-123": ("Asha Patel", frozenset({"p8", "p13"}))}
    server.store.pitches = list(PITCHES)
    return server


def get(server: Server, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)


@pytest.mark.parametrize(
    "path",
    ["/grid", "/grid/1", "/ical/event.ics", "/data/grid.csv", "/data/grid.json", "/data/schedule.json"],
)
def test_not_published_yet_is_a_friendly_404(server: Server, path: str) -> None:
    response = get(server, path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "published" in response.text


def test_latest_grid_page(published: Server) -> None:
    response = get(published, "/grid")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Version 2, published" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert published.store.asked[-1] is None


def test_grid_page_when_not_published_says_so(server: Server) -> None:
    response = get(server, "/grid")
    assert response.status_code == 404
    assert "The grid isn't published yet" in html.unescape(response.text)


def test_a_numbered_version_and_a_missing_one(published: Server) -> None:
    first = get(published, "/grid/1")
    assert first.status_code == 200 and "Version 1, published" in first.text
    assert "Changes in version" not in first.text
    missing = get(published, "/grid/99")
    assert missing.status_code == 404 and "no published version 99" in missing.text
    assert get(published, "/grid/latest").status_code == 404


def test_big_screen_mode_uses_the_clock(published: Server) -> None:
    response = get(published, "/grid?mode=screen")
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="60">' in response.text
    assert 'class="slot now" id="slot-s2"' in response.text
    assert ">Now<" in response.text and ">Next<" in response.text


def test_event_calendar(published: Server) -> None:
    response = get(published, "/ical/event.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    cal = Calendar.from_ical(response.content)
    assert len(cal.walk("VEVENT")) == 22
    assert {int(str(e["SEQUENCE"])) for e in cal.walk("VEVENT")} == {1}  # version 2 is the latest


def test_person_calendar(published: Server) -> None:
    response = get(published, "/ical/person/tok_Asha-123.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Access-Control-Allow-Origin" not in response.headers
    cal = Calendar.from_ical(response.content)
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == ["lgc26-p13@campbot", "lgc26-p8@campbot"]
    assert str(cal["X-WR-CALNAME"]) == "Asha Patel: LocalGovCamp 2026"
    assert get(published, "/ical/person/nobody.ics").status_code == 404
    assert get(published, "/ical/person/..%2F..%2Fetc.ics").status_code == 404


def test_person_calendar_before_publication(server: Server) -> None:
    server.store.people = {"tok": ("Asha", frozenset({"p1"}))}
    assert get(server, "/ical/person/tok.ics").status_code == 404


def test_open_data_routes(published: Server) -> None:
    csv_response = get(published, "/data/grid.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.text.splitlines()[0].startswith("Year,Time,Session,Room,Capacity,Title")
    assert len(csv_response.text.splitlines()) == 24

    grid = get(published, "/data/grid.json")
    assert grid.headers["Content-Type"] == "application/json"
    assert grid.headers["Access-Control-Allow-Origin"] == "*"
    assert grid.json()["version"] == 2

    schedule = get(published, "/data/schedule.json")
    assert schedule.headers["Content-Type"] == "application/json"
    assert schedule.json()["schedule"]["base_url"] == "https://camp.example.org"

    pitches = get(published, "/data/pitches.json")
    assert pitches.headers["Content-Type"] == "application/json"
    assert [p["id"] for p in pitches.json()["pitches"]] == ["p1", "p3", "p5", "p30"]

    pitches_csv = get(published, "/data/pitches.csv")
    assert pitches_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert pitches_csv.text.startswith("Id,Title,Hosts,Format,Tags,Interested,Status\r\n")


def test_frab_base_url_defaults_to_where_the_app_was_reached() -> None:
    store = Store(versions={2: make_lgc_view()})
    with serve(make_export_app(store.load_view, store.load_person, store.load_pitches)) as url:
        schedule = requests.get(url + "/data/schedule.json", timeout=10).json()["schedule"]
    assert schedule["base_url"] == url + "/"


def test_pitch_list_works_before_any_grid(server: Server) -> None:
    server.store.pitches = list(PITCHES)
    assert get(server, "/data/pitches.json").status_code == 200
    assert json.loads(get(server, "/data/pitches.json").text)["pitches"][0]["id"] == "p1"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_are_405(published: Server, method: str) -> None:
    response = requests.request(method, published.url + "/grid", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert requests.post(published.url + "/data/grid.csv", data="x", timeout=10).status_code == 405


def test_head_has_headers_but_no_body(published: Server) -> None:
    full = get(published, "/data/grid.csv")
    head = requests.head(published.url + "/data/grid.csv", timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(full.content))
    assert head.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_unknown_paths_are_404(published: Server) -> None:
    for path in ("/", "/nope", "/data/secrets.json", "/ical/other.ics", "/grid/1/2"):
        response = get(published, path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert requests.post(published.url + "/nope", timeout=10).status_code == 404


def test_etag_gives_304_until_a_replan(published: Server) -> None:
    first = get(published, "/ical/event.ics")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = get(published, "/ical/event.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    published.store.versions[3] = make_lgc_view(version=3, published_at=at(2026, 6, 20, 13))
    after = get(published, "/ical/event.ics", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_trailing_slash_is_tolerated(published: Server) -> None:
    assert get(published, "/grid/").status_code == 200


def test_a_failing_loader_is_a_500_page_not_a_traceback(published: Server) -> None:
    published.store.fail = True
    response = get(published, "/grid")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "database went away" not in response.text
    assert "Something went wrong" in response.text


def test_grid_page_links_to_the_feeds_it_serves(published: Server) -> None:
    page = get(published, "/grid").text
    for path in ("/ical/event.ics", "/data/grid.csv", "/data/grid.json", "/data/schedule.json"):
        assert f'href="{path}"' in page
        assert get(published, path).status_code == 200


def test_links_respect_the_mount_prefix() -> None:
    store = Store(versions={2: make_lgc_view()})
    app = make_export_app(store.load_view, store.load_person, store.load_pitches)
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(SCRIPT_NAME="/camp", PATH_INFO="/grid")
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append(status)

    body = b"".join(app(environ, start_response))
    assert seen == ["200 OK"]
    assert b'href="/camp/ical/event.ics"' in body

"""The browser harness itself (tests/support/browser.py), on small pages made for it.

The accessibility tests are only worth anything if the harness can fail them, and the
form tests to come (issue 17: pitch and vote in Chromium) need typing and clicking that
really reach the server.  So, through the bot's real HTTP front and a real Chromium:

* a page with known faults gives axe-core's ``image-alt`` (critical), ``color-contrast``
  and ``html-has-lang`` (serious), and :func:`assert_no_severe` fails on it;
* a form is filled in and submitted with the mouse; the server's answer (after a 303
  redirect) shows exactly what was typed, escaped;
* statuses, full-page screenshots at phone and desktop widths, and sideways overflow are
  what they should be.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlencode
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from campbot.server.serve import serve_in_thread
from tests.support.browser import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    Browser,
    assert_no_severe,
    png_size,
    require_axe,
    require_chromium,
    severe,
)

pytestmark = pytest.mark.browser

HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8">' \
       '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title></head>'

FORM = HEAD.format("Pitch a session") + """<body><main><h1>Pitch a session</h1>
<form method="post" action="/form">
  <label for="title">Title</label><input id="title" name="title" value="old text">
  <label for="format">Format</label>
  <select id="format" name="format"><option value="discussion">Discussion</option>
    <option value="workshop">Workshop</option></select>
  <label for="notes">Notes</label><textarea id="notes" name="notes"></textarea>
  <button type="submit" id="send">Send</button>
  <div id="cover" style="display:none"></div>
</form>
<p id="tall" style="height:2000px">A long page.</p>
</main></body></html>"""

BAD = """<!doctype html><html><head><meta charset="utf-8"><title>Faulty</title></head><body><main>
<h1>Faulty page</h1>
<img src="/pixel.gif">
<p style="color:#bbb;background:#fff">Pale grey text on white.</p>
</main></body></html>"""

WIDE = HEAD.format("Too wide") + '<body><main><h1>Too wide</h1><div style="width:900px">x</div></main></body></html>'


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The test pages: a form that redirects to an echo of what it got, a faulty page, a wide one."""
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    html = "text/html; charset=utf-8"
    if path == "/form" and method == "POST":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        start_response("303 See Other", [("Location", "/thanks?" + urlencode(fields)), ("Content-Length", "0")])
        return [b""]
    pages = {"/form": FORM, "/bad": BAD, "/wide": WIDE}
    if path == "/thanks":
        got = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        items = "".join(f'<li id="got-{escape(k)}">{escape(k)}={escape(v)}</li>' for k, v in sorted(got.items()))
        pages[path] = HEAD.format("Thanks") + f"<body><main><h1>Thanks</h1><ul>{items}</ul></main></body></html>"
    if path in pages:
        data = pages[path].encode()
        start_response("200 OK", [("Content-Type", html), ("Content-Length", str(len(data)))])
        return [data]
    data = (HEAD.format("Not found") + "<body><main><h1>Not found</h1></main></body></html>").encode()
    start_response("404 Not Found", [("Content-Type", html), ("Content-Length", str(len(data)))])
    return [data]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server, thread = serve_in_thread(app)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    driver = Browser(require_chromium(), tmp_path_factory.mktemp("chromium-harness"))
    try:
        yield driver
    finally:
        driver.close()


def test_axe_finds_the_faults_of_a_faulty_page(browser: Browser, base_url: str) -> None:
    require_axe()
    assert browser.open(f"{base_url}/bad", DESKTOP_WIDTH) == 200
    found = {v.rule: v for v in browser.axe()}
    assert found["image-alt"].impact == "critical"
    assert found["color-contrast"].impact == "serious"
    assert found["html-has-lang"].impact == "serious"
    assert found["image-alt"].nodes[0][0] == "img"
    assert {v.rule for v in severe(found.values())} >= {"image-alt", "color-contrast", "html-has-lang"}
    with pytest.raises(AssertionError, match=r"(?s)/bad: \d+ critical/serious.*\[critical\] image-alt"):
        assert_no_severe(found.values(), "/bad")


def test_a_clean_page_passes_axe(browser: Browser, base_url: str) -> None:
    assert browser.open(f"{base_url}/form", DESKTOP_WIDTH) == 200
    violations = browser.axe(require_axe())
    assert_no_severe(violations, "/form")


def test_a_form_is_filled_and_submitted_with_the_mouse(browser: Browser, base_url: str) -> None:
    assert browser.open(f"{base_url}/form", PHONE_WIDTH, 844) == 200
    browser.fill("#title", "Tea & <b>biscuits</b> ☕")  # replaces "old text"
    browser.fill("#format", "workshop")
    browser.fill("#notes", "line one")
    status = browser.click("#send", navigates=True)  # POST, then 303 to /thanks
    assert status == 200
    assert browser.evaluate("location.pathname") == "/thanks"
    assert browser.text("#got-title") == "title=Tea & <b>biscuits</b> ☕"
    assert browser.text("#got-format") == "format=workshop"
    assert browser.text("#got-notes") == "notes=line one"
    assert browser.wait_until("document.querySelectorAll('li').length === 3", "three fields echoed") is True


def test_an_emptied_field_is_sent_empty(browser: Browser, base_url: str) -> None:
    browser.open(f"{base_url}/form", DESKTOP_WIDTH)
    browser.fill("#title", "")
    assert browser.click("#send", navigates=True) == 200
    assert browser.text("#got-title") == "title="


def test_a_covered_button_cannot_be_clicked(browser: Browser, base_url: str) -> None:
    browser.open(f"{base_url}/form", DESKTOP_WIDTH)
    browser.evaluate(
        "Object.assign(document.getElementById('cover').style,"
        " {display: 'block', position: 'fixed', inset: '0', background: '#fff'})"
    )
    with pytest.raises(AssertionError, match="cannot be clicked: covered by"):
        browser.click("#send")
    with pytest.raises(LookupError, match="no element matches"):
        browser.click("#nothing")
    with pytest.raises(LookupError, match="has no option"):
        browser.fill("#format", "lecture")


def test_status_screenshots_and_overflow(browser: Browser, base_url: str, tmp_path: Path) -> None:
    assert browser.open(f"{base_url}/missing", DESKTOP_WIDTH) == 404
    assert browser.text("h1") == "Not found"
    browser.open(f"{base_url}/form", PHONE_WIDTH, 844)
    width, height = png_size(browser.screenshot(tmp_path / "phone.png", full_page=True))
    assert width == PHONE_WIDTH and height > 2000  # the whole page, not the first screenful
    assert png_size(browser.screenshot(tmp_path / "top.png")) == (PHONE_WIDTH, 844)
    assert not browser.overflows_sideways()
    browser.open(f"{base_url}/wide", PHONE_WIDTH, 844)
    assert browser.overflows_sideways()
    browser.open(f"{base_url}/wide", DESKTOP_WIDTH, 800)
    assert not browser.overflows_sideways()


def test_an_unreachable_address_is_a_clear_error(browser: Browser) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(RuntimeError, match=f"could not open {url}: net::ERR_CONNECTION_REFUSED"):
        browser.open(url, DESKTOP_WIDTH)

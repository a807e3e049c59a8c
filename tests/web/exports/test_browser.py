"""The HTML grid in a real browser: headless Chromium (Debian's ``chromium``).

Checks what is actually on screen, not just what is in the HTML: the text the browser
renders, that a phone-width window reflows without sideways scrolling, that text has
enough contrast against what is painted behind it, that the big screen shows "Now"
above the fold, and that printing gives one A3 landscape page.  Screenshots (and the
print PDF) are kept in ``test-artifacts/`` at the repo root for a person to look at.

Chromium is required in CI (the ``CI`` environment variable is set there): a missing
browser fails loudly rather than silently skipping the only real-browser test.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from campbot.web.exports.grid_view import GridView
from campbot.web.exports.wsgi import make_export_app
from tests.support.browser import Browser, png_size, require_chromium, run_cli
from tests.web.exports.conftest import PITCHES, at, make_lgc_view
from tests.web.exports.serving import Store, serve

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def view() -> GridView:
    return make_lgc_view()


@pytest.fixture(scope="module")
def base_url(view: GridView) -> Iterator[str]:
    store = Store(versions={view.version: view}, pitches=list(PITCHES))
    app = make_export_app(store.load_view, store.load_person, store.load_pitches, clock=lambda: at(2026, 6, 20, 11, 20))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    driver = Browser(chromium, tmp_path_factory.mktemp("chromium-cdp"))
    try:
        yield driver
    finally:
        driver.close()


# -- helpers -------------------------------------------------------------------------------


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def parse_rgb(css: str) -> tuple[float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)[:3]]
    return numbers[0], numbers[1], numbers[2]


# Colour of an element's text and of the first non-transparent background behind it.
COLOURS_JS = """
(() => {
  const paint = (el) => {
    let bg = 'rgb(255, 255, 255)';
    for (let n = el; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
    }
    return {selector: '', text: el.textContent.trim().slice(0, 40), fg: getComputedStyle(el).color, bg};
  };
  const picks = {};
  for (const sel of SELECTORS) {
    const el = document.querySelector(sel);
    if (el) { picks[sel] = paint(el); }
  }
  return picks;
})()
"""


def colours(browser: Browser, selectors: list[str]) -> dict[str, Any]:
    js = COLOURS_JS.replace("SELECTORS", repr(selectors))
    result: dict[str, Any] = browser.evaluate(js)
    return result


# -- the plain command line, as CI and a person would run it -------------------------------------


def test_cli_screenshot_and_dom_of_the_wall_grid(
    chromium: str, base_url: str, view: GridView, artifacts: Path, tmp_path: Path
) -> None:
    shot = artifacts / "grid.png"
    shot.unlink(missing_ok=True)
    run_cli(chromium, tmp_path / "p1", f"--screenshot={shot}", "--window-size=1600,1000", f"{base_url}/grid")
    data = shot.read_bytes()
    assert png_size(data) == (1600, 1000)
    assert len(data) > 30_000, "the screenshot looks empty"

    dom = run_cli(chromium, tmp_path / "p2", "--dump-dom", f"{base_url}/grid").stdout
    assert "<table" in dom and "<caption>" in dom
    for session in view.sessions:
        assert escape(session.title, quote=False) in dom, session.title
    # The injected script is text in a cell, never an element the browser runs.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom
    assert "Version 2, published" in dom


def test_cli_big_screen_shows_now_and_next(chromium: str, base_url: str, artifacts: Path, tmp_path: Path) -> None:
    shot = artifacts / "grid-screen.png"
    run_cli(
        chromium, tmp_path / "p1", f"--screenshot={shot}", "--window-size=1920,1080", f"{base_url}/grid?mode=screen"
    )
    assert png_size(shot.read_bytes()) == (1920, 1080)
    dom = run_cli(chromium, tmp_path / "p2", "--dump-dom", f"{base_url}/grid?mode=screen").stdout
    assert '<span class="badge">Now</span>' in dom
    assert '<span class="badge">Next</span>' in dom
    assert 'http-equiv="refresh"' in dom


def test_cli_narrow_window(chromium: str, base_url: str, artifacts: Path, tmp_path: Path) -> None:
    shot = artifacts / "grid-narrow.png"
    run_cli(chromium, tmp_path / "p1", f"--screenshot={shot}", "--window-size=400,1000", f"{base_url}/grid")
    assert png_size(shot.read_bytes()) == (400, 1000)


# -- the rendered page, asked over the DevTools protocol ------------------------------------------


def test_wide_window_shows_rooms_across_and_times_down(browser: Browser, base_url: str, view: GridView) -> None:
    browser.open(f"{base_url}/grid", 1600, 1000)
    text = browser.evaluate("document.body.innerText")
    for session in view.sessions:
        assert session.title in text
    assert "continues in" not in text  # the phone layout's notes: the grid itself shows the double session
    assert "<script>alert(1)</script>" in text
    assert browser.evaluate("document.scripts.length") == 0
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Room headers sit left to right in room order; slot headers top to bottom in time order.
    xs = browser.evaluate("[...document.querySelectorAll('th[scope=col]')].map(e => e.getBoundingClientRect().x)")
    ys = browser.evaluate("[...document.querySelectorAll('th[scope=row]')].map(e => e.getBoundingClientRect().y)")
    assert xs == sorted(xs) and len(xs) == 8
    assert ys == sorted(ys) and len(ys) == 5
    # The double session is as tall as the two rows it spans.
    heights = browser.evaluate(
        "[document.getElementById('session-p7'), document.getElementById('slot-s4'),"
        " document.getElementById('slot-s5')].map(e => e.getBoundingClientRect().height)"
    )
    assert heights[0] == pytest.approx(heights[1] + heights[2], abs=2)
    assert text.count("Free") == 12


def test_text_has_enough_contrast(browser: Browser, base_url: str) -> None:
    browser.open(f"{base_url}/grid", 1600, 1000)
    picks = colours(
        browser,
        ["td.session .title", "td.session .hosts", "td.session .meta", "td.free", "thead th .cap", "a.notes",
         "tr.block-row th", "th[scope=row]", "footer p"],
    )  # fmt: skip
    assert len(picks) == 9
    for selector, pick in picks.items():
        ratio = contrast(parse_rgb(pick["fg"]), parse_rgb(pick["bg"]))
        assert ratio >= 4.5, f"{selector} ({pick['text']!r}): {pick['fg']} on {pick['bg']} is only {ratio:.1f}:1"
        assert luminance(parse_rgb(pick["bg"])) > luminance(parse_rgb(pick["fg"])), f"{selector}: not dark on light"


def test_narrow_window_is_a_list_without_sideways_scrolling(browser: Browser, base_url: str, artifacts: Path) -> None:
    browser.open(f"{base_url}/grid", 400, 900)
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.evaluate("getComputedStyle(document.querySelector('table.grid tr.slot')).display") == "block"
    text = browser.evaluate("document.body.innerText")
    # Each session now says which room it is in (the column header is out of sight).
    assert re.search(r"Main Hall\s+What does good digital inclusion look like\?", text)
    assert re.search(r"Room 2\s+Build a service map together", text)
    assert "Free" not in text  # empty rooms are left out of the phone list
    # ... so the slot where the double session goes on says so, rather than being an empty box.
    assert re.search(r"15:05.16:00\s+Build a service map together \(double session\) continues in Room 2 until 16:00",
                     text)
    # Slot sections follow each other down the page.
    tops = browser.evaluate("[...document.querySelectorAll('tr.slot')].map(e => e.getBoundingClientRect().top)")
    assert tops == sorted(tops)
    data = browser.screenshot(artifacts / "grid-phone-full.png", full_page=True)
    width, height = png_size(data)
    assert width == 400 and height > 2000


def test_big_screen_has_now_above_the_fold(browser: Browser, base_url: str) -> None:
    browser.open(f"{base_url}/grid?mode=screen", 1920, 1080)
    badge = browser.evaluate(
        "(() => { const r = document.querySelector('tr.now .badge').getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, text: document.querySelector('tr.now .badge').innerText}; })()"
    )
    assert badge["text"].lower() == "now"
    assert badge["top"] > 0 and badge["bottom"] < 1080
    picks = colours(browser, ["tr.now > th", "tr.next > th", "tr.now td.session .title", ".badge"])
    assert parse_rgb(picks["tr.now > th"]["bg"]) == (255, 233, 138)
    for selector, pick in picks.items():
        assert contrast(parse_rgb(pick["fg"]), parse_rgb(pick["bg"])) >= 4.5, selector
    size = browser.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 20  # large type for the back of the room
    assert "11:05" in browser.evaluate("document.querySelector('tr.now').innerText")


def test_prints_on_one_a3_landscape_page(browser: Browser, base_url: str, artifacts: Path) -> None:
    browser.open(f"{base_url}/grid", 1600, 1000)
    result = browser.call("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    pdf = base64.b64decode(result["data"])
    (artifacts / "grid.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, "the grid should fit on one sheet"
    width, height = (float(v) for v in boxes[0])
    # A3 landscape is 420 x 297 mm = 1190.6 x 841.9 pt.
    assert width == pytest.approx(1190.6, abs=2) and height == pytest.approx(841.9, abs=2)
    # And as the print stylesheet lays it out: the whole grid, on a white page.
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1587, "height": 1123, "deviceScaleFactor": 1, "mobile": False},
        )
        browser.screenshot(artifacts / "grid-print.png")
        assert browser.evaluate("document.querySelectorAll('td.session').length") == 22
    finally:
        browser.call("Emulation.setEmulatedMedia", {"media": ""})


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium()

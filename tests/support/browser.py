"""Headless Chromium for the browser tests, driven from Python on the standard library alone.

Why this shape: the pages must be checked as a person gets them (the real HTTP server, a
real browser, real layout), on a slow shared 2-core machine, with nothing to install but
Debian's ``chromium`` and one locked npm package (axe-core).  So:

* :class:`Browser` speaks the DevTools protocol over ``--remote-debugging-pipe`` (JSON
  messages separated by NUL bytes on file descriptors 3 and 4): no websocket library, no
  driver binary whose version must match the browser's.
* Every wait is on an event or a condition with a deadline, never a fixed sleep: a page
  has loaded when Chromium says *that* navigation (its loader id) fired ``load``.
* :meth:`Browser.axe` injects axe-core (``tests/support/axe``, installed by ``npm ci`` from
  its committed lock file) into the loaded page and returns its violations; the injection
  goes through DevTools, so the pages keep their script-free Content-Security-Policy.
* :meth:`Browser.fill` and :meth:`Browser.click` go through Chromium's input pipeline
  (inserted text, a real mouse press at the element's centre), so a click on something
  covered or off-screen fails as it would for a person.
* :func:`run_cli` runs the plain command line (``--screenshot``, ``--dump-dom``).

One browser per test module (a module-scoped fixture) keeps a suite of pages fast.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    # A busy machine must not make a backgrounded page's timers or rendering stall.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("critical", "serious")
PHONE_WIDTH, DESKTOP_WIDTH = 390, 1280


def find_chromium() -> str | None:
    """The Chromium binary: ``$CHROMIUM`` if set, else Debian's ``chromium`` on the PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing(message: str) -> None:
    """Stop the test: a *failure* in CI (``$CI`` set), a skip elsewhere.

    CI must never go green because a real-browser test quietly did not run.
    """
    if os.environ.get("CI"):
        pytest.fail(message + " (required in CI)", pytrace=False)
    pytest.skip(message)


def require_chromium() -> str:
    """The Chromium binary, or stop the test (see :func:`_missing`)."""
    binary = find_chromium()
    if binary is None:
        _missing(
            "headless Chromium not found: install Debian's package (apt-get install -y chromium) "
            "or point CHROMIUM at a Chromium/Chrome binary"
        )
        raise AssertionError("unreachable")  # _missing always raises
    return binary


def require_axe() -> str:
    """axe-core's source (``axe.min.js`` from the locked npm package), or stop the test."""
    if not AXE_JS.is_file():
        _missing(f"axe-core is not installed: run `npm ci --prefix {AXE_DIR}` (as .ci/run does)")
        raise AssertionError("unreachable")
    return AXE_JS.read_text(encoding="utf-8")


def run_cli(binary: str, profile: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run chromium once from the command line and return what it printed."""
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


@dataclass(frozen=True)
class Violation:
    """One axe-core rule a page broke, with where (CSS selectors and the offending HTML)."""

    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[tuple[str, str], ...]  # (selector, outer HTML snippet) per failing element

    def __str__(self) -> str:
        where = "; ".join(f"{target} {html[:120]}" for target, html in self.nodes[:3])
        more = f" (+{len(self.nodes) - 3} more)" if len(self.nodes) > 3 else ""
        return f"[{self.impact}] {self.rule}: {self.help} -- {where}{more} ({self.help_url})"


def severe(violations: Iterable[Violation]) -> list[Violation]:
    """The violations that fail a page: impact critical or serious (issue 17's bar)."""
    return [v for v in violations if v.impact in SEVERE]


def assert_no_severe(violations: Iterable[Violation], page: str) -> None:
    """Fail with every critical or serious violation on ``page`` spelled out."""
    bad = severe(violations)
    if bad:
        raise AssertionError(f"{page}: {len(bad)} critical/serious axe violation(s):\n" + "\n".join(map(str, bad)))


# axe.run on the whole document; results reduced to what a test report needs.
_AXE_RUN = """
axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  rule: v.id, impact: v.impact || 'minor', help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.map(n => [n.target.join(' '), n.html]),
})))
"""


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, binary: str, profile: Path, timeout: float = 60) -> None:
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._loader: str | None = None  # the loader id of the document now in the page
        self._axe: str | None = None
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Keep our ends and the child's ends above fd 4, so the dup2 below cannot clobber them.
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def wire_pipe() -> None:  # runs in the child: Chromium reads fd 3 and writes fd 4
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipe,  # noqa: PLW1509 - single-threaded test process
        )
        os.close(child_in)
        os.close(child_out)
        try:
            targets = self._call("Target.getTargets")["targetInfos"]
            page = next((t["targetId"] for t in targets if t["type"] == "page"), None)
            if page is None:  # the start-up page may not exist yet on a slow machine: make our own
                page = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self._call("Target.attachToTarget", {"targetId": page, "flatten": True})["sessionId"]
            self.call("Page.enable")
            self.call("Page.setLifecycleEventsEnabled", {"enabled": True})
            self.call("Network.enable")
            self.frame = self.call("Page.getFrameTree")["frameTree"]["frame"]["id"]
        except Exception:
            self.close()
            raise

    # -- protocol plumbing -------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline: float, what: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if self.process.poll() is not None:
                raise RuntimeError(f"Chromium exited (code {self.process.returncode}) while waiting for {what}")
            if left <= 0:
                raise TimeoutError(f"Chromium did not answer within {self.timeout:.0f} s: {what}")
            ready, _, _ = select.select([self._from_child], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def _call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline, method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a command to the page and return its result."""
        return self._call(method, params, self.session)

    def _wait_event(self, matches: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """Wait for (and consume) the first page event that ``matches``."""
        deadline = time.monotonic() + self.timeout
        while True:
            for message in self._events:
                if matches(message):
                    self._events.remove(message)
                    return message
            message = self._read(deadline, what)
            if "method" in message:
                self._events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Wait for (and consume) the next page event called ``event``."""
        return self._wait_event(lambda m: m.get("method") == event, event)

    def _loaded(self, is_new: Callable[[str], bool], what: str) -> int:
        """Wait until a navigation whose loader id passes ``is_new`` has fired ``load``;
        return the HTTP status of its document (0 when it had none, e.g. about:blank)."""
        statuses: dict[str, int] = {}

        def done(message: dict[str, Any]) -> bool:
            params = message.get("params", {})
            if message.get("method") == "Network.responseReceived" and params.get("type") == "Document":
                statuses[params["loaderId"]] = params["response"]["status"]
            return (
                message.get("method") == "Page.lifecycleEvent"
                and params.get("name") == "load"
                and params.get("frameId") == self.frame
                and is_new(params.get("loaderId", ""))
            )

        event = self._wait_event(done, f"the page to load ({what})")
        loader = event["params"]["loaderId"]
        self._loader = loader
        self._events.clear()  # what is left belongs to documents that are gone
        return statuses.get(loader, 0)

    # -- what the tests use --------------------------------------------------------------
    def open(self, url: str, width: int, height: int = 900, *, mobile: bool | None = None) -> int:
        """Load ``url`` in a ``width`` x ``height`` viewport, wait until it has loaded, and
        return the HTTP status.  ``mobile`` (default: narrower than 600 px) emulates a phone:
        the page's viewport meta tag applies, as on a real phone."""
        phone = width < 600 if mobile is None else mobile
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone},
        )
        self.call("Emulation.setTouchEmulationEnabled", {"enabled": phone})
        self._events.clear()
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise RuntimeError(f"could not open {url}: {result['errorText']}")
        wanted = result.get("loaderId")
        return self._loaded(lambda loader: loader == wanted if wanted else True, url)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The value of a JavaScript expression in the page (the harness's JS, not the page's)."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": await_promise}
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise RuntimeError(f"evaluate failed: {text}")
        return result["result"].get("value")

    def wait_until(self, expression: str, what: str = "", timeout: float | None = None) -> Any:
        """Poll a JavaScript condition until it is truthy (within ``timeout``); return its value."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"not true within {limit:.0f} s: {what or expression}")
            time.sleep(0.05)

    def screenshot(self, path: Path, *, full_page: bool = False) -> bytes:
        """Save a PNG of the viewport (or the whole page) to ``path`` and return its bytes."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def overflows_sideways(self) -> bool:
        """Whether the page is wider than the window (a phone reader would scroll sideways).

        Measured against the layout viewport (``clientWidth``): on an emulated phone
        ``innerWidth`` grows with content that is too wide, as the phone zooms out to it."""
        return bool(self.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))

    def axe(self, axe_source: str | None = None) -> list[Violation]:
        """Run axe-core (all its default rules) on the loaded page; return every violation."""
        if not self.evaluate("typeof window.axe === 'object'"):
            if self._axe is None:
                self._axe = axe_source if axe_source is not None else require_axe()
            self.evaluate(self._axe)
        raw = self.evaluate(_AXE_RUN, await_promise=True)
        return [
            Violation(v["rule"], v["impact"], v["help"], v["helpUrl"], tuple((t, h) for t, h in v["nodes"]))
            for v in raw
        ]

    def text(self, selector: str = "body") -> str:
        """The text a person sees in the first element matching ``selector`` (``innerText``)."""
        value = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " return e ? [e.innerText] : null; })()")
        if value is None:
            raise LookupError(f"no element matches {selector!r}")
        return str(value[0])

    def fill(self, selector: str, value: str) -> None:
        """Type ``value`` into a text field (its old text replaced), or choose the ``<select>``
        option with that value, as a person would: focus, then input through Chromium."""
        kind = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'}); e.focus();"
            " if (e.tagName === 'SELECT') return 'select';"
            " if (e.select) e.select(); return 'text'; })()"
        )
        if kind is None:
            raise LookupError(f"no element matches {selector!r}")
        if kind == "select":
            chosen = self.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                f" const o = [...e.options].find(o => o.value === {json.dumps(value)}); if (!o) return false;"
                " e.value = o.value; e.dispatchEvent(new Event('input', {bubbles: true}));"
                " e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
            )
            if not chosen:
                raise LookupError(f"{selector!r} has no option with value {value!r}")
            return
        if value:
            self.call("Input.insertText", {"text": value})
        else:  # an empty value: delete the selected old text
            for kind_ in ("keyDown", "keyUp"):
                self.call("Input.dispatchKeyEvent", {"type": kind_, "key": "Backspace", "code": "Backspace",
                                                     "windowsVirtualKeyCode": 8})

    def click(self, selector: str, *, navigates: bool = False) -> int | None:
        """Click the centre of the first element matching ``selector`` with the mouse.

        Fails when something else is on top there (a person could not click it either).
        With ``navigates`` (a link, a form's submit button), wait for the new page to load
        and return its HTTP status.
        """
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " const x = r.left + r.width / 2, y = r.top + r.height / 2; const top = document.elementFromPoint(x, y);"
            " return {x, y, hit: !!top && (top === e || e.contains(top)),"
            " top: top ? top.outerHTML.slice(0, 120) : ''}; })()"
        )
        if box is None:
            raise LookupError(f"no element matches {selector!r}")
        if not box["hit"]:
            raise AssertionError(f"{selector!r} cannot be clicked: covered by {box['top']!r}")
        before = self._loader
        self._events.clear()
        point = {"x": box["x"], "y": box["y"], "button": "left", "clickCount": 1}
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box["x"], "y": box["y"]})
        self.call("Input.dispatchMouseEvent", {"type": "mousePressed", **point})
        self.call("Input.dispatchMouseEvent", {"type": "mouseReleased", **point})
        if navigates:
            return self._loaded(lambda loader: loader != before, f"after clicking {selector}")
        return None

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self._send("Browser.close", None, None)
                self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            for fd in (self._to_child, self._from_child):
                with contextlib.suppress(OSError):
                    os.close(fd)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """Where a module's screenshots go: ``$CAMPBOT_SCREENSHOTS/<name>`` when that is set (e.g.
    ``out/screenshots``, to look at them), else a folder under pytest's temporary directory."""
    wanted = os.environ.get("CAMPBOT_SCREENSHOTS")
    if wanted:
        folder = Path(wanted).resolve() / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp(f"screenshots-{name}")

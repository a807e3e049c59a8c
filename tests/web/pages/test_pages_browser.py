"""The attendee pages in headless Chromium, as a person on a phone or a laptop gets them: the
whole bot served over real HTTP from a real database, signed in by opening the personal link
(so the Secure, HttpOnly session cookie is the browser's own), the pitch form filled in and a
vote pressed with the mouse, and every page checked by axe-core at 390 px and 1280 px with no
violation at all (the bar of tests/web/test_accessibility.py) and no sideways scrolling.

Screenshots go under pytest's temporary directory, or to ``$CAMPBOT_SCREENSHOTS/attendee``:
    CAMPBOT_SCREENSHOTS=out/screenshots .venv/bin/pytest -q -n 0 tests/web/pages/test_pages_browser.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlmodel import select

from campbot.services import pitching
from campbot.services.attendee_links import personal_token, signing_key
from campbot.services.attendee_list import import_attendees
from campbot.services.attendees import link_slack_user, list_attendees, voter_person_id
from campbot.services.pitch_input import PitchInput
from campbot.services.voting import toggle_vote_for_person
from campbot.store.db import session_scope
from campbot.store.tables import Vote
from tests.e2e.conftest import BotServer
from tests.jobs.helpers import S, publish_grid
from tests.support.browser import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    Browser,
    assert_no_severe,
    png_size,
    require_axe,
    require_chromium,
    screenshot_dir,
)
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.browser

ROSTER = "Name,Email,Ticket\nAda Lovelace,ada@example.org,T1\n"
WIDTHS = [(PHONE_WIDTH, 844), (DESKTOP_WIDTH, 800)]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    driver = Browser(require_chromium(), tmp_path_factory.mktemp("chromium-attendee"))
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory, "attendee")


def _ada(bot: BotServer, event_id: int) -> tuple[int, str]:
    """Ada on the ticket list: her attendee id and personal link token."""
    import_attendees(bot.ctx.engine, event_id, ROSTER)
    ada = list_attendees(bot.ctx.engine, event_id)[0]
    return ada.id, personal_token(bot.ctx.engine, signing_key(bot.ctx.engine, bot.ctx.settings.web_secret), ada.id)


def _check(browser: Browser, shots: Path, name: str, width: int) -> None:
    """Screenshot, axe (no violation of any impact), no sideways scrolling."""
    data = browser.screenshot(shots / f"{name}-{width}.png", full_page=True)
    assert png_size(data)[0] == width
    violations = browser.axe(require_axe())
    (shots / f"{name}-{width}.axe.json").write_text(json.dumps([asdict(v) for v in violations], indent=1))
    assert_no_severe(violations, f"{name} at {width} px")
    assert not violations, f"{name} at {width} px:\n" + "\n".join(map(str, violations))
    assert not browser.overflows_sideways(), f"{name} scrolls sideways at {width} px"


def test_every_attendee_page_passes_axe_at_phone_and_laptop_widths(
    bot: BotServer, voting_open: object, browser: Browser, shots: Path
) -> None:
    event_id = voting_open.id  # type: ignore[attr-defined]
    assert isinstance(event_id, int)
    attendee_id, token = _ada(bot, event_id)
    link_slack_user(bot.ctx.engine, attendee_id, "U0ADA")
    ctx = bot.ctx
    cards = [
        pitching.create_pitch(ctx, event_id, "U0SAM", PitchInput(
            title="What does good digital inclusion look like?", description="Bring examples.\nAll welcome.",
            format="discussion", tags=("inclusion", "digital"))),
        pitching.create_pitch(ctx, event_id, "U0MALLORY", PitchInput(
            title="<script>alert(1)</script> & <b>bold</b> claims", format="demo", needs=("projector",))),
        pitching.create_pitch(ctx, event_id, "U0GILL", PitchInput(
            title="Build a service map together: bring a problem, leave with a map (double)",
            format="workshop", length=2, needs=("step_free", "quiet"), tags=("mapping",))),
    ]
    mine = pitching.create_pitch(ctx, event_id, "U0ADA", PitchInput(title="Agile in a council: what changed"))
    toggle_vote_for_person(ctx, event_id, voter_person_id(ctx.engine, attendee_id), cards[0].id)
    publish_grid(ctx, event_id, [S(cards[0].title, "r1", "t1", hosts=["U0SAM"], voters=["U0ADA"]),
                                 S(mine.title, "r2", "t2", hosts=["U0ADA"])])
    publish_grid(ctx, event_id, [S(cards[0].title, "r3", "t3", hosts=["U0SAM"], voters=["U0ADA"]),
                                 S(mine.title, "r2", "t2", hosts=["U0ADA"])])

    base = bot.url
    # signed out first: what anyone sees
    for width, height in WIDTHS:
        assert browser.open(f"{base}/me/not-a-real-link", width, height) == 404
        _check(browser, shots, "link-gone", width)
        assert browser.open(f"{base}/", width, height) == 200
        _check(browser, shots, "root", width)
    assert browser.open(f"{base}/me/{token}", PHONE_WIDTH, 844) == 200  # the redirect to /me, cookie kept
    assert "Hello, Ada Lovelace" in browser.text("h1")
    pages = [
        ("me", "/me", 200),
        ("pitches", "/pitches", 200),
        ("pitches-search", "/pitches?q=nothing+like+this", 200),
        ("pitches-tag", "/pitches?tag=inclusion", 200),
        ("pitch-new", "/pitches/new", 200),
        ("pitch-edit", f"/pitches/{mine.id}/edit", 200),
        ("pitch-withdraw", f"/pitches/{mine.id}/withdraw", 200),
        ("my-day", "/me/day", 200),
        ("not-found", "/no/such/page", 404),
        ("not-a-host", f"/pitches/{cards[1].id}/edit", 403),
    ]
    for width, height in WIDTHS:
        for name, path, status in pages:
            assert browser.open(base + path, width, height) == status, path
            _check(browser, shots, name, width)
        # the form sent with a missing title and needs no room meets: errors and the warning
        assert browser.open(f"{base}/pitches/new", width, height) == 200
        browser.click("#needs-quiet")
        browser.click("#needs-step_free")
        assert browser.click("form[novalidate] button[type=submit]", navigates=True) == 400
        assert "There is a problem" in browser.text(".error-summary")
        assert "Give the session a title." in browser.text("#title-error")
        assert "Heads up" in browser.text("#needs-warning")
        _check(browser, shots, "pitch-new-errors", width)
        # a vote's answer: the banner on the list
        assert browser.open(f"{base}/pitches", width, height) == 200
        assert browser.click(f'form[action="/pitches/{cards[1].id}/vote"] button', navigates=True) == 200
        _check(browser, shots, "pitches-after-vote", width)


def test_pitch_and_vote_in_chromium(
    bot: BotServer, voting_open: object, browser: Browser, shots: Path, fake_slack: FakeSlack
) -> None:
    event_id = voting_open.id  # type: ignore[attr-defined]
    assert isinstance(event_id, int)
    _, token = _ada(bot, event_id)
    base = bot.url
    assert browser.open(f"{base}/me/{token}", PHONE_WIDTH, 844) == 200
    assert browser.click('a[href="/pitches/new"]', navigates=True) == 200
    browser.fill("#title", "Plain English for council letters")
    browser.fill("#description", "Rewrite a real letter together.")
    browser.click("#format-workshop")
    browser.click("#needs-projector")
    browser.fill("#tags", "writing, #Content")
    browser.screenshot(shots / "drive-form-filled.png", full_page=True)
    assert browser.click("form[novalidate] button[type=submit]", navigates=True) == 200
    assert "is saved" in browser.text("main")
    browser.screenshot(shots / "drive-saved.png", full_page=True)
    [card] = pitching.list_pitches(bot.ctx, event_id)
    assert (card.title, card.format, card.needs, card.tags) == (
        "Plain English for council letters", "workshop", ("projector",), ("writing", "content"))

    assert browser.click('nav a[href="/pitches"]', navigates=True) == 200
    assert "0 interested" in browser.text(f"#pitch-{card.id}")
    assert browser.click(f'form[action="/pitches/{card.id}/vote"] button', navigates=True) == 200
    assert "You're interested" in browser.text("main")
    assert "1 interested" in browser.text(f"#pitch-{card.id}")
    browser.screenshot(shots / "drive-voted.png", full_page=True)
    with session_scope(bot.ctx.engine) as db:
        assert len(db.exec(select(Vote).where(Vote.pitch_id == card.id)).all()) == 1
    assert browser.click(f'form[action="/pitches/{card.id}/vote"] button', navigates=True) == 200
    assert "Interest taken back" in browser.text("main") and "0 interested" in browser.text(f"#pitch-{card.id}")
    fake_slack.wait_for("chat.postMessage", where=lambda c: "Plain English" in json.dumps(c.params.get("blocks")))

"""The attendee pages over real HTTP: the whole bot (Bolt on /slack/events, the web face on the
rest) served on a loopback port from a real database (SQLite, or PostgreSQL with
CAMPBOT_TEST_DATABASE_URL), its Slack side talking to the fake Slack Web API server.

What is checked: signing in with a personal link (cookie attributes, the token gone from the
address), altered and revoked links, nothing personal without a session, CSRF refusal, the
rate limits, pitching with the Slack modal's rules and words, voting with the quota and the
window, counts that agree with Slack's card for the same pitch, one quota for an attendee who
is also on Slack, the card refresh reaching Slack, and "your day" once a grid is published.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from campbot.server.serve import serve_in_thread
from campbot.services import pitching
from campbot.services.attendees import (
    import_attendees,
    link_slack_user,
    list_attendees,
    personal_token,
    revoke,
    signing_key,
)
from campbot.services.pitching import PitchInput, check_pitch, get_pitch_card, list_pitches
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Vote
from campbot.web.app import create_web_app
from campbot.web.guard import Limit
from tests.e2e.conftest import (  # noqa: F401  (fixtures)
    BotServer,
    CampClock,
    bot,
    clock,
    ctx,
    fake_slack,
    slack,
    voting_open,
)
from tests.e2e.helpers import card_posts, card_updates, pitch, replies, shown_count
from tests.jobs.helpers import S, publish_grid
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender
from tests.web.support import WebClient, field_errors, summary_errors

ROSTER = "Name,Email,Ticket\nAda Lovelace,ada@example.org,T1\nGrace Hopper,grace@example.org,T2\n"


def _token(bot: BotServer, event: Event, email: str) -> str:
    assert event.id is not None
    if not list_attendees(bot.ctx.engine, event.id):
        import_attendees(bot.ctx.engine, event.id, ROSTER)
    attendee = next(a for a in list_attendees(bot.ctx.engine, event.id) if a.email == email)
    key = signing_key(bot.ctx.engine, bot.ctx.settings.web_secret)
    return personal_token(bot.ctx.engine, key, attendee.id)


def _signed_in(bot: BotServer, event: Event, email: str = "ada@example.org") -> WebClient:
    client = WebClient(bot.url)
    client.sign_in(_token(bot, event, email))
    return client


def _set_quota(bot: BotServer, event_id: int, quota: int) -> None:
    with session_scope(bot.ctx.engine) as db:
        row = db.get(Event, event_id)
        assert row is not None
        row.vote_quota = quota
        db.add(row)


def _votes(bot: BotServer, pitch_id: int) -> int:
    with session_scope(bot.ctx.engine) as db:
        return len(db.exec(select(Vote).where(Vote.pitch_id == pitch_id)).all())


def _vote(client: WebClient, pitch_id: int, want: bool = True) -> str:
    """Press the pitch's button on /pitches as a browser would; returns the page shown after."""
    page = client.get("/pitches").text
    form = re.search(rf'action="/pitches/{pitch_id}/vote".*?</form>', page, re.S)
    assert form, f"no vote button for pitch {pitch_id}"
    assert f'name="want" value="{1 if want else 0}"' in form.group(0)
    sent = client.post(f"/pitches/{pitch_id}/vote", {"csrf_token": client.csrf("/pitches"), "want": "1" if want else "0"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"#pitch-{pitch_id}")
    return html.unescape(client.follow(sent).text)


def _interest(page: str, pitch_id: int) -> str:
    item = re.search(rf'<li class="pitch" id="pitch-{pitch_id}">.*?</li>\n', page, re.S)
    assert item, f"pitch {pitch_id} not on the page"
    found = re.search(r'<p class="interest">(.*?)</p>', item.group(0), re.S)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1))


# --------------------------------------------------------------------------- signing in


def test_a_personal_link_signs_in_with_a_safe_cookie_and_leaves_the_address(bot: BotServer, event: Event) -> None:
    token = _token(bot, event, "ada@example.org")
    client = WebClient(bot.url)
    first = client.get(f"/me/{token}")
    assert first.status_code == 303 and first.headers["Location"].endswith("/me")
    assert first.headers["Referrer-Policy"] == "no-referrer" and "no-store" in first.headers["Cache-Control"]
    cookie = next(c for c in client.set_cookies if c.startswith("campbot_session="))
    attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert {"secure", "httponly"} <= set(attributes) and attributes["samesite"].strip().lower() == "samesite=lax"
    me = client.follow(first)
    assert me.status_code == 200 and "Hello, Ada Lovelace" in me.text
    assert token not in me.text
    csp = me.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "form-action 'self'" in csp


def test_an_altered_link_opens_nothing(bot: BotServer, event: Event) -> None:
    token = _token(bot, event, "ada@example.org")
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_id = token.replace(token.split(".")[0], str(int(token.split(".")[0]) + 1), 1)
    for bad in (altered, other_id, "nonsense", "1.1." + "x" * 32, "%00", "a" * 500):
        client = WebClient(bot.url)
        page = client.get(f"/me/{bad}")
        assert page.status_code == 404 and "This link no longer works" in page.text
        assert "registration desk" in page.text and "Ada" not in page.text
        assert "campbot_session" not in client.cookies
        assert client.get("/me").status_code == 403


def test_a_revoked_link_signs_out_on_the_next_request(bot: BotServer, event: Event) -> None:
    assert event.id is not None
    client = _signed_in(bot, event)
    ada = next(a for a in list_attendees(bot.ctx.engine, event.id) if a.email == "ada@example.org")
    old = _token(bot, event, "ada@example.org")
    revoke(bot.ctx.engine, event.id, ada.id)
    page = client.get("/pitches")
    assert page.status_code == 403 and "This link no longer works" in page.text and "Ada" not in page.text
    assert "campbot_session" not in client.cookies  # the cookie was cleared
    again = WebClient(bot.url).get(f"/me/{old}")
    assert again.status_code == 404
    fresh = WebClient(bot.url)
    fresh.sign_in(_token(bot, event, "ada@example.org"))  # the new link works
    assert "Hello, Ada Lovelace" in fresh.get("/me").text


def test_without_a_session_the_pages_show_nothing_personal(bot: BotServer, event: Event, voting_open: Event) -> None:
    assert event.id is not None
    pitching.create_pitch(bot.ctx, event.id, "U0HOST1", PitchInput(title="Secret-ish session"))
    client = WebClient(bot.url)
    for path in ("/me", "/pitches", "/me/day", "/pitches/new", "/pitches/1/edit", "/pitches/1/withdraw"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "Open your personal link first" in page.text and "Secret-ish" not in page.text
    assert client.get("/").status_code == 200
    forged = client.post("/pitches/1/vote", {"want": "1", "csrf_token": ""})
    assert forged.status_code == 400 and _votes(bot, 1) == 0
    assert client.get("/grid").status_code == 404  # the export app still answers its routes
    assert "published the session grid yet" in client.get("/grid").text


# --------------------------------------------------------------------------- CSRF and limits


def test_every_post_needs_the_sessions_csrf_token(bot: BotServer, event: Event, voting_open: Event) -> None:
    assert event.id is not None
    card = pitching.create_pitch(bot.ctx, event.id, "U0HOST1", PitchInput(title="Open data"))
    ada, grace = _signed_in(bot, event), _signed_in(bot, event, "grace@example.org")
    graces_token = grace.csrf("/pitches")
    for data in ({"want": "1"}, {"want": "1", "csrf_token": "wrong"}, {"want": "1", "csrf_token": graces_token}):
        refused = ada.post(f"/pitches/{card.id}/vote", data)
        assert refused.status_code == 400 and "This form has expired" in refused.text
    refused = ada.post("/pitches/new", {"title": "Sneaky", "format": "discussion", "length": "1"})
    assert refused.status_code == 400
    assert _votes(bot, card.id) == 0 and [p.title for p in list_pitches(bot.ctx, event.id)] == ["Open data"]
    assert "You're interested" in _vote(ada, card.id)
    assert _votes(bot, card.id) == 1


@pytest.fixture
def limited(bot: BotServer) -> Iterator[str]:
    """The web face alone with small limits (5 sign-ins, 5 posts a minute), on its own port."""
    app = create_web_app(bot.ctx, lambda _event_id: None, sign_in_limit=Limit(5, 60), write_limit=Limit(5, 60))
    server, thread = serve_in_thread(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_sign_in_attempts_and_posts_are_rate_limited(bot: BotServer, event: Event, limited: str) -> None:
    token = _token(bot, event, "ada@example.org")
    client = WebClient(limited)
    assert [client.get(f"/me/{token[:-2]}zz").status_code for _ in range(4)] == [404] * 4
    client.sign_in(token)  # the fifth try
    refused = client.get(f"/me/{token}")  # the sixth, even with a good link: the limit is per address
    assert refused.status_code == 429 and "Too many tries" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # POSTs are limited per signed-in attendee (a camp's shared Wi-Fi is one address for all)
    statuses = [client.post("/pitches/1/vote", {"want": "1", "csrf_token": "x"}).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert "Hello, Ada Lovelace" in client.get("/me").text  # reading is not limited

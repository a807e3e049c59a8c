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
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from campbot.server.serve import serve_in_thread
from campbot.services import pitch_input, pitching
from campbot.services.attendee_links import personal_token, revoke, signing_key
from campbot.services.attendee_list import import_attendees
from campbot.services.attendees import link_slack_user, list_attendees
from campbot.services.pitch_input import PitchInput, check_pitch
from campbot.services.pitching import get_pitch_card, list_pitches
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Room, Vote
from campbot.web.app import create_web_app
from campbot.web.guard import Limit
from tests.e2e.conftest import BotServer, CampClock
from tests.e2e.helpers import card_posts, card_updates, pitch, replies, shown_count
from tests.jobs.helpers import S, publish_grid
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender
from tests.web.pages.support import WebClient, field_errors, summary_errors

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
    token = client.csrf("/pitches")
    sent = client.post(f"/pitches/{pitch_id}/vote", {"csrf_token": token, "want": "1" if want else "0"})
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
    assert "Also on the camp's Slack?" in html.unescape(me.text)  # how to make the two one voter
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
    ada_token, grace_token = _token(bot, event, "ada@example.org"), _token(bot, event, "grace@example.org")
    client, prober = WebClient(limited), WebClient(limited)  # two browsers on one address
    assert [prober.get(f"/me/{ada_token[:-2]}zz").status_code for _ in range(4)] == [404] * 4
    client.sign_in(ada_token)  # good links are not counted against the address...
    WebClient(limited).sign_in(grace_token)  # ...so a whole camp behind one Wi-Fi address signs in
    assert prober.get(f"/me/{ada_token[:-2]}zz").status_code == 404  # the fifth failure
    refused = prober.get(f"/me/{grace_token}")  # then even a good link waits: this address is trying tokens
    assert refused.status_code == 429 and "Too many tries" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # POSTs are limited per signed-in attendee (the shared Wi-Fi again)
    statuses = [client.post("/pitches/1/vote", {"want": "1", "csrf_token": "x"}).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert "Hello, Ada Lovelace" in client.get("/me").text  # reading is not limited


def test_behind_a_proxy_each_forwarded_address_has_its_own_limit(bot: BotServer, event: Event) -> None:
    proxied = bot.ctx.settings.model_copy(update={"trusted_proxies": 1})
    app = create_web_app(replace(bot.ctx, settings=proxied), lambda _event_id: None, sign_in_limit=Limit(2, 60))
    server, thread = serve_in_thread(app)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        def attempt(address: str) -> int:
            return WebClient(base).get("/me/1.1.nope", headers={"X-Forwarded-For": address}).status_code

        assert [attempt("203.0.113.7") for _ in range(3)] == [404, 404, 429]
        assert attempt("198.51.100.9") == 404  # another person behind the same proxy is not blocked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_one_good_link_opened_again_and_again_is_limited(bot: BotServer, event: Event, limited: str) -> None:
    token = _token(bot, event, "ada@example.org")
    answers = [WebClient(limited).get(f"/me/{token}").status_code for _ in range(6)]
    assert answers == [303] * 5 + [429]


# --------------------------------------------------------------------------- pitching


def _pitch_form(client: WebClient, path: str = "/pitches/new") -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="submission" value="([^"]*)"', page.text)
    assert found
    return {"csrf_token": client.csrf(path), "submission": found.group(1)}


# The Slack modal's cases (tests/e2e/test_pitching.py), as form fields.
BAD_FORMS = [
    ({"title": ""}, "title"),
    ({"title": "x" * 81}, "title"),
    ({"title": "ok", "description": "d" * 501}, "description"),
    ({"title": "ok", "unavailable": ["t1", "t2", "t3", "t4", "t5"]}, "unavailable"),
    ({"title": "ok", "format": "lecture"}, "format"),
    ({"title": "ok", "tags": "a" * 31}, "tags"),
    ({"title": "\u200b\u200d"}, "title"),
    ({"title": "ok\x00"}, "title"),
    ({"title": "ok", "length": "3"}, "length"),
    ({"title": "ok", "needs": ["jacuzzi"]}, "needs"),
]


def _slack_answers(fields: dict[str, object]) -> dict[str, object]:
    answers = dict(fields)
    if answers.get("title") == "":
        answers["title"] = None
    return answers


def test_bad_fields_get_the_slack_modals_words_beside_each_field_and_nothing_is_saved(
    bot: BotServer, event: Event, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    client = _signed_in(bot, event)
    slack.command("/pitch", user_id="U0HOST1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    slot_keys = [s.key for s in pitching.event_slots(bot.ctx, event.id)]
    for fields, name in BAD_FORMS:
        form = {**_pitch_form(client), "format": "discussion", "length": "1", **fields}
        sent = client.post("/pitches/new", list(_pairs(form)))
        assert sent.status_code == 400, fields
        shown = field_errors(sent.text)
        typed = PitchInput(title=str(fields["title"]), description=str(fields.get("description", "")),
                           format=str(form["format"]), length=int(form["length"]) if form["length"] in "12" else 0,
                           needs=tuple(fields.get("needs", ())),  # type: ignore[arg-type]
                           unavailable_slots=tuple(fields.get("unavailable", ())),  # type: ignore[arg-type]
                           tags=pitch_input.parse_tags(str(fields.get("tags", ""))))
        expected = check_pitch(typed, slot_keys)
        assert shown == expected, fields  # the service's words, beside the field
        assert summary_errors(sent.text) == [expected[k] for k in FIELD_ORDER if k in expected]
        assert "<title>Error: " in sent.text
        if name in ("needs", "length"):
            continue  # the modal offers only its own options there: no typed value reaches Slack
        answers = _slack_answers(fields)
        if name == "title" and "\x00" in str(fields["title"]):
            continue  # Slack itself strips control characters from a plain_text_input
        body = slack.submit_view(view, answers, user_id="U0HOST1").json()
        assert body["response_action"] == "errors" and body["errors"][name] == expected[name][:150], fields
    bot.settle()
    assert list_pitches(bot.ctx, event.id, statuses=None) == []
    assert card_posts(fake_slack) == []


FIELD_ORDER = ("title", "description", "format", "length", "needs", "unavailable", "tags")


def _pairs(form: dict[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in form.items():
        for one in value if isinstance(value, list) else [value]:
            out.append((key, str(one)))
    return out


def test_pitch_edit_and_withdraw_on_the_web_reach_the_slack_card(
    bot: BotServer, event: Event, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    ada = _signed_in(bot, event)
    form = {**_pitch_form(ada), "title": "Housing data <b>now</b>", "description": "Bring your spreadsheets",
            "format": "workshop", "length": "2", "needs": ["quiet", "step_free"], "unavailable": ["t1"],
            "tags": "#Housing, data, housing"}
    sent = ada.post("/pitches/new", _pairs(form))
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/me")
    again = ada.post("/pitches/new", _pairs({**form, "csrf_token": ada.csrf("/me")}))  # the same form sent twice
    assert again.status_code == 303
    me = html.unescape(ada.follow(again).text)
    [card] = list_pitches(bot.ctx, event.id)
    assert (card.title, card.format, card.length, card.needs, card.unavailable_slots, card.tags) == (
        "Housing data <b>now</b>", "workshop", 2, ("quiet", "step_free"), ("t1",), ("housing", "data"))
    assert card.host_names == ("Ada Lovelace",) and card.host_user_ids == ()
    assert f"Your pitch #{card.id} “Housing data <b>now</b>” is saved" in me
    assert "Heads up" in me and "untick a need" in me  # no room is quiet and step-free: the needs warning
    assert "&lt;b&gt;now&lt;/b&gt;" in ada.get("/me").text or "<b>now</b>" not in ada.get("/me").text
    post = fake_slack.wait_for("chat.postMessage", where=lambda c: card_posts(fake_slack) != [])
    assert post and card_posts(fake_slack)[0].params["channel"] == "#lgc-pitches"
    bot.settle()
    assert get_pitch_card(bot.ctx, event.id, card.id).message_ts is not None
    assert len(card_posts(fake_slack)) == 1  # one card, though the form came twice

    # a stranger cannot edit or withdraw it
    grace = _signed_in(bot, event, "grace@example.org")
    assert grace.get(f"/pitches/{card.id}/edit").status_code == 403
    token = grace.csrf("/me")
    assert grace.post(f"/pitches/{card.id}/withdraw", {"csrf_token": token}).status_code == 403
    assert grace.post(f"/pitches/{card.id}/edit", {"csrf_token": token, "title": "Hijacked"}).status_code == 403

    # the host edits: the form is pre-filled; a bad edit changes nothing; a good one reaches the card
    edit = ada.get(f"/pitches/{card.id}/edit").text
    assert 'value="Housing data &lt;b&gt;now&lt;/b&gt;"' in edit and 'value="workshop" checked' in edit
    bad = ada.post(f"/pitches/{card.id}/edit", _pairs({**_pitch_form(ada, f"/pitches/{card.id}/edit"),
                                                       "title": "", "format": "demo", "length": "1"}))
    assert bad.status_code == 400 and field_errors(bad.text) == {"title": "Give the session a title."}
    assert get_pitch_card(bot.ctx, event.id, card.id).format == "workshop"
    good = ada.post(f"/pitches/{card.id}/edit", _pairs({**_pitch_form(ada, f"/pitches/{card.id}/edit"),
                                                        "title": "Housing data, together", "format": "demo",
                                                        "length": "1", "tags": "housing"}))
    assert good.status_code == 303
    edited = get_pitch_card(bot.ctx, event.id, card.id)
    assert (edited.title, edited.format, edited.length, edited.needs) == ("Housing data, together", "demo", 1, ())
    fake_slack.wait_for("chat.update", where=lambda c: "Housing data, together" in str(c.params.get("blocks")))

    # withdraw: a confirmation page, then the card says so
    confirm = ada.get(f"/pitches/{card.id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw it" in confirm.text
    gone = ada.post(f"/pitches/{card.id}/withdraw", {"csrf_token": ada.csrf("/me")})
    assert gone.status_code == 303 and "is withdrawn" in html.unescape(ada.follow(gone).text)
    assert get_pitch_card(bot.ctx, event.id, card.id).status == "withdrawn"
    fake_slack.wait_for("chat.update", where=lambda c: "withdrawn by its host" in str(c.params.get("blocks")))
    assert ada.get(f"/pitches/{card.id}/edit").status_code == 409


# --------------------------------------------------------------------------- voting


def test_votes_count_with_slacks_and_keep_the_quota_and_the_window(
    bot: BotServer, event: Event, voting_open: Event, slack: SlackSender, fake_slack: FakeSlack, clock: CampClock
) -> None:
    assert event.id is not None
    _set_quota(bot, event.id, 2)
    first, message = pitch(slack, fake_slack, bot, title="Open data")
    second, _ = pitch(slack, fake_slack, bot, title="Digital inclusion", tags="inclusion")
    third, _ = pitch(slack, fake_slack, bot, title="Agile councils")
    ada = _signed_in(bot, event)
    page = _vote(ada, first)  # once on the web...
    assert "You're interested. You have 1 vote left." in page and "1 interested" in _interest(page, first)
    slack.click("vote_toggle", str(first), user_id="U0FAN1", message=message)  # ...once in Slack
    fake_slack.wait_for("response_url", 1)
    bot.settle()
    assert _votes(bot, first) == 2 == get_pitch_card(bot.ctx, event.id, first).votes
    page = html.unescape(ada.get("/pitches").text)
    assert _interest(page, first) == "2 interested · including you"
    assert shown_count(card_updates(fake_slack, first)[-1]) == 2  # the Slack card shows the same 2

    # the web vote alone reached the card (the refresh through the notifier)
    before = len(card_updates(fake_slack, second))
    _vote(ada, second)
    fake_slack.wait_for("chat.update", where=lambda c: c in card_updates(fake_slack, second), count=before + 1)
    bot.settle()
    assert shown_count(card_updates(fake_slack, second)[-1]) == 1

    # the quota: two used, the third refused with Slack's words, nothing stored
    refused = _vote(ada, third)
    assert "There is a problem" in refused and "You have used all 2 of your votes." in refused
    assert _votes(bot, third) == 0
    # search and tags
    found = html.unescape(ada.get("/pitches?q=inclusion").text)
    assert "Digital inclusion" in found and "Open data" not in found and "1 of 3 pitches match" in found
    assert "Agile councils" in html.unescape(ada.get("/pitches?q=AGILE").text)
    tagged = html.unescape(ada.get("/pitches?tag=inclusion").text)
    assert "Digital inclusion" in tagged and "Agile councils" not in tagged

    # taking one back frees a vote; then the window closes and the page says it as the card does
    _vote(ada, first, want=False)
    assert _votes(bot, first) == 1
    clock.set(datetime(2026, 6, 20, 11, 0, tzinfo=UTC))  # past the file's 09:45 close
    closed = html.unescape(ada.get("/pitches").text)
    assert "Voting closed at 09:45." in closed and "/vote" not in closed
    late = ada.post(f"/pitches/{third}/vote", {"csrf_token": ada.csrf("/pitches"), "want": "1"})
    assert "Voting closed at 09:45, so your vote was not changed." in html.unescape(ada.follow(late).text)
    assert _votes(bot, third) == 0


def test_counts_are_hidden_on_the_web_as_on_the_card_in_blind_voting(
    bot: BotServer, event: Event, voting_open: Event
) -> None:
    assert event.id is not None
    with session_scope(bot.ctx.engine) as db:
        row = db.get(Event, event.id)
        assert row is not None
        row.hide_counts = True
        db.add(row)
    card = pitching.create_pitch(bot.ctx, event.id, "U0HOST1", PitchInput(title="Open data"))
    ada = _signed_in(bot, event)
    page = _vote(ada, card.id)
    assert _interest(page, card.id) == "Counts are hidden until voting closes · including you"
    assert "1 interested" not in page


def test_an_attendee_linked_to_slack_has_one_quota_on_both_faces(
    bot: BotServer, event: Event, voting_open: Event, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    _set_quota(bot, event.id, 2)
    pitched = [pitch(slack, fake_slack, bot, title=f"Session {i}") for i in range(3)]
    ada = _signed_in(bot, event)
    _vote(ada, pitched[0][0])  # a web vote before linking moves onto the Slack person
    attendee = next(a for a in list_attendees(bot.ctx.engine, event.id) if a.email == "ada@example.org")
    link_slack_user(bot.ctx.engine, attendee.id, "U0ADA")
    slack.click("vote_toggle", str(pitched[1][0]), user_id="U0ADA", message=pitched[1][1])
    fake_slack.wait_for("response_url", 1)
    bot.settle()
    assert "Also on the camp's Slack?" not in html.unescape(ada.get("/me").text)  # linked now
    page = html.unescape(ada.get("/pitches").text)
    assert "You have used 2 of 2 votes (0 left)" in page.replace("<strong>", "").replace("</strong>", "")
    assert "including you" in _interest(page, pitched[1][0])
    assert "You have used all 2" in _vote(ada, pitched[2][0])
    slack.click("vote_toggle", str(pitched[2][0]), user_id="U0ADA", message=pitched[2][1])
    fake_slack.wait_for("response_url", 2)
    assert "used all 2" in replies(fake_slack)[-1]
    with session_scope(bot.ctx.engine) as db:
        voters = {v.person_id for v in db.exec(select(Vote)).all()}
        persons = db.exec(select(Person).where(Person.slack_user_id == "U0ADA")).all()
    assert len(persons) == 1 and voters == {persons[0].id}


# --------------------------------------------------------------------------- my day


def test_my_day_shows_room_time_changes_and_the_feed_after_publish(
    bot: BotServer, event: Event, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    ada = _signed_in(bot, event)
    before = ada.get("/me/day")
    assert before.status_code == 200 and "haven't published the session grid yet" in html.unescape(before.text)
    attendee = next(a for a in list_attendees(bot.ctx.engine, event.id) if a.email == "ada@example.org")
    link_slack_user(bot.ctx.engine, attendee.id, "U0ADA")  # publish_grid names voters by Slack id
    first = [S("Open data", "r1", "t1", hosts=["U0SAM"], voters=["U0ADA"]),
             S("Agile councils", "r2", "t2", hosts=["U0ADA"]),
             S("Not mine", "r3", "t1", hosts=["U0JO"])]
    publish_grid(bot.ctx, event.id, first)
    moved = [S("Open data", "r2", "t3", hosts=["U0SAM"], voters=["U0ADA"]),
             S("Agile councils", "r2", "t2", hosts=["U0ADA"]),
             S("Not mine", "r3", "t1", hosts=["U0JO"]),
             S("Late pitch", "r1", "t4", hosts=["U0KAI"], voters=["U0ADA"])]
    publish_grid(bot.ctx, event.id, moved)
    page = html.unescape(ada.get("/me/day").text)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "from version 2 of the grid (changes since version 1 are marked)" in text
    assert "Open data" in text and "Agile councils" in text and "Late pitch" in text and "Not mine" not in text
    rooms = {r.key: r.name for r in _rooms(bot, event.id)}
    assert f"13:00–13:45 , Saturday 20 June · {rooms['r2']}" in text
    assert f"Changed: Moved: was {rooms['r1']}, 10:00–10:45" in text
    assert "Changed: New in version 2" in text
    assert "You're hosting" in text
    assert text.index("Agile councils") < text.index("Open data") < text.index("Late pitch")  # in time order
    feed = re.search(r'href="(http[^"]+/ical/person/[^"]+\.ics)"', page)
    assert feed is not None
    ical = ada.get(feed.group(1)[len(bot.ctx.settings.public_url.rstrip("/")):])
    assert ical.status_code == 200 and ical.headers["Content-Type"].startswith("text/calendar")
    assert "Open data" in ical.text and "Not mine" not in ical.text


def _rooms(bot: BotServer, event_id: int) -> list[Room]:
    with session_scope(bot.ctx.engine) as db:
        return list(db.exec(select(Room).where(Room.event_id == event_id)).all())

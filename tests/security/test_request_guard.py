"""campbot.slack.request_guard never raises, whatever the bytes, and refuses what Bolt would choke on."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from campbot.slack.request_guard import BAD_SHAPE, TOO_LARGE, UNSIGNED, check, shape_ok, verify_signature
from tests.support.slack_requests import sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _headers(body: bytes, ts: str | None = None, ctype: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"x-slack-request-timestamp": ts, "x-slack-signature": sign(SECRET, ts, body), "content-type": ctype}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=30), st.text(max_size=80))
def test_never_raises_on_any_headers_or_body(body: bytes, ts: str, sig: str) -> None:
    assert check(SECRET, body, {"x-slack-request-timestamp": ts, "x-slack-signature": sig}) in (UNSIGNED, TOO_LARGE)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_any_signed_json_shape_is_decided_without_raising(value: object) -> None:
    for body in (json.dumps(value).encode(), urlencode({"payload": json.dumps(value)}).encode()):
        assert check(SECRET, body, _headers(body)) in (None, BAD_SHAPE)


def test_signature_window_and_format() -> None:
    body, now = b"a=1", time.time()
    ts = str(int(now))
    good = sign(SECRET, ts, body)
    assert verify_signature(SECRET, body, ts, good, now=now)
    assert verify_signature(SECRET, body, ts, good, now=now + 299)
    assert not verify_signature(SECRET, body, ts, good, now=now + 301)
    assert not verify_signature(SECRET, body, ts, good, now=now - 301)
    assert not verify_signature(SECRET, body + b"2", ts, good, now=now)
    assert not verify_signature(SECRET, body, ts, good.upper(), now=now)
    assert not verify_signature(SECRET, body, "\u00b9\u00b2\u00b3", good, now=now)
    assert not verify_signature(SECRET, body, ts, None, now=now)


def test_real_slack_shapes_pass() -> None:
    action = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "trigger_id": "1.2",
        "actions": [{"action_id": "vote_toggle", "value": "3", "action_ts": "1.0"}],
    }
    view = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "view": {
            "type": "modal",
            "callback_id": "pitch_submit",
            "state": {"values": {"title": {"value": {"type": "plain_text_input", "value": "x"}}}},
        },
    }
    event = {
        "type": "event_callback",
        "event_id": "Ev1",
        "team_id": "T1",
        "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
    }
    assert shape_ok(urlencode({"payload": json.dumps(action)}).encode(), "application/x-www-form-urlencoded")
    assert shape_ok(urlencode({"payload": json.dumps(view)}).encode(), "application/x-www-form-urlencoded")
    assert shape_ok(json.dumps(event).encode(), "application/json")
    assert shape_ok(b"command=%2Fcamp&text=status&user_id=U1&team_id=T1", "application/x-www-form-urlencoded")
    assert shape_ok(json.dumps({"type": "url_verification", "challenge": "c"}).encode(), "application/json")
    # and the same with one field of the wrong type are refused
    assert not shape_ok(urlencode({"payload": json.dumps({**action, "actions": "x"})}).encode(), "")
    assert not shape_ok(urlencode({"payload": json.dumps({**view, "view": {"callback_id": "x"}})}).encode(), "")
    assert not shape_ok(json.dumps({**event, "event": None}).encode(), "application/json")

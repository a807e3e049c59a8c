"""Every malformed request to /slack/events is refused with a 4xx, never a 500.

Unsigned, stale, tampered: 401 before anything runs. Signed but nonsense (garbage bodies,
wrong content types, `payload=` that is not JSON, unknown action or callback ids): a 4xx or
a quiet 200 (Bolt acks what no listener handles with 404), and nothing changes. Each request
is sent over real HTTP to the real app, and after the whole matrix the database and the fake
Slack prove nothing happened.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlmodel import func, select

from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, Pitch, Vote
from tests.e2e.conftest import BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import FORM, JSON_TYPE, SlackSender, sign

ORGANISER = "U0ORGANISE1"


def _command_body(slack: SlackSender) -> str:
    return urlencode(slack.command_fields("/camp", "voting open", user_id=ORGANISER))


def _raw(slack: SlackSender, body: bytes | str, headers: dict[str, str]) -> int:
    raw = body.encode() if isinstance(body, str) else body
    return requests.post(slack.url, data=raw, headers=headers, timeout=10).status_code


def _headers(secret: str, body: str, ts: str, ctype: str = FORM) -> dict[str, str]:
    return {"Content-Type": ctype, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(secret, ts, body)}


# Each case: (id, builds headers for a correctly shaped /camp command body). All must be 401.
def _now() -> int:
    return int(time.time())


UNSIGNED_CASES: list[tuple[str, Callable[[str, str], dict[str, str]]]] = [
    ("bad-signature", lambda s, b: {**_headers(s, b, str(_now())), "X-Slack-Signature": "v0=" + "0" * 64}),
    (
        "signature-uppercase-hex",
        lambda s, b: {
            **_headers(s, b, str(_now())),
            "X-Slack-Signature": _headers(s, b, str(_now()))["X-Slack-Signature"].upper(),
        },
    ),
    (
        "signature-v1-scheme",
        lambda s, b: {
            **_headers(s, b, str(_now())),
            "X-Slack-Signature": _headers(s, b, str(_now()))["X-Slack-Signature"].replace("v0=", "v1="),
        },
    ),
    ("empty-signature", lambda s, b: {**_headers(s, b, str(_now())), "X-Slack-Signature": ""}),
    (
        "missing-signature",
        lambda s, b: {k: v for k, v in _headers(s, b, str(_now())).items() if k != "X-Slack-Signature"},
    ),
    (
        "missing-timestamp",
        lambda s, b: {k: v for k, v in _headers(s, b, str(_now())).items() if k != "X-Slack-Request-Timestamp"},
    ),
    ("missing-both", lambda s, b: {"Content-Type": FORM}),
    ("stale-6-minutes", lambda s, b: _headers(s, b, str(_now() - 6 * 60))),
    ("future-6-minutes", lambda s, b: _headers(s, b, str(_now() + 6 * 60))),
    ("stale-a-year", lambda s, b: _headers(s, b, str(_now() - 365 * 86400))),
    ("timestamp-zero", lambda s, b: _headers(s, b, "0")),
    ("timestamp-non-numeric", lambda s, b: _headers(s, b, "not-a-number")),
    ("timestamp-float", lambda s, b: _headers(s, b, f"{time.time():.3f}")),
    ("timestamp-negative", lambda s, b: _headers(s, b, f"-{_now()}")),
    ("timestamp-huge", lambda s, b: _headers(s, b, "9" * 40)),
    ("timestamp-empty", lambda s, b: _headers(s, b, "")),
    ("timestamp-inner-space", lambda s, b: _headers(s, b, f"{_now() // 1000} {_now() % 1000}")),
    ("timestamp-hex", lambda s, b: _headers(s, b, hex(_now()))),
    ("timestamp-superscript-digits", lambda s, b: _headers(s, b, "\u00b9\u00b2\u00b3")),
    ("wrong-secret", lambda s, b: _headers("not-the-secret", b, str(_now()))),
    ("signed-other-body", lambda s, b: {**_headers(s, b.replace("voting+open", "voting+close"), str(_now()))}),
    (
        "signed-other-timestamp",
        lambda s, b: {**_headers(s, b, str(_now() - 1)), "X-Slack-Request-Timestamp": str(_now())},
    ),
]


def _vote_and_audit_counts(bot: BotServer) -> tuple[int, int, int, str]:
    with session_scope(bot.ctx.engine) as db:
        votes = db.exec(select(func.count()).select_from(Vote)).one()
        pitches = db.exec(select(func.count()).select_from(Pitch)).one()
        audits = db.exec(select(func.count()).select_from(AuditLog)).one()
        status = db.exec(select(Event.voting_status)).one()
    return int(votes), int(pitches), int(audits), str(status)


@pytest.mark.parametrize("case", [c[0] for c in UNSIGNED_CASES])
def test_unverifiable_requests_are_401_and_change_nothing(
    case: str, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    build = dict(UNSIGNED_CASES)[case]
    body = _command_body(slack)
    before = _vote_and_audit_counts(bot)
    status = _raw(slack, body, build(slack.signing_secret, body))
    assert status == 401, (case, status)
    bot.settle()
    assert _vote_and_audit_counts(bot) == before
    assert fake_slack.calls == []


def test_the_matrix_is_not_vacuous_a_good_signature_passes(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    """The same body with correct headers runs, so the 401s above are the signature check."""
    body = _command_body(slack)
    assert _raw(slack, body, _headers(slack.signing_secret, body, str(_now()))) == 200
    fake_slack.wait_for("response_url")
    bot.settle()
    assert _vote_and_audit_counts(bot)[3] == "open"


def _payload(obj: Any) -> str:
    return urlencode({"payload": obj if isinstance(obj, str) else json.dumps(obj)})


def _signed_bad_bodies(slack: SlackSender) -> list[tuple[str, bytes | str, str]]:
    """(id, body, content type): signed with the right secret, but nonsense."""
    base_action = slack.block_actions_payload(
        [{"type": "button", "action_id": "vote_toggle", "block_id": "b", "value": "1"}], user_id="U0FAN1"
    )
    return [
        ("empty-form", "", FORM),
        ("empty-json", "", JSON_TYPE),
        ("garbage-bytes", bytes(range(256)) * 4, FORM),
        ("garbage-bytes-json", b"\xff\xfe\x00{]", JSON_TYPE),
        ("latin1-form", "text=caf\xe9".encode("latin-1"), FORM),
        ("huge-form", "x=" + "a" * 2_000_000, FORM),
        ("huge-json", json.dumps({"type": "event_callback", "pad": "a" * 2_000_000}), JSON_TYPE),
        ("too-large", "x=" + "a" * 5_000_000, FORM),
        ("deep-json", "[" * 5000 + "]" * 5000, JSON_TYPE),
        ("json-with-form-type", json.dumps({"type": "event_callback", "event": {}}), FORM),
        ("form-with-json-type", _command_body(slack), JSON_TYPE),
        ("text-plain", "hello", "text/plain"),
        ("xml", "<?xml version='1.0'?><a/>", "application/xml"),
        (
            "multipart",
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
            "multipart/form-data; boundary=x",
        ),
        ("no-content-type", "x=1&y", ""),
        ("payload-not-json", "payload=not-json", FORM),
        ("payload-truncated-json", _payload('{"type": "block_actions", "actions": ['), FORM),
        ("payload-json-list", _payload([1, 2, 3]), FORM),
        ("payload-json-string", _payload('"block_actions"'), FORM),
        ("payload-json-number", _payload("42"), FORM),
        ("payload-json-null", _payload("null"), FORM),
        ("payload-empty-object", _payload({}), FORM),
        ("payload-twice", _payload({"type": "block_actions"}) + "&" + _payload({"type": "view_submission"}), FORM),
        ("json-list", "[1,2]", JSON_TYPE),
        ("json-string", '"event_callback"', JSON_TYPE),
        ("json-null", "null", JSON_TYPE),
        ("json-empty-object", "{}", JSON_TYPE),
        ("json-not-json", "{not json", JSON_TYPE),
        ("block-actions-no-actions", _payload({**base_action, "actions": []}), FORM),
        ("block-actions-actions-not-list", _payload({**base_action, "actions": "vote_toggle"}), FORM),
        ("block-actions-action-not-dict", _payload({**base_action, "actions": ["vote_toggle"]}), FORM),
        (
            "block-actions-unknown-action",
            _payload(
                {
                    **base_action,
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "drop_tables",
                            "block_id": "b",
                            "value": "1",
                            "action_ts": "1.0",
                        }
                    ],
                }
            ),
            FORM,
        ),
        ("block-actions-no-user", _payload({k: v for k, v in base_action.items() if k != "user"}), FORM),
        ("block-actions-user-not-dict", _payload({**base_action, "user": "U0ORGANISE1"}), FORM),
        ("block-actions-user-null", _payload({**base_action, "user": None}), FORM),
        ("block-actions-team-null", _payload({**base_action, "team": None}), FORM),
        (
            "vote-value-not-a-pitch",
            _payload(
                {
                    **base_action,
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "vote_toggle",
                            "block_id": "b",
                            "value": "'; DROP TABLE vote;--",
                            "action_ts": "2.0",
                        }
                    ],
                }
            ),
            FORM,
        ),
        (
            "vote-value-huge-int",
            _payload(
                {
                    **base_action,
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "vote_toggle",
                            "block_id": "b",
                            "value": "9" * 40,
                            "action_ts": "3.0",
                        }
                    ],
                }
            ),
            FORM,
        ),
        (
            "vote-value-missing",
            _payload(
                {
                    **base_action,
                    "actions": [{"type": "button", "action_id": "vote_toggle", "block_id": "b", "action_ts": "4.0"}],
                }
            ),
            FORM,
        ),
        (
            "publish-value-garbage",
            _payload(
                {
                    **base_action,
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "grid_publish",
                            "block_id": "b",
                            "value": "x",
                            "action_ts": "5.0",
                        }
                    ],
                }
            ),
            FORM,
        ),
        (
            "menu-no-selected-option",
            _payload(
                {
                    **base_action,
                    "actions": [{"type": "overflow", "action_id": "pitch_menu", "block_id": "b", "action_ts": "6.0"}],
                }
            ),
            FORM,
        ),
        (
            "view-submission-unknown-callback",
            _payload(
                {
                    "type": "view_submission",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-unknown-cb",
                    "view": {"callback_id": "nope", "state": {"values": {}}},
                }
            ),
            FORM,
        ),
        (
            "view-submission-no-view",
            _payload(
                {
                    "type": "view_submission",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-no-view",
                }
            ),
            FORM,
        ),
        (
            "view-submission-view-not-dict",
            _payload(
                {
                    "type": "view_submission",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-view-str",
                    "view": "pitch_submit",
                }
            ),
            FORM,
        ),
        (
            "view-submission-pitch-no-state",
            _payload(
                {
                    "type": "view_submission",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-no-state",
                    "view": {"callback_id": "pitch_submit"},
                }
            ),
            FORM,
        ),
        (
            "view-submission-pitch-state-garbage",
            _payload(
                {
                    "type": "view_submission",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-garbage",
                    "view": {
                        "callback_id": "pitch_submit",
                        "private_metadata": "{{{",
                        "state": {"values": {"title": "x", "format": [1]}},
                    },
                }
            ),
            FORM,
        ),
        (
            "view-closed-unknown",
            _payload(
                {
                    "type": "view_closed",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "view": {"callback_id": "nope"},
                }
            ),
            FORM,
        ),
        ("unknown-interaction-type", _payload({"type": "launch_missiles", "user": {"id": "U0FAN1"}}), FORM),
        (
            "shortcut-unknown",
            _payload(
                {
                    "type": "shortcut",
                    "callback_id": "nope",
                    "user": {"id": "U0FAN1"},
                    "team": {"id": "T0CAMP"},
                    "trigger_id": "t-shortcut",
                }
            ),
            FORM,
        ),
        ("command-unknown", urlencode(slack.command_fields("/rm-rf", "", user_id="U0FAN1")), FORM),
        (
            "command-no-user",
            urlencode(
                {k: v for k, v in slack.command_fields("/camp", "status", user_id="U0FAN1").items() if k != "user_id"}
            ),
            FORM,
        ),
        (
            "command-no-team",
            urlencode(
                {k: v for k, v in slack.command_fields("/camp", "status", user_id="U0FAN1").items() if k != "team_id"}
            ),
            FORM,
        ),
        ("command-huge-text", urlencode(slack.command_fields("/camp", "x" * 100_000, user_id="U0FAN1")), FORM),
        ("command-nul-text", urlencode(slack.command_fields("/camp", "voting\x00open", user_id="U0FAN1")), FORM),
        ("event-no-event", json.dumps({**slack.event_body({"type": "app_home_opened"}), "event": None}), JSON_TYPE),
        ("event-unknown-type", json.dumps(slack.event_body({"type": "no_such_event", "user": "U0FAN1"})), JSON_TYPE),
        (
            "event-event-not-dict",
            json.dumps({**slack.event_body({"type": "x"}), "event": "app_home_opened"}),
            JSON_TYPE,
        ),
        ("event-home-no-user", json.dumps(slack.event_body({"type": "app_home_opened", "tab": "home"})), JSON_TYPE),
        (
            "event-uninstalled-other-team",
            json.dumps({**slack.event_body({"type": "app_uninstalled"}), "team_id": "T0OTHER"}),
            JSON_TYPE,
        ),
        ("url-verification-no-challenge", json.dumps({"type": "url_verification"}), JSON_TYPE),
    ]


BAD_BODY_IDS = [
    "empty-form",
    "empty-json",
    "garbage-bytes",
    "garbage-bytes-json",
    "latin1-form",
    "huge-form",
    "huge-json",
    "too-large",
    "deep-json",
    "json-with-form-type",
    "form-with-json-type",
    "text-plain",
    "xml",
    "multipart",
    "no-content-type",
    "payload-not-json",
    "payload-truncated-json",
    "payload-json-list",
    "payload-json-string",
    "payload-json-number",
    "payload-json-null",
    "payload-empty-object",
    "payload-twice",
    "json-list",
    "json-string",
    "json-null",
    "json-empty-object",
    "json-not-json",
    "block-actions-no-actions",
    "block-actions-actions-not-list",
    "block-actions-action-not-dict",
    "block-actions-unknown-action",
    "block-actions-no-user",
    "block-actions-user-not-dict",
    "block-actions-user-null",
    "block-actions-team-null",
    "vote-value-not-a-pitch",
    "vote-value-huge-int",
    "vote-value-missing",
    "publish-value-garbage",
    "menu-no-selected-option",
    "view-submission-unknown-callback",
    "view-submission-no-view",
    "view-submission-view-not-dict",
    "view-submission-pitch-no-state",
    "view-submission-pitch-state-garbage",
    "view-closed-unknown",
    "unknown-interaction-type",
    "shortcut-unknown",
    "command-unknown",
    "command-no-user",
    "command-no-team",
    "command-huge-text",
    "command-nul-text",
    "event-no-event",
    "event-unknown-type",
    "event-event-not-dict",
    "event-home-no-user",
    "event-uninstalled-other-team",
    "url-verification-no-challenge",
]


def test_case_ids_match_the_bodies(slack: SlackSender) -> None:
    assert [c[0] for c in _signed_bad_bodies(slack)] == BAD_BODY_IDS


@pytest.mark.parametrize("case", BAD_BODY_IDS)
def test_signed_nonsense_is_never_a_500_and_changes_nothing(
    case: str, slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event
) -> None:
    _, body, ctype = next(c for c in _signed_bad_bodies(slack) if c[0] == case)
    raw = body.encode() if isinstance(body, str) else body
    ts = str(_now())
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(slack.signing_secret, ts, raw)}
    if ctype:
        headers["Content-Type"] = ctype
    before = _vote_and_audit_counts(bot)
    resp = requests.post(slack.url, data=raw, headers=headers, timeout=30)
    assert resp.status_code < 500, (case, resp.status_code, resp.text[:200])
    assert "Traceback" not in resp.text
    bot.settle()
    assert _vote_and_audit_counts(bot) == before
    # Nothing posted publicly; at most a private "sorry / out of date" to the person who acted.
    public = [
        c
        for c in fake_slack.calls
        if c.method in ("chat.postMessage", "chat.update", "views.publish")
        and not str(c.params.get("channel", "")).startswith(("U", "D"))
    ]
    assert public == [], [c.method for c in public]


def test_other_paths_and_methods(bot: BotServer) -> None:
    for method, path, want in [
        ("GET", "/slack/events", 405),
        ("PUT", "/slack/events", 405),
        ("DELETE", "/slack/events", 405),
        ("GET", "/slack/events/../../etc/passwd", 404),
        ("POST", "/nope", 404),
        ("GET", "/healthz", 200),
    ]:
        resp = requests.request(method, bot.url + path, timeout=10)
        assert resp.status_code == want, (method, path, resp.status_code)

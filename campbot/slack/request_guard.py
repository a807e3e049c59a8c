"""The gate in front of Bolt: verify the signature, then refuse bodies Bolt would choke on.

Bolt verifies signatures too, but it turns some unverifiable requests into a 500 (a
timestamp like "¹²³" passes `str.isdigit` and then fails `int()`), and a correctly signed
body of the wrong *shape* (a JSON list, `payload` that is a number, `actions` that is a
string, a view without `state`) raises deep inside Bolt's payload helpers, again a 500.
Only Slack (or someone holding the signing secret) can send a signed body, so these are
bugs or attacks, never users: each gets a plain 4xx and reaches no listener.

Order matters: the signature is checked first, so anyone without the secret learns nothing
but "401" whatever the body; the shape is checked only for signed requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

# Slack's documented payloads are far smaller; a bigger body is refused before it is parsed.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_AGE_SECONDS = 60 * 5  # Slack's replay window (slack_sdk.signature.SignatureVerifier)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Interactive payload types whose `view` Bolt reads (callback_id, state.values).
_VIEW_TYPES = ("view_submission", "view_closed")


@dataclass(frozen=True)
class Refusal:
    status: str  # WSGI status line
    reason: str  # short, safe to show (no request content)


UNSIGNED = Refusal("401 Unauthorized", "invalid request")
BAD_SHAPE = Refusal("400 Bad Request", "bad request")
TOO_LARGE = Refusal("413 Payload Too Large", "request too large")


def verify_signature(secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float) -> bool:
    """Slack's v0 scheme over the raw bytes, the timestamp within 5 minutes of `now`.
    Malformed headers (or a body that is not UTF-8) are simply unsigned, never an exception."""
    if not timestamp or not signature or not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _dict_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _user_ok(payload: dict[str, Any]) -> bool:
    user = payload.get("user")
    return user is None or (isinstance(user, dict) and _is_str(user.get("id", "")))


def _interactive_ok(payload: Any) -> bool:
    """The fields Bolt dereferences in an interactivity payload have the types Slack sends."""
    if not isinstance(payload, dict) or not _is_str(payload.get("type")):
        return False
    if not _user_ok(payload) or not _dict_or_none(payload.get("team")) or not _dict_or_none(payload.get("channel")):
        return False
    kind = payload["type"]
    if kind == "workflow_step_edit" and not isinstance(payload.get("workflow_step"), dict):
        return False
    if "actions" in payload or kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return False
        if not all(isinstance(a, dict) and _is_str(a.get("action_id", "")) for a in actions):
            return False
    if "view" in payload or kind in _VIEW_TYPES:
        view = payload.get("view")
        if not isinstance(view, dict):
            return False
        if kind in _VIEW_TYPES:
            if not _is_str(view.get("type")):
                return False
            if view["type"] == "workflow_step" and not isinstance(payload.get("workflow_step"), dict):
                return False
            state = view.get("state", {} if kind == "view_closed" else None)
            if not _is_str(view.get("callback_id")) or not isinstance(state, dict):
                return False
            values = state.get("values", {})
            if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
                return False
            if not all(isinstance(e, dict) for v in values.values() for e in v.values()):
                return False
    return True


def _events_ok(body: Any) -> bool:
    """An Events API body: a dict with a `type`; an event_callback carries an `event` dict."""
    if not isinstance(body, dict) or not _is_str(body.get("type")):
        return False
    if body["type"] == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _is_str(event.get("type")):
            return False
        if "user" in event and not _is_str(event["user"]) and not isinstance(event["user"], dict):
            return False
        if event["type"] == "workflow_step_execute" and not isinstance(event.get("workflow_step"), dict):
            return False
        if not isinstance(body.get("authorizations", []), list):
            return False
    return True


def shape_ok(body: bytes, content_type: str) -> bool:
    """Parse the body exactly the way Bolt will (slack_bolt.request.internals.parse_body) and
    check the parts it dereferences. Never raises."""
    try:
        text = body.decode("utf-8")
        if not text:
            return True
        if content_type.split(";")[0] == "application/json" or text.startswith("{"):
            return _events_ok(json.loads(text))
        if "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            return payload is None or _interactive_ok(json.loads(payload))
        return True  # a slash command (form fields); Bolt reads them with .get
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, JSON nested too deep
        return False


def check(secret: str | None, body: bytes, headers: dict[str, str]) -> Refusal | None:
    """None when the request may go on to Bolt; else why not. `headers` keys are lower-case.

    With no signing secret (Socket Mode deployments never serve HTTP), only the shape is
    checked; HTTP mode refuses to start without a secret (campbot.server.serve.check_settings).
    """
    if len(body) > MAX_BODY_BYTES:
        return TOO_LARGE
    if secret is not None and not verify_signature(
        secret, body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature"), now=time.time()
    ):
        return UNSIGNED
    if not shape_ok(body, headers.get("content-type", "")):
        return BAD_SHAPE
    return None

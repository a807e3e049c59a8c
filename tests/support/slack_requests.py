"""Send requests to the bot exactly as Slack does: signed, and shaped like Slack's payloads.

Signing follows Slack's scheme (what slack_sdk's SignatureVerifier checks):
`X-Slack-Signature: v0=` + HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"), with
`X-Slack-Request-Timestamp: {timestamp}`. Bodies:

* slash commands: form-encoded fields (command, text, user_id, trigger_id, response_url...);
* interactivity (block_actions, view_submission): form-encoded `payload=<JSON>`;
* Events API: a JSON body (`type: event_callback`, `event_id`, `event: {...}`).

Usage (see tests/e2e/conftest.py for the fixtures that give you a `SlackSender`)::

    sent = slack.command("/camp", "status", user_id="U0ORGANISE1")
    assert sent.status == 200
    fake.wait_for("response_url")                      # what the bot answered privately
    view = slack.open_view_from(fake, "views.open")    # the modal the bot opened
    slack.submit_view(view, {"title": "My session", "format": "workshop"}, user_id="U1")
    slack.click("vote_toggle", "12", user_id="U2", message=card_message)
    slack.event({"type": "app_home_opened", "user": "U2", "tab": "home"})
    sent.again()                                        # replay the identical signed bytes

`submit_view` fills `view.state.values` the way Slack does: each input block's answer
shaped for its element type (plain_text_input value, static_select selected_option,
checkboxes selected_options, multi_users_select selected_users...), unanswered inputs
carrying their initial values.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from campbot.slack.local_slack import new_trigger_id

_ids = itertools.count(1)


def sign(secret: str, timestamp: str | int, body: str | bytes) -> str:
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: str | bytes, content_type: str, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(secret, ts, body)}


FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


def unique(prefix: str) -> str:
    """A fresh id like Slack's (trigger ids, event ids, action_ts are unique per action)."""
    n = next(_ids)
    return f"{prefix}{int(time.time())}{n:06d}"


@dataclass
class Sent:
    """One request as sent, and its response; `again()` replays the identical bytes and headers."""

    url: str
    body: bytes
    headers: dict[str, str]
    response: requests.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    def json(self) -> Any:
        return self.response.json() if self.response.content else None

    def again(self) -> Sent:
        resp = requests.post(self.url, data=self.body, headers=self.headers, timeout=10)
        return Sent(self.url, self.body, dict(self.headers), resp)


@dataclass
class SlackSender:
    """Signs and posts requests to `url` (the bot's /slack/events) as workspace `team_id`."""

    url: str
    signing_secret: str
    team_id: str = "T0CAMP"
    team_domain: str = "camp"
    api_app_id: str = "A0CAMPBOT"
    response_url: str | None = None  # where the bot's replies go (FakeSlack.respond_url())
    user_names: dict[str, str] = field(default_factory=dict)

    # -- raw -----------------------------------------------------------------------------
    def post(
        self,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        omit: tuple[str, ...] = (),
    ) -> Sent:
        """Sign and send a raw body. `headers` override (e.g. a bad signature), `omit` drops
        headers by name (e.g. "X-Slack-Signature")."""
        raw = body.encode() if isinstance(body, str) else body
        h = signed_headers(self.signing_secret, raw, content_type, timestamp=timestamp)
        h.update(headers or {})
        for name in omit:
            h.pop(name, None)
        resp = requests.post(self.url, data=raw, headers=h, timeout=10)
        return Sent(self.url, raw, h, resp)

    def post_form(self, fields: dict[str, Any], **kw: Any) -> Sent:
        return self.post(urlencode(fields), FORM, **kw)

    def post_payload(self, payload: dict[str, Any], **kw: Any) -> Sent:
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM, **kw)

    # -- shapes --------------------------------------------------------------------------
    def _user(self, user_id: str) -> dict[str, Any]:
        name = self.user_names.get(user_id, user_id.lower())
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def command_fields(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str = "C0GENERAL",
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": self.user_names.get(user_id, user_id.lower()),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url or "https://hooks.slack.com/commands/T0CAMP/1/x",
            "trigger_id": trigger_id or new_trigger_id(),
        }

    def block_actions_payload(
        self,
        actions: list[dict[str, Any]],
        *,
        user_id: str,
        message: dict[str, Any] | None = None,
        channel_id: str = "C0PITCHES",
        view: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A block_actions payload: from a message (channel + response_url) or, with `view`,
        from the App Home or a modal (no channel, no response_url)."""
        stamp = f"{time.time():.6f}"
        acts = [{"action_ts": stamp, **a} for a in actions]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token",
            "trigger_id": new_trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": acts,
            "state": {"values": {}},
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0HOME")}
            payload["view"] = {"id": "V0HOME", "team_id": self.team_id, "hash": "h", **view}
        else:
            msg = message or {"type": "message", "ts": "1700000000.000001", "text": "", "blocks": []}
            payload["container"] = {
                "type": "message",
                "message_ts": msg.get("ts"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "pitches"}
            payload["message"] = msg
            payload["response_url"] = self.response_url or "https://hooks.slack.com/actions/T0CAMP/1/x"
        return payload

    def view_submission_payload(self, view: dict[str, Any], values: dict[str, Any], *, user_id: str) -> dict[str, Any]:
        submitted = {
            "id": view.get("id", unique("V")),
            "team_id": self.team_id,
            "app_id": self.api_app_id,
            "bot_id": "B0BOT",
            "hash": unique("h."),
            "root_view_id": None,
            "previous_view_id": None,
            "state": {"values": values},
            **{k: v for k, v in view.items() if k not in ("state", "id")},
        }
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token",
            "trigger_id": new_trigger_id(),
            "view": submitted,
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": f"{now}.000100", **event},
            "type": "event_callback",
            "event_id": event_id or unique("Ev0"),
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    # -- high level ----------------------------------------------------------------------
    def command(self, command: str, text: str = "", *, user_id: str, **kw: Any) -> Sent:
        return self.post_form(self.command_fields(command, text, user_id=user_id, **kw))

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        block_id: str = "b",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        text: str = "button",
    ) -> Sent:
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "text": {"type": "plain_text", "text": text, "emoji": True},
        }
        return self.post_payload(self.block_actions_payload([action], user_id=user_id, message=message, view=view))

    def choose(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        block_id: str = "b",
        element: str = "overflow",
        message: dict[str, Any] | None = None,
    ) -> Sent:
        """Pick an option from an overflow menu or a static select in a message."""
        action = {
            "type": element,
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
        return self.post_payload(self.block_actions_payload([action], user_id=user_id, message=message))

    def submit_view(self, view: dict[str, Any], answers: dict[str, Any], *, user_id: str) -> Sent:
        return self.post_payload(self.view_submission_payload(view, view_state(view, answers), user_id=user_id))

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> Sent:
        return self.post(json.dumps(self.event_body(event, event_id=event_id)), JSON_TYPE)


def _option_for(element: dict[str, Any], value: str) -> dict[str, Any]:
    for o in element.get("options") or []:
        if o.get("value") == value:
            return o
    # an option the view doesn't have (a forged or stale submission): still shaped like one
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def view_state(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as Slack sends it, for `answers` keyed by block_id.

    Answer types: str for text/number inputs; str (an option value) for static_select and
    radio_buttons; list of option values for checkboxes / multi_static_select; list of user
    ids for multi_users_select; None to submit an input empty.
    """
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        el = block["element"]
        kind, action_id, bid = el["type"], el.get("action_id", "value"), block["block_id"]
        given = bid in answers
        ans = answers.get(bid)
        state: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
            state["value"] = (str(ans) if ans is not None else None) if given else el.get("initial_value")
        elif kind in ("static_select", "radio_buttons", "external_select"):
            if given:
                state["selected_option"] = _option_for(el, str(ans)) if ans is not None else None
            else:
                state["selected_option"] = el.get("initial_option")
        elif kind in ("checkboxes", "multi_static_select", "multi_external_select"):
            if given:
                state["selected_options"] = [_option_for(el, str(v)) for v in (ans or [])]
            else:
                state["selected_options"] = el.get("initial_options") or []
        elif kind == "multi_users_select":
            state["selected_users"] = list(ans or []) if given else list(el.get("initial_users") or [])
        elif kind == "users_select":
            state["selected_user"] = ans if given else el.get("initial_user")
        elif kind == "conversations_select":
            state["selected_conversation"] = ans if given else el.get("initial_conversation")
        else:
            state["value"] = ans
        values[bid] = {action_id: state}
    unknown = set(answers) - set(values)
    if unknown:
        raise KeyError(f"no input block(s) {sorted(unknown)} in this view; it has {sorted(values)}")
    return values


def message_from_post(params: dict[str, Any], ts: str) -> dict[str, Any]:
    """The message Slack would attach to a block_actions payload for a card the bot posted
    (chat.postMessage params, as FakeSlack recorded them) with timestamp `ts`."""
    return {
        "type": "message",
        "ts": ts,
        "text": params.get("text", ""),
        "blocks": params.get("blocks", []),
        "bot_id": "B0BOT",
        "user": "U0BOT",
    }

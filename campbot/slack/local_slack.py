"""A local stand-in for Slack's Web API: records every call and can answer errors and 429s.

It speaks HTTP on 127.0.0.1, so the bot talks to it exactly as it talks to slack.com
(the real slack_sdk WebClient, pointed here by CAMPBOT_SLACK_API_URL). The tests use it as
their fake Slack; `campbot demo` uses it with a `listener` that prints what would be posted.

**Limits mode** (`LocalSlack(limits=limits_from(...))`): it enforces Slack's documented rate
limits and nothing stricter, as Slack would: per workspace (bot token) and method, at most
`calls` in any `per_seconds` window (campbot.slack.outbound.limits: Tier 2/3/4), chat.postMessage per
channel likewise, and HTTP 429 with `Retry-After` beyond that (counted in `rate_limited`).
views.open answers `expired_trigger_id` when it comes more than `trigger_ttl` seconds after the
request that carried the trigger: trigger ids made by `new_trigger_id()` carry that moment.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from campbot.slack.outbound.limits import Limits, budget_key

_trigger_seq = itertools.count(1)


def new_trigger_id(issued: float | None = None) -> str:
    """A trigger id shaped like Slack's ("<n>.<n>.<hex>") whose first part is the moment it was
    issued (epoch milliseconds), so the limits mode can tell when a views.open comes too late."""
    millis = int((time.time() if issued is None else issued) * 1000)
    return f"{millis}.{next(_trigger_seq):09d}.{uuid.uuid4().hex[:20]}"


def trigger_issued_at(trigger_id: str) -> float | None:
    head = trigger_id.split(".", 1)[0]
    return int(head) / 1000 if head.isdigit() and len(head) == 13 else None


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # a burst of sends (a 429 storm, a load test) must not be refused
    daemon_threads = True


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    times: int


@dataclass
class LocalSlack:
    """Start with `start()`; `url` is the base URL to give the bot."""

    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    team_id: str = "T0CAMP"
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None
    listener: Callable[[Call], None] | None = None  # told of every answered call, in order
    limits: Limits | None = None  # limits mode (module docstring); None answers everything
    trigger_ttl: float = 3.0
    rate_limited: Counter[str] = field(default_factory=Counter)  # 429s answered, per method
    expired_triggers: int = 0
    _windows: dict[str, deque[float]] = field(default_factory=dict)

    # -- control -------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._serve(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             retry_after: int | None = None, times: int = 1) -> None:
        """Make the next `times` calls to `method` fail: a 429 (with Retry-After), a 5xx,
        or a 200 with ok=false and `error`."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, error, retry_after, times))

    def on(self, method: str, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Answer `method` with `handler(params)` instead of the default."""
        self._handlers[method] = handler

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    # -- serving -------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        method = req.path.rsplit("/", 1)[-1].split("?")[0]
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length).decode() if length else ""
        params = _parse(body, req.headers.get("Content-Type", ""))
        if "?" in req.path:
            params.update({k: v[0] for k, v in parse_qs(req.path.split("?", 1)[1]).items()})
        headers = {k.lower(): v for k, v in req.headers.items()}
        with self._lock:
            failure = self._take_failure(method) or self._over_limit(method, params, headers)
            if failure is None:
                call = Call(method, params, headers)
                self.calls.append(call)
                if self.listener is not None:
                    self.listener(call)
        if failure is not None:
            self._reply(req, failure.status, {"ok": False, "error": failure.error or "ratelimited"},
                        {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {})
            return
        self._reply(req, 200, self._answer(method, params), {})

    def _over_limit(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Failure | None:
        """Limits mode: a 429 if this call breaks its window; an expired trigger. Holds the lock."""
        if self.limits is None or method == "response_url":  # response URLs are not Web API methods
            return None
        workspace = headers.get("authorization", "")[-12:]
        channel = params.get("channel")
        found = budget_key(workspace, method, channel if isinstance(channel, str) else None, self.limits)
        now = time.monotonic()
        if found is not None:
            key, limit = found
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.calls:
                self.rate_limited[method] += 1
                return _Failure(429, "ratelimited", max(1, math.ceil(window[0] + limit.per_seconds - now)), 1)
            window.append(now)
        if method == "views.open":
            issued = trigger_issued_at(str(params.get("trigger_id", "")))
            if issued is not None and time.time() - issued > self.trigger_ttl:
                self.expired_triggers += 1
                return _Failure(200, "expired_trigger_id", None, 1)
        return None

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method) or []
        if not queue:
            return None
        head = queue[0]
        head.times -= 1
        if head.times <= 0:
            queue.pop(0)
        return head

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self._handlers:
            return self._handlers[method](params)
        ts = f"1700000000.{next(self._ts):06d}"
        channel = params.get("channel", "C0DEFAULT")
        match method:
            case "chat.postMessage" | "chat.update":
                return {"ok": True, "channel": channel, "ts": params.get("ts") or ts,
                        "message": {"text": params.get("text", ""), "ts": params.get("ts") or ts}}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "conversations.open":
                users = str(params.get("users", "U0"))
                return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
            case "views.open" | "views.publish" | "views.update" | "views.push":
                return {"ok": True, "view": {"id": "V" + ts.replace(".", ""), "hash": "h"}}
            case "users.info":
                uid = params.get("user", "U0")
                return {"ok": True, "user": self.users.get(uid, {"id": uid, "name": uid.lower(),
                                                                  "real_name": f"Person {uid}",
                                                                  "profile": {"display_name": f"Person {uid}"}})}
            case "users.list":  # paged as Slack pages it: `limit` members, then response_metadata.next_cursor
                members = list(self.users.values())
                start = int(params.get("cursor") or 0)
                end = start + max(1, int(params.get("limit") or 200))
                return {"ok": True, "members": members[start:end],
                        "response_metadata": {"next_cursor": str(end) if end < len(members) else ""}}
            case "usergroups.users.list":
                return {"ok": True, "users": self.usergroups.get(params.get("usergroup", ""), [])}
            case "auth.test":
                return {"ok": True, "team_id": self.team_id, "user_id": "U0BOT", "bot_id": "B0BOT"}
            case _:
                return {"ok": True}

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)


def _parse(body: str, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    out: dict[str, Any] = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    for key in ("blocks", "view", "attachments"):
        if isinstance(out.get(key), str):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(out[key])
    return out

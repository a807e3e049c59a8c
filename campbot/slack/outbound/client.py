"""`PacedWebClient`: a slack_sdk WebClient that takes from the shared budget before every call.

Every Web API method of WebClient goes through `api_call`, so pacing there covers them all
(listeners, cards, publishing, reminders) without any of them knowing. The calling thread waits
for its turn: callers run on background threads (campbot.slack.outbound.background, the card refresher,
the scheduler), never on a thread that acknowledges requests.

A 429 that still comes (another app on the same token, a limit lower than documented) holds
the budget for everyone for Retry-After seconds, then the client's retry sends the call again.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse
from sqlalchemy.engine import Engine

from campbot.config.context import AppContext
from campbot.slack.outbound.budget import PERSON, Budget
from campbot.slack.outbound.limits import Limits, budget_key, limits_from
from campbot.slack.slack_client import retry_handlers

log = logging.getLogger(__name__)

_priority: contextvars.ContextVar[int] = contextvars.ContextVar("slack_priority", default=PERSON)
_prepaid: contextvars.ContextVar[str | None] = contextvars.ContextVar("slack_prepaid", default=None)
URGENT_METHODS = frozenset({"views.open", "views.push", "views.update", "chat.postEphemeral"})


@contextlib.contextmanager
def sending_as(priority: int) -> Iterator[None]:
    """Calls made inside this block take from the budget at `priority` (PERSON, CARDS, BULK)."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def workspace_of(token: str | None) -> str:
    """A budget's workspace part: a short hash of the bot token (one token per workspace),
    never the token itself (budget keys are stored and logged)."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:12]


def retry_after(headers: Any) -> float:
    """Slack's Retry-After in seconds (1 if missing or unreadable); header values may be lists."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after" and value:
            with contextlib.suppress(ValueError, TypeError):
                return max(0.0, float(value[0] if isinstance(value, list | tuple) else value))
    return 1.0


class Pacing:
    """A budget, the limits in force, and a counter of the 429s still seen (for logs and tests)."""

    def __init__(self, budget: Budget, limits: Limits) -> None:
        self.budget, self.limits = budget, limits
        self.rate_limited: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, workspace: str, method: str, channel: str | None, priority: int) -> float:
        """Wait for a token; returns the seconds waited."""
        found = budget_key(workspace, method, channel, self.limits)
        if found is None:
            return 0.0
        key, limit = found
        if limit.is_unlimited():
            return 0.0
        waited = 0.0
        while (wait := self.budget.take(key, limit, priority)) > 0:
            pause = min(wait, 0.5)  # look again soon: a higher priority may have gone first
            time.sleep(pause)
            waited += pause
        return waited

    def rate_limited_by_slack(self, workspace: str, method: str, channel: str | None, seconds: float) -> None:
        with self._lock:
            self.rate_limited[method] = self.rate_limited.get(method, 0) + 1
        found = budget_key(workspace, method, channel, self.limits)
        if found is not None:
            self.budget.hold(found[0], seconds, found[1])


class PacedRateLimitRetry(RateLimitErrorRetryHandler):
    """On a 429: hold the budget for every sender for Retry-After seconds, wait, try again."""

    def __init__(self, pacing: Pacing, workspace: str, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacing, self.workspace = pacing, workspace

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        seconds = retry_after(response.headers)
        method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        channel = (request.body_params or {}).get("channel")
        log.info("Slack says slow down on %s: holding it %.0fs", method, seconds)
        self.pacing.rate_limited_by_slack(self.workspace, method, channel if isinstance(channel, str) else None,
                                          seconds)
        time.sleep(seconds)
        state.next_attempt_requested = True
        state.increment_current_attempt()


class PacedWebClient(WebClient):
    """WebClient whose every call first takes its turn from the shared budget."""

    def __init__(self, *args: Any, pacing: Pacing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacing = pacing
        self.workspace = workspace_of(self.token)
        self.retry_handlers = [h for h in self.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
        self.retry_handlers.append(PacedRateLimitRetry(pacing, self.workspace))

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        if _prepaid.get() == api_method:  # turn() already waited for this call's token
            _prepaid.set(None)
            return super().api_call(api_method, **kwargs)
        params = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        channel = params.get("channel") if isinstance(params, dict) else None
        self.pacing.acquire(self.workspace, api_method, channel if isinstance(channel, str) else None,
                            _priority_of(api_method))
        return super().api_call(api_method, **kwargs)

    @contextlib.contextmanager
    def turn(self, method: str, channel: str | None = None) -> Iterator[None]:
        """Wait for the token first, then let the block prepare and make its one `method` call:
        a card refresh reads the count *after* its wait, so it carries the latest."""
        self.pacing.acquire(self.workspace, method, channel, _priority_of(method))
        token = _prepaid.set(method)
        try:
            yield
        finally:
            _prepaid.reset(token)


def _priority_of(method: str) -> int:
    return PERSON if method in URGENT_METHODS else _priority.get()


_pacings: dict[tuple[int, str], Pacing] = {}
_pacings_lock = threading.Lock()


def root_engine(engine: Engine) -> Engine:
    """The engine itself, not a view of it with per-request options (campbot.store.db.within): the
    pacing and the card refresher outlive the request, and must not inherit its short lock budget."""
    while isinstance(getattr(engine, "_proxied", None), Engine):
        engine = engine._proxied  # type: ignore[attr-defined]
    return engine


def pacing_for(ctx: AppContext) -> Pacing:
    """This process's Pacing for the context's database (one per engine: tests make many)."""
    engine = root_engine(ctx.engine)
    key = (id(engine), ctx.settings.slack_limits)
    with _pacings_lock:
        found = _pacings.get(key)
        if found is None or found.budget.engine is not engine:
            found = Pacing(Budget(engine), limits_from(ctx.settings.slack_limits))
            _pacings[key] = found
        return found


def paced_client(ctx: AppContext, token: str | None = None) -> PacedWebClient:
    """A paced client for the workspace of `token` (default: SLACK_BOT_TOKEN)."""
    secret = ctx.settings.slack_bot_token.get_secret_value() if ctx.settings.slack_bot_token else None
    return PacedWebClient(token=token or secret, base_url=ctx.settings.slack_api_url, timeout=15,
                          retry_handlers=retry_handlers(), pacing=pacing_for(ctx))


def paced(client: WebClient, ctx: AppContext) -> WebClient:
    """`client` (e.g. the one Bolt made for this request), as a paced client with the same token."""
    if isinstance(client, PacedWebClient):
        return client
    return paced_client(ctx, client.token)

"""What every listener needs: the AppContext, the event of this request, and a way to
answer the person privately.

`build_app` puts the AppContext into every request's Bolt context (key `campbot`), so a
callback written in any module reaches it with `app_context(context)` instead of a global.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.events import get_event
from campbot.services.requests_seen import first_time
from campbot.slack.oauth import oauth_enabled
from campbot.slack.outage import DB_BUSY, DB_DOWN
from campbot.slack.outbound.background import NORMAL, pool
from campbot.store.db import checkout_budget, is_busy, within
from campbot.store.tables import Event

log = logging.getLogger(__name__)

CONTEXT_KEY = "campbot"
DEFERRED_CLAIM = "_campbot_claim"  # body key: (AppContext, request key) to claim after the ack
DEADLINE_KEY = "campbot_ack_deadline"  # Bolt context key: time.monotonic() by which database work before the ack ends
# Slack gives up on an answer after 3 s; database work before the ack stops waiting on locks this
# long after the request arrived, leaving time to answer "busy, nothing was saved".
ACK_DB_BUDGET_SECONDS = 1.5
MIN_DB_BUDGET_SECONDS = 0.1
SORRY = (
    "Sorry, something went wrong on our side and your request may not have gone through. Please try again in a minute."
)


def app_context(context: BoltContext) -> AppContext:
    """The AppContext of the running bot (set by build_app's first middleware)."""
    ctx = context.get(CONTEXT_KEY)
    assert isinstance(ctx, AppContext), "build_app() sets context['campbot']"
    return ctx


def start_ack_budget(context: BoltContext) -> None:
    """Start this request's clock (campbot.slack.app's first middleware calls it on arrival)."""
    context[DEADLINE_KEY] = time.monotonic() + ACK_DB_BUDGET_SECONDS


@contextmanager
def before_ack(context: BoltContext) -> Iterator[AppContext]:
    """`with before_ack(context) as quick:` for database work that must finish before the ack:
    inside, every transaction of `quick` gives up waiting on a lock, and the thread gives up
    waiting for a pooled connection, when the request's budget runs out (an error that
    campbot.store.db.is_busy recognises), so the answer reaches Slack in time and says so."""
    ctx = app_context(context)
    deadline = context.get(DEADLINE_KEY)
    if not isinstance(deadline, float):
        yield ctx
        return
    remaining = max(MIN_DB_BUDGET_SECONDS, deadline - time.monotonic())
    with checkout_budget(remaining):
        yield replace(ctx, engine=within(ctx.engine, remaining))


def event_for(context: BoltContext) -> Event:
    """The event this request belongs to: by the workspace (team id) it came from, so one
    bot can serve camps in several workspaces. Raises NotFound with a fix for the person."""
    cached = context.get("campbot_event")
    if isinstance(cached, Event):
        return cached
    ctx = app_context(context)
    event = get_event(ctx, team_id=context.team_id, only_team=oauth_enabled(ctx.settings))
    context["campbot_event"] = event
    return event


def user_id_of(body: dict[str, Any]) -> str:
    """The acting user's id in any payload shape (commands use `user_id`, others `user.id`)."""
    if "user_id" in body:
        return str(body["user_id"])
    user = body.get("user") or {}
    if isinstance(user, dict):
        return str(user.get("id", ""))
    return str(user or "")


def tell(
    client: WebClient,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    replace: bool = False,
) -> None:
    """Answer only the person who acted: through the response_url when there is one (works in
    any channel, even ones the bot is not in), else an ephemeral message, else a DM."""
    user = user_id_of(body)
    response_url = body.get("response_url") or _first_response_url(body)
    try:
        if response_url:
            from slack_sdk.webhook import WebhookClient

            hook = WebhookClient(response_url, timeout=10, retry_handlers=client.retry_handlers)
            resp = hook.send(text=text, blocks=blocks, response_type="ephemeral", replace_original=replace)
            if resp.status_code < 300:
                return
            log.warning("response_url answered %s; falling back to a direct message", resp.status_code)
        channel = (
            (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else body.get("channel_id")
        )
        if channel and not str(channel).startswith("D"):
            try:
                client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.info("ephemeral to %s failed (%s); sending a DM", channel, exc.response.get("error"))
        client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user, exc.response.get("error"))
    except Exception as exc:  # network trouble after retries: the reply is lost, the bot goes on
        log.warning("could not tell %s: %s", user, type(exc).__name__)


def _first_response_url(body: dict[str, Any]) -> str | None:
    urls = body.get("response_urls") or []
    if urls and isinstance(urls[0], dict):
        return urls[0].get("response_url")
    return None


def claim_deferred(body: dict[str, Any]) -> bool:
    """Whether this request is the first of its kind across all processes. For clicks and
    events, build_app's middleware leaves the database claim to be made after the ack (see
    campbot.slack.app); a repeat seen by another process is dropped here. True when nothing is pending."""
    pending = body.pop(DEFERRED_CLAIM, None)
    if pending is None:
        return True
    ctx, key = pending
    if first_time(ctx, key):
        return True
    log.info("ignored a repeated Slack request %s (seen by another process)", key)
    return False


def after_ack(client: WebClient, body: dict[str, Any], work: Callable[[], None], *, priority: int = NORMAL) -> None:
    """Hand the slow part of a listener to the background pool (campbot.slack.outbound.background), so
    the thread that acknowledged the request is free for the next one at once; `priority=MODAL`
    for work that opens a modal (its trigger expires 3 s after the click)."""
    pool.submit(partial(_run_after_ack, client, body, work), priority)


def _run_after_ack(client: WebClient, body: dict[str, Any], work: Callable[[], None]) -> None:
    """Run it: a ServiceError is told to the person as is; anything else is logged (without
    tokens: SecretStr settings never print) and answered with a sorry. A request already
    handled (by any process) is skipped."""
    try:
        if not claim_deferred(body):
            return
        work()
    except ServiceError as exc:
        tell(client, body, str(exc))
    except OperationalError as exc:  # the database is away or busy (campbot.slack.outage): say so, not a vague sorry
        log.warning("database unavailable after ack (%s); asked the sender to try again", type(exc).__name__)
        tell(client, body, DB_BUSY if is_busy(exc) else DB_DOWN)
    except Exception:
        log.exception("listener failed after ack")
        tell(client, body, SORRY)

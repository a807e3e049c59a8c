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
from sqlalchemy.exc import OperationalError

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.events import get_event
from campbot.slack.escape import escape
from campbot.slack.oauth import oauth_enabled
from campbot.slack.outage import DB_BUSY, DB_DOWN
from campbot.slack.outbound.background import NORMAL, pool
from campbot.slack.replies import tell
from campbot.slack.requests_seen import first_time
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
    """Run it: a ServiceError's message is told to the person (escaped here: services write plain
    text, which may quote what people typed, so "<!channel>" in a title pings nobody); anything else is logged (without
    tokens: SecretStr settings never print) and answered with a sorry. A request already
    handled (by any process) is skipped."""
    try:
        if not claim_deferred(body):
            return
        work()
    except ServiceError as exc:
        tell(client, body, escape(str(exc)))
    except OperationalError as exc:  # the database is away or busy (campbot.slack.outage): say so, not a vague sorry
        log.warning("database unavailable after ack (%s); asked the sender to try again", type(exc).__name__)
        tell(client, body, DB_BUSY if is_busy(exc) else DB_DOWN)
    except Exception:
        log.exception("listener failed after ack")
        tell(client, body, SORRY)

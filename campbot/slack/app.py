"""The Bolt app: built from an AppContext, listeners registered, nothing else.

`process_before_response=False`: Bolt answers Slack as soon as a listener calls `ack()`
and the rest of the listener runs on a worker thread, so Slack's 3-second deadline is met
however slow the database or the Web API are. Two middlewares run before any listener:

1. the AppContext goes into the Bolt context (`campbot.slack.listeners.common.app_context`);
2. a request seen before (same `event_id` / `trigger_id` / `action_ts`: a Slack retry or a
   replayed signed request) is answered 200 and goes no further, so it changes nothing twice.
   This process's recent keys are checked in memory first. Commands and modal submissions
   are then claimed in the SeenRequest table before the listener runs; clicks and events,
   the high-volume kinds, are claimed after the ack by `after_ack` / `claim_deferred`
   (campbot.slack.listeners.common), which keeps a busy SQLite write lock off Slack's 3 seconds while
   a replay sent to another worker process is still dropped before it changes anything.
   Database work before the ack runs within a budget (campbot.slack.listeners.common.before_ack): when
   another connection holds the lock, the person is told "busy, nothing was saved" in time.

Every listener module has one `register(app, ctx)`; LISTENER_MODULES lists them, and the
docstring of campbot/slack/listeners/camp_router.py says how to add subcommands and actions.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from campbot.config.context import AppContext
from campbot.config.settings import Mode
from campbot.slack.listeners import (
    actions,
    attendee_links,
    commands,
    events,
    organiser_grid,
    organiser_setup,
    views,
)
from campbot.slack.listeners.common import CONTEXT_KEY, DEFERRED_CLAIM, before_ack, start_ack_budget
from campbot.slack.oauth import INSTALL_PATH, oauth_enabled, oauth_settings_for
from campbot.slack.outage import DB_BUSY, DB_DOWN, database_down_response
from campbot.slack.outbound.background import pool as after_ack_pool
from campbot.slack.outbound.client import paced
from campbot.slack.requests_seen import first_time
from campbot.slack.slack_client import make_web_client
from campbot.store.db import is_busy

log = logging.getLogger(__name__)

# each binds its Slack ids to its handlers in register(app, ctx)
LISTENER_MODULES = (commands, actions, views, events, organiser_grid, organiser_setup, attendee_links)


LISTENER_THREADS = 16
# Clicks are many and cheap to ack, so their database claim runs after the ack. Events are few,
# and Slack redelivers an event only if it was not acked: they are claimed before the ack, so an
# event that arrives while the database is away gets a 503 and comes back, rather than being lost.
DEFERRED_KINDS = ("block_actions:",)
# Commands that only read and open a form: no database claim (a replay's trigger_id has expired,
# so it opens nothing), so a held write lock never delays the form past its 3-second trigger.
READ_ONLY_COMMANDS = ("/pitch",)


class RecentKeys:
    """Request keys this process saw lately (bounded): catches retries and replays without
    touching the database, so the ack stays fast when SQLite is busy with votes."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """True if the key is new here."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > self.capacity:
                self._keys.popitem(last=False)
            return True

    def discard(self, key: str) -> None:
        """Forget a key whose request was refused, so Slack's redelivery is handled."""
        with self._lock:
            self._keys.pop(key, None)


def listener_executor(app: App) -> Executor:
    """The pool running listeners' after-ack work (tests drain it; shutdown on exit)."""
    executor: Executor = app._listener_runner.listener_executor
    return executor


class AppConfigError(Exception):
    """The app cannot be built from these settings; the message says which setting to fix."""


def request_key(body: dict[str, Any]) -> str | None:
    """A key unique to one user action (or one event), the same on every retry or replay."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    kind = body.get("type") or ("command" if "command" in body else "")
    if kind in ("block_suggestion", "view_closed", "url_verification", "app_rate_limited"):
        return None  # idempotent or not ours to dedupe
    if body.get("trigger_id"):
        return f"{kind}:{body['trigger_id']}"
    acts = body.get("actions") or []
    if acts and isinstance(acts[0], dict) and acts[0].get("action_ts"):
        return f"{kind}:{acts[0]['action_ts']}:{acts[0].get('action_id', '')}"
    return None


def not_installed_message(ctx: AppContext) -> str:
    """Told to someone whose workspace campbot cannot act in (no installation, or a token
    Slack refuses), instead of Bolt's generic apology: what happened and who can fix it."""
    if oauth_enabled(ctx.settings):
        fix = f"A workspace admin can add it at {ctx.settings.public_url.rstrip('/')}{INSTALL_PATH}"
    else:
        fix = "A workspace admin can reinstall it and give its bot token to whoever runs campbot (SLACK_BOT_TOKEN)"
    return (
        ":warning: campbot has no installation in this workspace (never added, its token revoked, or the app "
        f"removed), so nothing was done. {fix}; a camp's pitches and votes are kept meanwhile."
    )


def build_app(ctx: AppContext, *, web_client: WebClient | None = None) -> App:
    settings = ctx.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if secret is None and settings.mode != Mode.socket:
        raise AppConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify that requests come from Slack "
            "(Slack app settings > Basic Information > Signing Secret)."
        )
    client = web_client or make_web_client(settings)
    oauth = oauth_settings_for(ctx)  # many workspaces (campbot.slack.oauth) when SLACK_CLIENT_ID/SECRET are set
    app = App(
        name="campbot",
        signing_secret=secret,
        client=client,
        oauth_settings=oauth,
        process_before_response=False,
        request_verification_enabled=secret is not None,
        token_verification_enabled=False,  # no network at build time; auth.test runs on first request
        logger=logging.getLogger("campbot.bolt"),
        # Bolt's default is 5 threads; votes, card updates and 429 back-offs need more headroom.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="campbot-listener"),
        # what a person hears when their workspace's installation is gone (revoked token, removed app)
        user_facing_authorize_error_message=not_installed_message(ctx),
    )

    def with_app_context(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        context[CONTEXT_KEY] = ctx
        if context.client is not None:  # every Web API call a listener makes is paced (campbot.slack.outbound)
            context["client"] = paced(context.client, ctx)
        return next()

    recent = RecentKeys()

    def once_only(
        body: dict[str, Any], context: BoltContext, client: WebClient, next: Callable[[], BoltResponse]  # noqa: A002
    ) -> BoltResponse:
        start_ack_budget(context)
        key = request_key(body)
        if key is None:
            return next()
        if not recent.add(key):  # a retry or replay to this process: no database round trip
            log.info("ignored a repeated Slack request %s", key)
            return BoltResponse(status=200, body="")
        if body.get("command") in READ_ONLY_COMMANDS:
            return next()
        if key.startswith(DEFERRED_KINDS):
            # Clicks are many and cheap to ack: their database claim (which stops a replay sent
            # to another worker process) runs after the ack, in after_ack().
            body[DEFERRED_CLAIM] = (ctx, key)
            return next()
        try:
            with before_ack(context) as quick:  # gives up on a held lock within the ack budget
                fresh = first_time(quick, key)
        except SQLAlchemyError as exc:  # database away or busy: refuse closed, tell the person (slack.outage)
            recent.discard(key)  # Slack's redelivery (events) is handled once the database is back
            message = DB_BUSY if is_busy(exc) else DB_DOWN
            log.warning("database %s (%s); asked the sender to try again",
                        "busy" if message is DB_BUSY else "unavailable", type(exc).__name__)
            return database_down_response(body, client, after_ack_pool.submit, message)  # off the ack threads
        if fresh:
            return next()
        log.info("ignored a repeated Slack request %s", key)
        return BoltResponse(status=200, body="")

    app.use(with_app_context)
    app.use(once_only)
    for module in LISTENER_MODULES:
        module.register(app, ctx)
    return app


__all__ = ["AppConfigError", "BoltRequest", "build_app", "request_key"]

"""Events API: the App Home is (re)published whenever someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.home import error_home, home_view
from bot.context import AppContext
from bot.installations import forget_team, revoke_team_tokens
from bot.listeners.common import app_context, claim_deferred, event_for
from bot.services.errors import ServiceError
from bot.services.home import home_for

log = logging.getLogger(__name__)


def publish_home(context: BoltContext, client: WebClient, user_id: str) -> None:
    """Render and publish one person's App Home (also after a vote or a setting change)."""
    try:
        event = event_for(context)
        assert event.id is not None
        view = home_view(home_for(app_context(context), event.id, user_id))
    except ServiceError as exc:
        view = error_home(str(exc))
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))


def app_home_opened_callback(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    # Events are acked by Bolt itself before this runs (process_before_response=False).
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # another tab, or no one to publish for
    if not claim_deferred(body):
        return
    publish_home(context, client, str(event.get("user", "")))


def app_uninstalled_callback(event: dict[str, Any], context: BoltContext) -> None:
    """Subscribed in app.yaml; the workspace's tokens, camps and jobs go (bot.installations)."""
    log.warning("campbot was uninstalled from workspace %s", context.team_id)
    if context.team_id:
        forget_team(app_context(context), context.team_id, enterprise_id=context.enterprise_id)


def tokens_revoked_callback(event: dict[str, Any], context: BoltContext) -> None:
    """Bot tokens revoked: drop them and the jobs that would use them (data kept for a re-install)."""
    log.warning("Slack revoked campbot's tokens in workspace %s", context.team_id)
    bots = ((event.get("tokens") or {}).get("bot") or []) if isinstance(event.get("tokens"), dict) else []
    if context.team_id and bots:
        revoke_team_tokens(app_context(context), context.team_id, enterprise_id=context.enterprise_id)


def register(app: App, ctx: AppContext) -> None:
    app.event("app_home_opened")(app_home_opened_callback)
    app.event("app_uninstalled")(app_uninstalled_callback)
    app.event("tokens_revoked")(tokens_revoked_callback)

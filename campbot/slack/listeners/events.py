"""Events API: the App Home is (re)published whenever someone opens it; a direct message to
the bot (`message.im`) is answered with a short help; uninstalls and revoked tokens clean up."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.home import home_for
from campbot.slack.blocks.dm_help import CampFacts, dm_help_text
from campbot.slack.blocks.home import error_home, home_view
from campbot.slack.installations import forget_team, revoke_team_tokens
from campbot.slack.listeners.attendee_links import link_from_dm
from campbot.slack.listeners.common import app_context, claim_deferred, event_for
from campbot.slack.requests_seen import first_time

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


def is_dm_from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person wrote to the bot in its Messages tab: not an edit, a deletion,
    a join or any other subtype, not a bot (ourselves included), not another kind of channel."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
        and bool(event.get("channel"))
    )


def camp_facts(context: BoltContext) -> CampFacts | None:
    """What the DM help needs to know about this workspace's camp; None if it has none."""
    try:
        camp = event_for(context)
    except ServiceError:
        return None
    ctx = app_context(context)
    return CampFacts(
        name=camp.name,
        pitches_channel=camp.pitches_channel,
        organisers=tuple(camp.organisers or ()),
        organiser_usergroup=camp.organiser_usergroup,
        grid_url=ctx.settings.public_url.rstrip("/") + "/grid",
    )


def message_callback(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """`message.im`: answer a person's direct message with the help, once per message (a
    redelivered event is dropped by its event_id in campbot.slack.app; the message's own channel and ts
    are claimed too, in case Slack sends the same message under another event id)."""
    if not is_dm_from_a_person(event, context.bot_user_id):
        return
    ctx = app_context(context)
    if not claim_deferred(body) or not first_time(ctx, f"dm:{event['channel']}:{event.get('ts', '')}"):
        return
    reply: dict[str, Any] = {"channel": event["channel"], "text": _answer(ctx, context, client, event)}
    if event.get("thread_ts"):
        reply["thread_ts"] = event["thread_ts"]
    try:
        client.chat_postMessage(**reply)
    except SlackApiError as exc:
        log.warning("could not answer a direct message: %s", exc.response.get("error"))


def _answer(ctx: AppContext, context: BoltContext, client: WebClient, event: dict[str, Any]) -> str:
    """A personal link links the ticket to this Slack user (attendee_links); anything else gets the help."""
    facts = camp_facts(context)
    if facts is not None:
        camp = event_for(context)
        assert camp.id is not None
        try:
            linked = link_from_dm(ctx, client, camp.id, str(event["user"]), str(event.get("text") or ""))
        except ServiceError as exc:
            linked = str(exc)
        if linked is not None:
            return linked
    return dm_help_text(facts)


def app_uninstalled_callback(event: dict[str, Any], context: BoltContext) -> None:
    """Subscribed in app.yaml; the workspace's tokens, camps and jobs go (campbot.slack.installations)."""
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
    app.event("message")(message_callback)  # every message event, so edits and bots are ignored quietly

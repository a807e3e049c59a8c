"""Slash commands: `/pitch` opens the pitch modal; `/camp ...` goes to the subcommand router."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from campbot.config.context import AppContext
from campbot.services.pitch_input import TITLE_MAX, PitchInput
from campbot.services.pitching import event_slots
from campbot.slack import slack_text
from campbot.slack.blocks.pitch_modal import pitch_modal
from campbot.slack.listeners import camp_commands  # noqa: F401  (registers status, voting, paper, merge)
from campbot.slack.listeners.camp_router import CampReply, route
from campbot.slack.listeners.common import after_ack, app_context, event_for
from campbot.slack.outbound.background import MODAL
from campbot.slack.replies import tell

log = logging.getLogger(__name__)


def open_pitch_modal(
    ctx: AppContext, client: WebClient, *, event_id: int, trigger_id: str, user_id: str, title: str = ""
) -> None:
    """Open a blank pitch modal (title pre-filled from `/pitch Some title`)."""
    initial = PitchInput(title=title.strip()[:TITLE_MAX]) if title.strip() else None
    view = pitch_modal(event_slots(ctx, event_id), initial=initial, user_id=user_id)
    client.views_open(trigger_id=trigger_id, view=view)


def pitch_command_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        event = event_for(context)
        assert event.id is not None
        try:
            open_pitch_modal(
                app_context(context),
                client,
                event_id=event.id,
                trigger_id=body["trigger_id"],
                user_id=body.get("user_id", ""),
                title=slack_text.parse(str(body.get("text") or "")).plain,  # decoded here, once
            )
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            tell(client, body, "Sorry, I couldn't open the pitch form. Please try `/pitch` again.")

    after_ack(client, body, work, priority=MODAL)


def send_reply(client: WebClient, body: dict[str, Any], reply: CampReply) -> None:
    if reply.in_channel and body.get("response_url"):
        WebhookClient(body["response_url"], timeout=10, retry_handlers=client.retry_handlers).send(
            text=reply.text, blocks=reply.blocks, response_type="in_channel"
        )
        return
    tell(client, body, reply.text, reply.blocks)


def camp_command_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        reply = route(app_context(context), event=event_for(context), body=body, client=client)
        if reply is not None:
            send_reply(client, body, reply)

    after_ack(client, body, work, priority=MODAL)  # an organiser is waiting (and some open a modal)


def register(app: App, ctx: AppContext) -> None:
    app.command("/pitch")(pitch_command_callback)
    app.command("/camp")(camp_command_callback)

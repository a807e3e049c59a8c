"""Buttons and menus: vote, the hosts' card menu (edit/withdraw), and the App Home buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.home import set_reminders
from campbot.services.pitch_input import parse_pitch_ref
from campbot.services.pitching import event_slots, get_pitch_card, pitch_for_edit, withdraw_pitch
from campbot.services.room_needs import needs_warning
from campbot.services.voting import toggle_vote
from campbot.slack.blocks.home import PITCH_ACTION, REMINDERS_ACTION, UNVOTE_ACTION
from campbot.slack.blocks.pitch_card import MENU_ACTION, VOTE_ACTION, withdraw_confirm_blocks
from campbot.slack.blocks.pitch_modal import pitch_modal, with_needs_warning
from campbot.slack.escape import escape
from campbot.slack.listeners.cards import refresh_card
from campbot.slack.listeners.commands import open_pitch_modal
from campbot.slack.listeners.common import after_ack, app_context, event_for
from campbot.slack.listeners.events import publish_home
from campbot.slack.outbound.background import MODAL
from campbot.slack.replies import tell, user_id_of

log = logging.getLogger(__name__)

WITHDRAW_CONFIRM_ACTION = "pitch_withdraw_confirm"


def _action(body: dict[str, Any]) -> dict[str, Any]:
    acts = body.get("actions") or [{}]
    return acts[0] if isinstance(acts[0], dict) else {}


def _pitch_id(value: str) -> int:
    try:
        return parse_pitch_ref(value)
    except ServiceError:
        raise ServiceError("That button is out of date; scroll to the pitch's latest card.") from None


def vote_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """'I'm interested': toggle this person's vote, refresh the card's count, tell them privately."""
    ack()

    def work() -> None:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        pitch_id = _pitch_id(str(_action(body).get("value", "")))
        result = toggle_vote(ctx, event.id, user_id_of(body), pitch_id)
        card = refresh_card(ctx, client, event.id, pitch_id) or get_pitch_card(ctx, event.id, pitch_id)
        if result.voted:
            text = (
                f"You're interested in *{escape(card.title)}*. You have used {result.used} of "
                f"{result.quota} votes. Press the button again to take it back."
            )
        else:
            text = f"Vote taken back from *{escape(card.title)}*. You have used {result.used} of {result.quota} votes."
        tell(client, body, text)

    after_ack(client, body, work)


def pitch_menu_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The card's overflow menu: edit (opens the modal) or withdraw (asks to confirm). Hosts only."""
    ack()

    def work() -> None:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        value = str((_action(body).get("selected_option") or {}).get("value", ""))
        what, _, ref = value.partition(":")
        pitch_id = _pitch_id(ref)
        user = user_id_of(body)
        card, current = pitch_for_edit(ctx, event.id, pitch_id, user)  # NotAllowed for non-hosts
        if what == "edit":
            client.views_open(
                trigger_id=body["trigger_id"],
                view=with_needs_warning(
                    pitch_modal(event_slots(ctx, event.id), initial=current, pitch_id=pitch_id, user_id=user),
                    needs_warning(ctx, event.id, current.needs),
                ),
            )
        elif what == "withdraw":
            tell(client, body, f"Withdraw {escape(card.title)}?", withdraw_confirm_blocks(card))
        else:
            raise ServiceError("That menu item is out of date.")

    after_ack(client, body, work, priority=MODAL)


def withdraw_confirm_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        pitch_id = _pitch_id(str(_action(body).get("value", "")))
        card = withdraw_pitch(ctx, event.id, pitch_id, user_id_of(body))
        refresh_card(ctx, client, event.id, pitch_id)
        # replaces the private "are you sure?" message the button was in
        tell(client, body, f"Withdrawn: *{escape(card.title)}*. Its votes are kept for the record.", replace=True)

    after_ack(client, body, work)


def home_pitch_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        event = event_for(context)
        assert event.id is not None
        open_pitch_modal(
            app_context(context), client, event_id=event.id, trigger_id=body["trigger_id"], user_id=user_id_of(body)
        )

    after_ack(client, body, work, priority=MODAL)


def home_unvote_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        pitch_id = _pitch_id(str(_action(body).get("value", "")))
        toggle_vote(ctx, event.id, user_id_of(body), pitch_id, want=False)
        refresh_card(ctx, client, event.id, pitch_id)
        publish_home(context, client, user_id_of(body))

    after_ack(client, body, work)


def home_reminders_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()

    def work() -> None:
        event = event_for(context)
        assert event.id is not None
        set_reminders(app_context(context), event.id, user_id_of(body), _action(body).get("value") == "on")
        publish_home(context, client, user_id_of(body))

    after_ack(client, body, work)


def register(app: App, ctx: AppContext) -> None:
    app.action(VOTE_ACTION)(vote_callback)
    app.action(MENU_ACTION)(pitch_menu_callback)
    app.action(WITHDRAW_CONFIRM_ACTION)(withdraw_confirm_callback)
    app.action(PITCH_ACTION)(home_pitch_callback)
    app.action(UNVOTE_ACTION)(home_unvote_callback)
    app.action(REMINDERS_ACTION)(home_reminders_callback)

"""Modal submissions: the pitch modal (new or edit) and the organisers' paper-pitch form.

A view_submission must be answered with its field errors in the ack itself, so these
callbacks check *and save* before acking: the save is one short transaction, and saving
first means a pitch is never lost after the modal has closed. Posting the card (the Slack
API call, the slow part) happens after the ack.

The save waits on a held database lock only within the request's ack budget
(campbot.slack.listeners.common.before_ack); past it the transaction is rolled back and the modal says
"busy, nothing was saved". A form submitted twice (Slack gave up waiting, the person pressed
Submit again) makes one pitch: its view id is the pitch's unique submission_key.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.organising import REFUSAL, is_organiser
from campbot.services.pitch_desk import add_paper_pitch
from campbot.services.pitch_input import PAPER_VOTES_MAX, InvalidPitch
from campbot.services.pitching import PitchCard, edit_pitch, submit_pitch
from campbot.services.room_needs import needs_warning
from campbot.services.text_checks import small_number
from campbot.slack.blocks.pitch_modal import (
    CALLBACK_ID,
    NEEDS_BLOCK,
    NEEDS_WARNING_BLOCK,
    PAPER_CALLBACK_ID,
    modal_errors,
    modal_pitch_id,
    read_paper_form,
    read_pitch_form,
    with_needs_warning,
)
from campbot.slack.directory import SlackDirectory
from campbot.slack.escape import escape
from campbot.slack.listeners.cards import post_card, refresh_card
from campbot.slack.listeners.common import after_ack, app_context, before_ack, event_for
from campbot.slack.outage import DB_BUSY
from campbot.slack.replies import user_id_of
from campbot.store.db import is_busy

log = logging.getLogger(__name__)
SAVE_FAILED = "Sorry, your pitch couldn't be saved just now. Please press the button again."


def _refuse_save(ack: Ack, view: dict[str, Any], exc: Exception, what: str) -> None:
    """A save that did not happen: the modal stays open with an inline error and nothing is half-saved.
    Call it from the `except` block, so an unexpected error is logged with its traceback."""
    if isinstance(exc, InvalidPitch):
        ack(response_action="errors", errors=modal_errors(exc.errors, view))
    elif isinstance(exc, ServiceError):
        ack(response_action="errors", errors={"title": str(exc)[:150]})
    elif isinstance(exc, SQLAlchemyError) and is_busy(exc):  # a lock held past the ack budget: rolled back
        log.warning("saving %s: the database stayed locked past the ack budget; nothing was saved", what)
        ack(response_action="errors", errors={"title": DB_BUSY[:150]})
    else:
        log.exception("saving %s failed", what)
        ack(response_action="errors", errors={"title": SAVE_FAILED})


def submission_key(view: dict[str, Any]) -> str | None:
    """The form's identity: Slack keeps the view id when the same modal is submitted again."""
    view_id = view.get("id")
    return f"view:{view_id}"[:80] if isinstance(view_id, str) and view_id else None


def pitch_submit_callback(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user = user_id_of(body)
    created = True
    try:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        data = read_pitch_form(view)
        pitch_id = modal_pitch_id(view)
        with before_ack(context) as quick:  # the save gives up on a held lock in time to say so
            if pitch_id:
                card: PitchCard = edit_pitch(quick, event.id, pitch_id, user, data)
            else:
                submitted = submit_pitch(
                    quick,
                    event.id,
                    user,
                    data,
                    submission_key=submission_key(view),
                    display_name=str((body.get("user") or {}).get("name", "")),
                )
                card, created = submitted.card, submitted.created
    except Exception as exc:  # every failure becomes an inline modal error
        _refuse_save(ack, view, exc, "a pitch")
        return
    ack()

    def work() -> None:
        if pitch_id:
            refresh_card(ctx, client, event.id, card.id)  # type: ignore[arg-type]
            return
        if not created:  # the same pitch submitted again: it is saved once, its card posted once
            client.chat_postMessage(
                channel=user,
                text=f"Your pitch *{escape(card.title)}* (#{card.id}) was already saved, so I kept just the one.",
            )
            return
        try:
            posted = post_card(ctx, client, event, card)
        except SlackApiError as exc:
            log.warning("posting the card of pitch %s failed: %s", card.id, exc.response.get("error"))
            client.chat_postMessage(
                channel=user,
                text=f"Your pitch *{escape(card.title)}* (#{card.id}) is saved, but I couldn't post its card "
                f"in the pitches channel just now. The organisers can post it with `/camp cards`.",
            )
            return
        where = f" in <#{posted.channel}>" if posted.channel else ""
        warning = needs_warning(ctx, card.event_id, data.needs)
        client.chat_postMessage(
            channel=user,
            text=f"Thanks! Your pitch *{escape(card.title)}* (#{card.id}) "
            f"is posted{where}. You can edit or withdraw it from the card's menu."
            + (f"\n:warning: {escape(warning)}" if warning else ""),
        )

    after_ack(client, body, work)


def paper_submit_callback(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user = user_id_of(body)
    try:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        if not is_organiser(ctx, event, user, SlackDirectory(client)):
            ack(response_action="errors", errors={"title": REFUSAL})
            return
        title, hosts, votes_raw, description = read_paper_form(view)
        paper_votes = small_number(votes_raw, most=PAPER_VOTES_MAX)
        if paper_votes is None:
            ack(response_action="errors", errors={"votes": f"A whole number from 0 to {PAPER_VOTES_MAX}."})
            return
        with before_ack(context) as quick:
            card = add_paper_pitch(
                quick,
                event.id,
                title=title,
                host_names=hosts,
                paper_votes=paper_votes,
                actor=user,
                description=description,
                submission_key=submission_key(view),
            )
    except Exception as exc:
        _refuse_save(ack, view, exc, "a paper pitch")
        return
    ack()

    def work() -> None:
        if card.message_ts is None:  # a form submitted twice has its card posted once
            post_card(ctx, client, event, card)

    after_ack(client, body, work)


def needs_ticked_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A need ticked or unticked in the pitch modal (its checkboxes dispatch an action): warn at
    once, under the needs, when no room meets them all together, and take the warning away when
    one does. Only a warning; the pitch can be submitted either way."""
    ack()

    def work() -> None:
        ctx, event = app_context(context), event_for(context)
        assert event.id is not None
        view = body.get("view") or {}
        chosen = [str(o.get("value", "")) for o in (body["actions"][0].get("selected_options") or [])]
        warning = needs_warning(ctx, event.id, chosen)
        shown = any(b.get("block_id") == NEEDS_WARNING_BLOCK for b in view.get("blocks") or [])
        if warning is None and not shown:
            return  # nothing to say and nothing to take back: leave the modal alone
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=with_needs_warning(view, warning))
        except SlackApiError as exc:  # hash_conflict: a newer tick's update is on its way; it says the same
            log.info("needs warning not shown: %s", exc.response.get("error"))

    after_ack(client, body, work)


def register(app: App, ctx: AppContext) -> None:
    app.action({"block_id": NEEDS_BLOCK, "action_id": "value"})(needs_ticked_callback)
    app.view(CALLBACK_ID)(pitch_submit_callback)
    app.view(PAPER_CALLBACK_ID)(paper_submit_callback)

"""Posting and refreshing pitch cards (used by the listeners after their ack).

Many people vote on a popular pitch at the same moment; each vote ends in a chat.update of
its card. Updates for one pitch are serialised and each reads the count fresh inside the
lock, so the last update Slack receives always carries the latest count.

`set_placement_provider(fn)` lets the grid code make every refreshed card show its room and
time once a grid is published: fn(ctx, pitch_id) -> "Main hall, 11:00–11:45" or None.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.pitch_card import pitch_card_blocks, pitch_card_text
from bot.context import AppContext
from bot.services.pitching import PitchCard, get_pitch_card, set_card_message
from bot.store.tables import Event

log = logging.getLogger(__name__)

PlacementProvider = Callable[[AppContext, int], "str | None"]
_placement_provider: PlacementProvider | None = None
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def set_placement_provider(fn: PlacementProvider | None) -> None:
    global _placement_provider
    _placement_provider = fn


def _placement(ctx: AppContext, pitch_id: int) -> str | None:
    if _placement_provider is None:
        return None
    try:
        return _placement_provider(ctx, pitch_id)
    except Exception:
        log.exception("placement provider failed for pitch %s", pitch_id)
        return None


def _lock_for(pitch_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(pitch_id, threading.Lock())


def post_card(ctx: AppContext, client: WebClient, event: Event, card: PitchCard) -> PitchCard:
    """Post a new pitch's card to the pitches channel and remember where it went."""
    if not event.pitches_channel:
        log.warning("event %s has no pitches channel; pitch %s not posted", event.slug, card.id)
        return card
    resp = client.chat_postMessage(
        channel=event.pitches_channel,
        text=pitch_card_text(card),
        blocks=pitch_card_blocks(card, placement=_placement(ctx, card.id)),
        unfurl_links=False,
        unfurl_media=False,
    )
    channel, ts = str(resp.get("channel") or event.pitches_channel), str(resp.get("ts"))
    set_card_message(ctx, card.id, channel, ts)
    return get_pitch_card(ctx, event.id or card.event_id, card.id)


def refresh_card(ctx: AppContext, client: WebClient, event_id: int, pitch_id: int) -> PitchCard | None:
    """Re-render a pitch's card with its current state (count, edits, withdrawal)."""
    with _lock_for(pitch_id):
        card = get_pitch_card(ctx, event_id, pitch_id)
        if not (card.channel and card.message_ts):
            return card
        try:
            client.chat_update(
                channel=card.channel,
                ts=card.message_ts,
                text=pitch_card_text(card),
                blocks=pitch_card_blocks(card, placement=_placement(ctx, pitch_id)),
            )
        except SlackApiError as exc:
            log.warning("chat.update of pitch %s failed: %s", pitch_id, exc.response.get("error"))
            return None
        return card

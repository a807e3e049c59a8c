"""Posting and refreshing pitch cards (used by the listeners after their ack).

Many people vote on a popular pitch at the same moment, and Slack rate-limits chat.update.
Updates of one card are coalesced: while one is in flight, further requests only mark the
card dirty, and the in-flight updater re-reads the pitch and sends once more when it is done.
A burst of N votes costs far fewer than N calls, and the last update Slack receives always
carries the latest count.

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
_guard = threading.Lock()
_in_flight: set[int] = set()  # pitches whose card an updater is sending right now
_dirty: set[int] = set()  # pitches changed since their in-flight update read them


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
    """Re-render a pitch's card with its current state (count, edits, withdrawal).

    Returns the card as sent, or None when another thread's update will carry this change
    (or the update failed); callers needing the pitch then read it with get_pitch_card."""
    with _guard:
        if pitch_id in _in_flight:
            _dirty.add(pitch_id)
            return None
        _in_flight.add(pitch_id)
    sent: PitchCard | None = None
    try:
        while True:
            with _guard:
                _dirty.discard(pitch_id)
            sent = _send_card(ctx, client, event_id, pitch_id)
            with _guard:
                if pitch_id not in _dirty:
                    _in_flight.discard(pitch_id)
                    return sent
    except BaseException:
        with _guard:
            _in_flight.discard(pitch_id)
            _dirty.discard(pitch_id)
        raise


def _send_card(ctx: AppContext, client: WebClient, event_id: int, pitch_id: int) -> PitchCard | None:
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


def refresh_event_cards(ctx: AppContext, client: WebClient, event_id: int) -> int:
    """Redraw every posted card of an event (voting opened or closed: the button comes or goes).
    Each goes through refresh_card, so it coalesces with votes arriving at the same moment.
    Returns how many cards there were to redraw."""
    from bot.services.pitching import list_pitches

    cards = [c for c in list_pitches(ctx, event_id) if c.channel and c.message_ts]
    for card in cards:
        refresh_card(ctx, client, event_id, card.id)
    return len(cards)

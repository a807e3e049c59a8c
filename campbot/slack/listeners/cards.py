"""Posting and refreshing pitch cards, within Slack's chat.update budget (Tier 3, ~50 a minute).

A morning's voting storm changes the counts of 60 cards hundreds of times a minute; one
chat.update per change would need ten times Slack's budget. So a change never sends anything
itself: `refresh_card` only marks the card out of date and returns at once. One refresher thread
per process sends the updates, at the CARDS priority of the shared budget (campbot.slack.outbound):

* **coalesced**: a card marked many times is sent once, carrying the state read *after* its turn
  at the budget came, so the update Slack gets always has the latest count;
* **most out-of-date first**: the card that has been wrong the longest goes next, so every card
  converges within (cards out of date) / (budget per second) after the storm;
* **skipped when nothing shows a change**: `CardState.shown_hash` is what the card in Slack shows
  now; a card whose new rendering is the same (blind voting hides the count; another process
  sent it already) costs no call;
* **one process at a time per card**: `CardState.refreshing_until` is an expiring claim, so two
  worker processes never race two updates of one card out of order (the older count landing
  last); the other process keeps its mark and tries again once the claim is released;
* **never given up on a passing failure**: a 429, a 5xx or a dropped connection re-marks the card
  with a back-off; only Slack's permanent errors (message gone) drop it.

Once a grid is published every card shows its room and time (campbot.services.grid_queries.
placement_text); publishing marks the cards it changed through the notifier
(campbot.slack.notifier), so this is the one path every card update takes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.grid_queries import placement_text
from campbot.services.pitching import PitchCard, get_pitch_card, set_card_message
from campbot.services.voting import counts_hidden
from campbot.slack.blocks.pitch_card import pitch_card_blocks, pitch_card_text
from campbot.slack.outbound.budget import CARDS
from campbot.slack.outbound.client import PacedWebClient, paced, paced_client, root_engine, sending_as
from campbot.store.db import session_scope
from campbot.store.tables import CardState, Event, Pitch

log = logging.getLogger(__name__)

CLAIM_SECONDS = 30.0  # a refresh (one paced call) takes far less; a dead process's claim expires
BUSY_RETRY = 0.3  # another process is refreshing the card: look again this soon
MAX_BACKOFF = 30.0
PERMANENT = frozenset({"message_not_found", "channel_not_found", "cant_update_message", "is_archived",
                       "edit_window_closed", "not_in_channel", "invalid_auth", "account_inactive"})


def _placement(ctx: AppContext, pitch_id: int) -> str | None:
    try:
        return placement_text(ctx, pitch_id)
    except SQLAlchemyError:
        log.exception("could not read where pitch %s runs; its card shows no placement this time", pitch_id)
        return None


def render(ctx: AppContext, event: Event, card: PitchCard, placement: str | None = None) -> tuple[str, list[Any]]:
    """The card's text and blocks as they should look now."""
    hide = counts_hidden(event, ctx.now())
    where = placement if placement is not None else _placement(ctx, card.id)
    return pitch_card_text(card, hide_count=hide), pitch_card_blocks(card, placement=where, hide_count=hide)


def _digest(text: str, blocks: list[Any]) -> str:
    return hashlib.sha256(json.dumps([text, blocks], sort_keys=True).encode()).hexdigest()


def _load(ctx: AppContext, event_id: int, pitch_id: int) -> tuple[Event, PitchCard]:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
    if event is None:
        raise LookupError(f"event {event_id} is gone")
    return event, get_pitch_card(ctx, event_id, pitch_id)


def post_card(ctx: AppContext, client: WebClient, event: Event, card: PitchCard) -> PitchCard:
    """Post a new pitch's card to the pitches channel and remember where it went (and what it shows).
    Paced: the pitches channel takes about one post a second."""
    if not event.pitches_channel:
        log.warning("event %s has no pitches channel; pitch %s not posted", event.slug, card.id)
        return card
    text, blocks = render(ctx, event, card)
    resp = paced(client, ctx).chat_postMessage(channel=event.pitches_channel, text=text, blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
    channel, ts = str(resp.get("channel") or event.pitches_channel), str(resp.get("ts"))
    set_card_message(ctx, card.id, channel, ts)
    remember_shown(ctx, card.id, _digest(text, blocks))
    posted = get_pitch_card(ctx, event.id or card.event_id, card.id)
    if posted.interest != card.interest:  # a vote came in while it was being posted
        refresh_card(ctx, client, event.id or card.event_id, card.id)
    return posted


def refresh_card(ctx: AppContext, client: WebClient, event_id: int, pitch_id: int) -> PitchCard | None:
    """Mark a pitch's card out of date; the refresher sends it soon, within the budget.
    Returns at once (None): callers needing the pitch read it with get_pitch_card."""
    refresher_for(ctx).mark(event_id, pitch_id, client.token)
    return None


def refresh_event_cards(ctx: AppContext, client: WebClient, event_id: int,
                        pitch_ids: Iterable[int] | None = None) -> int:
    """Mark many cards out of date (all of an event's posted cards by default: voting opened or
    closed, so the button comes or goes and blind counts appear). Each coalesces with votes
    arriving at the same moment, and only a card whose look changed costs a call. Returns how many."""
    if pitch_ids is None:
        with session_scope(ctx.engine) as db:
            pitch_ids = [p for p in db.exec(select(Pitch.id).where(Pitch.event_id == event_id,
                                                                    col(Pitch.message_ts).is_not(None)))
                         if p is not None]
    ids = list(pitch_ids)
    refresher = refresher_for(ctx)
    for pitch_id in ids:
        refresher.mark(event_id, pitch_id, client.token)
    return len(ids)


def remember_shown(ctx: AppContext, pitch_id: int, shown_hash: str) -> None:
    """Record what the card in Slack shows now (after a post or an update made elsewhere)."""
    with session_scope(ctx.engine) as db:
        _ensure_state(db, pitch_id)
        db.exec(update(CardState.__table__).where(CardState.__table__.c.pitch_id == pitch_id)  # type: ignore[attr-defined]
                .values(shown_hash=shown_hash, shown_at=time.time()))


def _ensure_state(db: Any, pitch_id: int) -> None:
    maker = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.exec(maker(CardState.__table__).values(pitch_id=pitch_id, shown_hash="", shown_at=0.0,  # type: ignore[attr-defined]
                                              refreshing_until=0.0).on_conflict_do_nothing())


# ------------------------------------------------------------------------------ the refresher


@dataclass
class _Mark:
    event_id: int
    since: float  # when the card first went out of date (the oldest goes first)
    not_before: float = 0.0  # back-off after a failure or while another process holds the card
    failures: int = 0


class CardRefresher:
    """One thread per process (per database) sending the marked cards, oldest first."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._marks: dict[int, _Mark] = {}
        self._tokens: dict[int, str | None] = {}  # event -> the workspace token to update with
        self._clients: dict[str | None, PacedWebClient] = {}
        self._cond = threading.Condition()
        self._working = False
        self._stopped = False
        self.sent = 0
        self.skipped = 0
        self.thread = threading.Thread(target=self._loop, name="campbot-card-refresher", daemon=True)
        self.thread.start()

    def use(self, ctx: AppContext) -> None:
        """Send with the latest context seen (same database; tests point it at a new fake Slack)."""
        with self._cond:
            if ctx.settings.slack_api_url != self.ctx.settings.slack_api_url:
                self._clients.clear()
            self.ctx = ctx

    def mark(self, event_id: int, pitch_id: int, token: str | None) -> None:
        with self._cond:
            if self._stopped:
                return
            self._tokens[event_id] = token or self._tokens.get(event_id)
            if pitch_id not in self._marks:
                self._marks[pitch_id] = _Mark(event_id, time.monotonic())
            self._cond.notify()

    def stop(self) -> None:
        """Forget what is marked and end the thread: its database is going away. A refresher left
        running would go on claiming cards in whatever database that URL names next (a test's
        fresh schema on PostgreSQL), holding them from the refresher that owns them now."""
        with self._cond:
            self._stopped = True
            self._marks.clear()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._marks) + (1 if self._working else 0)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _next(self) -> tuple[int, _Mark] | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = time.monotonic()
                ready = [(m.since, pid) for pid, m in self._marks.items() if m.not_before <= now]
                if ready:
                    _, pitch_id = min(ready)
                    self._working = True
                    return pitch_id, self._marks.pop(pitch_id)
                wake = min((m.not_before for m in self._marks.values()), default=now + 60) - now
                self._cond.wait(max(0.01, wake))

    def _again(self, pitch_id: int, mark: _Mark, delay: float, *, failed: bool) -> None:
        """Put a card back (keeping its age, so it stays first in line); a newer mark merges in."""
        with self._cond:
            if self._stopped:
                return
            mark.failures += 1 if failed else 0
            mark.not_before = time.monotonic() + delay
            current = self._marks.get(pitch_id)
            if current is not None:
                mark.since = min(mark.since, current.since)
            self._marks[pitch_id] = mark
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            pitch_id, mark = taken
            try:
                self._refresh(pitch_id, mark)
            except Exception:  # noqa: BLE001 - the refresher must outlive any one card
                log.exception("refreshing the card of pitch %s failed; trying again", pitch_id)
                self._again(pitch_id, mark, min(MAX_BACKOFF, 2.0 ** (mark.failures + 1)), failed=True)
            finally:
                with self._cond:
                    self._working = False

    def _client(self, event_id: int) -> PacedWebClient:
        token = self._tokens.get(event_id)
        if token not in self._clients:
            self._clients[token] = paced_client(self.ctx, token)
        return self._clients[token]

    def _claim(self, pitch_id: int) -> bool:
        now = time.time()
        table: Any = CardState.__table__  # type: ignore[attr-defined]
        with session_scope(self.ctx.engine) as db:
            _ensure_state(db, pitch_id)
            taken = db.exec(update(table).where(table.c.pitch_id == pitch_id, table.c.refreshing_until < now)
                            .values(refreshing_until=now + CLAIM_SECONDS))
            return bool(taken.rowcount == 1)

    def _release(self, pitch_id: int, shown_hash: str | None) -> None:
        table: Any = CardState.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {"refreshing_until": 0.0}
        if shown_hash is not None:
            values |= {"shown_hash": shown_hash, "shown_at": time.time()}
        with session_scope(self.ctx.engine) as db:
            db.exec(update(table).where(table.c.pitch_id == pitch_id).values(**values))

    def _shown(self, pitch_id: int) -> str:
        with session_scope(self.ctx.engine) as db:
            row = db.get(CardState, pitch_id)
            return row.shown_hash if row is not None else ""

    def _refresh(self, pitch_id: int, mark: _Mark) -> None:
        try:
            claimed = self._claim(pitch_id)
        except SQLAlchemyError:
            self._again(pitch_id, mark, min(MAX_BACKOFF, 2.0 ** (mark.failures + 1)), failed=True)
            return
        if not claimed:  # another process is updating it: after it, ours may still carry news
            self._again(pitch_id, mark, BUSY_RETRY, failed=False)
            return
        shown: str | None = None
        try:
            event, card = _load(self.ctx, mark.event_id, pitch_id)
            unchanged = _digest(*render(self.ctx, event, card)) == self._shown(pitch_id)
            if not (card.channel and card.message_ts) or unchanged:
                self.skipped += 1
                return
            client = self._client(mark.event_id)
            with sending_as(CARDS), client.turn("chat.update"):
                event, card = _load(self.ctx, mark.event_id, pitch_id)  # after the wait: the latest count
                text, blocks = render(self.ctx, event, card)
                client.chat_update(channel=card.channel or "", ts=card.message_ts or "", text=text, blocks=blocks)
            shown = _digest(text, blocks)
            self.sent += 1
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in PERMANENT:
                log.warning("chat.update of pitch %s failed for good: %s", pitch_id, error)
                return
            log.info("chat.update of pitch %s failed (%s); trying again", pitch_id, error)
            self._again(pitch_id, mark, min(MAX_BACKOFF, 2.0 ** (mark.failures + 1)), failed=True)
        except LookupError:
            return
        finally:
            self._release(pitch_id, shown)


_refreshers: dict[int, CardRefresher] = {}
_refreshers_lock = threading.Lock()


def refresher_for(ctx: AppContext) -> CardRefresher:
    """This process's refresher for the context's database (tests make many databases)."""
    ctx = replace(ctx, engine=root_engine(ctx.engine))
    with _refreshers_lock:
        found = _refreshers.get(id(ctx.engine))
        if found is None or found.ctx.engine is not ctx.engine:
            found = CardRefresher(ctx)
            _refreshers[id(ctx.engine)] = found
        found.use(ctx)
        return found


def stop_refresher(engine: Engine) -> None:
    """End this process's refresher for a database that is going away (tests; shutdown)."""
    with _refreshers_lock:
        found = _refreshers.pop(id(root_engine(engine)), None)
    if found is not None:
        found.stop()


def wait_idle(ctx: AppContext, timeout: float = 10.0) -> bool:
    """True once this process has no card left to refresh (tests; the demo before it exits)."""
    with _refreshers_lock:
        found = _refreshers.get(id(root_engine(ctx.engine)))
    return found is None or found.wait_idle(timeout)

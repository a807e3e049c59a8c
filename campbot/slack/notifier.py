"""The Slack notifier: how the services' notices (campbot.services.notices) reach Slack.

It is the only place outside the listeners that sends to Slack, and it sends nothing on its
own: the services decide what goes and keep the ledger that sends it once. Here a notice
becomes Block Kit (campbot.slack.blocks), every call is paced under Slack's limits on the
budget that all of campbot's senders and processes share (campbot.slack.outbound: the grid
and its changelog at the cards' priority, reminders and DMs as bulk, after anything a person
waits for), and a pitch card is never updated here: `refresh_cards` hands the cards to the
card refresher (campbot.slack.listeners.cards), the one path every card update takes.

`Pacer` (in-process, with an injectable clock so tests can run a storm of 429s without
sleeping) keeps a job sender's own rhythm per channel and makes it wait out a Retry-After.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from campbot.config.context import AppContext
from campbot.services import notices
from campbot.services.notifier import Notifier, NotifierFactory, SendFailed
from campbot.services.pitching import get_pitch_card
from campbot.slack.blocks import grid as grid_blocks
from campbot.slack.blocks import reminders
from campbot.slack.listeners.cards import post_card, refresh_event_cards
from campbot.slack.outbound.background import pool
from campbot.slack.outbound.budget import BULK, CARDS
from campbot.slack.outbound.client import paced, paced_client, pacing_for, retry_after, sending_as
from campbot.slack.outbound.limits import Limit
from campbot.slack.slack_client import token_for_event
from campbot.slack.token_state import token_problem
from campbot.store.db import session_scope
from campbot.store.tables import Event

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]
# the grid and its changelog go at the cards' priority (people look for them right after Publish);
# everything else a job or a publish sends is bulk
CARDS_PRIORITY = (notices.GridPost, notices.ChangelogPost)


class Pacer:
    """Token buckets: one per channel (`rate` per second, `burst` at once) and one overall.

    `wait(channel)` reserves a token and sleeps until it is valid; `hold(seconds)` makes every
    caller wait (a 429's Retry-After). `clock` and `sleep` are injectable so tests run a storm
    of 429s without really sleeping.
    """

    def __init__(self, *, rate: float = 1.0, burst: float = 3.0, overall_rate: float = 20.0,
                 overall_burst: float = 20.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.burst = rate, burst
        self.overall_rate, self.overall_burst = overall_rate, overall_burst
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, stamp)
        self._overall: tuple[float, float] | None = None
        self._hold_until = 0.0
        self.slept = 0.0  # total seconds asked to sleep, for tests and logs

    @staticmethod
    def _take(state: tuple[float, float] | None, now: float, rate: float, burst: float) -> tuple[float, float, float]:
        tokens, stamp = state if state is not None else (burst, now)
        tokens = min(burst, tokens + max(0.0, now - stamp) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        return tokens - 1, now, wait

    def reserve(self, channel: str) -> float:
        """Take a token for `channel` and say how long to wait before using it."""
        with self._lock:
            now = self.clock()
            tokens, stamp, wait_channel = self._take(self._buckets.get(channel), now, self.rate, self.burst)
            self._buckets[channel] = (tokens, stamp)
            o_tokens, o_stamp, wait_overall = self._take(self._overall, now, self.overall_rate, self.overall_burst)
            self._overall = (o_tokens, o_stamp)
            return max(wait_channel, wait_overall, self._hold_until - now, 0.0)

    def wait(self, channel: str) -> None:
        delay = self.reserve(channel)
        if delay > 0:
            self.slept += delay
            self.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Everyone waits `seconds` from now (Slack said so in a Retry-After)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self.clock() + seconds)


class PacedRateLimitRetry(RateLimitErrorRetryHandler):
    """The client's 429 handler, waiting through the Pacer (so every sender backs off together,
    and tests can use a fake sleeper) instead of a private `time.sleep`."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        seconds = retry_after(response.headers)
        log.info("Slack says slow down: waiting %.0fs", seconds)
        self.pacer.hold(seconds)
        self.pacer.slept += seconds
        self.pacer.sleep(seconds)
        state.increment_current_attempt()


def render(notice: notices.Notice) -> list[tuple[str, Blocks]]:
    """A notice as Slack messages: [(fallback text, blocks)], more than one only for a long grid."""
    match notice:
        case notices.GridPost(grid=grid, changelog_hint=hint):
            return grid_blocks.grid_messages(grid, changelog_hint=hint)
        case notices.ChangelogPost(event_name=name, number=number, lines=lines):
            return [grid_blocks.changelog_message(name, number, list(lines))]
        case notices.ReplanDM(event_name=name, number=number, items=items):
            return [grid_blocks.replan_dm(name, number, list(items))]
        case notices.HostDM(event_name=name, sessions=sessions):
            return [grid_blocks.host_dm(name, list(sessions))]
    message = _reminder_message(notice)
    return [(message.text, message.blocks)]


def _reminder_message(notice: notices.Notice) -> reminders.Message:
    match notice:
        case notices.UpNextPost():
            return reminders.up_next_post(event_name=notice.event_name, slot_start=notice.slot_start,
                                          timezone=notice.timezone, sessions=notice.sessions, grid_url=notice.grid_url)
        case notices.ReminderDM():
            return reminders.reminder_dm(event_name=notice.event_name, slot_start=notice.slot_start,
                                         timezone=notice.timezone, hosting=notice.hosting, attending=notice.attending)
        case notices.VotingClosingPost():
            return reminders.voting_closing_post(event_name=notice.event_name, closes_at=notice.closes_at,
                                                 timezone=notice.timezone, minutes_left=notice.minutes_left)
        case notices.VotingOpenedPost():
            return reminders.voting_opened_post(event_name=notice.event_name, closes_at=notice.closes_at,
                                                timezone=notice.timezone, quota=notice.quota)
        case notices.VotingEndedPost():
            return reminders.voting_ended_post(event_name=notice.event_name, closed_at=notice.closed_at,
                                               timezone=notice.timezone)
        case notices.ClosingPost():
            return reminders.closing_post(event_name=notice.event_name, timezone=notice.timezone,
                                          sessions=notice.sessions, hashtag=notice.hashtag)
    raise TypeError(f"no Slack message for {type(notice).__name__}")


@dataclass
class SlackNotifier:
    """The Notifier for one workspace: `client` carries its token; `pacer`, when given, adds a
    job sender's own per-channel rhythm and Retry-After waits on top of the shared budget."""

    ctx: AppContext
    client: WebClient
    pacer: Pacer | None = None

    @classmethod
    def for_client(cls, ctx: AppContext, client: WebClient, pacer: Pacer | None = None) -> SlackNotifier:
        """A notifier sending with `client`'s token (e.g. the one Bolt made for this request), paced."""
        if pacer is None:
            return cls(ctx=ctx, client=paced(client, ctx))
        sender = paced_client(ctx, client.token)  # its own retry handlers: `client` may be shared
        sender.retry_handlers = [h for h in sender.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
        sender.retry_handlers.append(PacedRateLimitRetry(pacer))
        return cls(ctx=ctx, client=sender, pacer=pacer)

    @classmethod
    def for_token(cls, ctx: AppContext, token: str | None, pacer: Pacer | None = None) -> SlackNotifier:
        return cls.for_client(ctx, paced_client(ctx, token), pacer)

    # ---------------------------------------------------------------- Notifier

    def pieces(self, notice: notices.Notice) -> int:
        return len(render(notice))

    def post(self, channel: str, notice: notices.Notice, piece: int = 1) -> str:
        text, blocks = render(notice)[piece - 1]
        return self._send(channel, notice, lambda: self._post(channel, text, blocks))

    def direct(self, user: str, notice: notices.Notice) -> str:
        text, blocks = render(notice)[0]
        if isinstance(notice, notices.ReminderDM):  # posted straight to the person's DM with the app
            return self._send(user, notice, lambda: self._post(user, text, blocks))

        def open_and_post() -> str:
            opened = self.client.conversations_open(users=user)
            return self._post(opened["channel"]["id"], text, blocks)

        return self._send(user, notice, open_and_post)

    def pin(self, receipt: str) -> str:
        channel, ts = receipt.split(" ", 1)
        return self._tolerant(lambda: self.client.pins_add(channel=channel, timestamp=ts), {"already_pinned"}, receipt)

    def unpin(self, receipt: str) -> str:
        channel, ts = receipt.split(" ", 1)
        return self._tolerant(lambda: self.client.pins_remove(channel=channel, timestamp=ts),
                              {"no_pin", "message_not_found"}, receipt)

    def refresh_cards(self, event_id: int, pitch_ids: Iterable[int] | None = None) -> None:
        refresh_event_cards(self.ctx, self.client, event_id, pitch_ids)

    def post_new_card(self, event_id: int, pitch_id: int) -> None:
        """Post the card of a pitch made on the web, off the caller's thread (the after-ack pool),
        through the same `post_card` a /pitch uses; a pitch with a card already is skipped."""

        def post() -> None:
            with session_scope(self.ctx.engine) as db:
                event = db.get(Event, event_id)
            if event is None:
                return
            card = get_pitch_card(self.ctx, event_id, pitch_id)
            if card.message_ts is None and card.status == "active":
                post_card(self.ctx, self.client, event, card)

        pool.submit(post)

    def seconds_to_send(self, posts: int, cards: int, dms: int) -> float:
        """Within the paced rates of campbot.slack.outbound.limits: posts to one channel,
        chat.update, and conversations.open per DM."""
        limits = pacing_for(self.ctx).limits
        return max(_paced_seconds(posts, limits.per_channel), _paced_seconds(cards, limits.for_method("chat.update")),
                   _paced_seconds(dms, limits.for_method("conversations.open")))

    # ---------------------------------------------------------------- Slack calls

    def _post(self, channel: str, text: str, blocks: Blocks) -> str:
        resp = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                            unfurl_media=False)
        return f"{resp.get('channel', channel)} {resp.get('ts', '')}"

    def _send(self, channel: str, notice: notices.Notice, call: Callable[[], str]) -> str:
        if self.pacer is not None:
            self.pacer.wait(channel)
        try:
            with sending_as(CARDS if isinstance(notice, CARDS_PRIORITY) else BULK):
                return call()
        except SlackApiError as exc:
            if exc.response.status_code == 429 and self.pacer is not None:  # retries ran out: the next send waits
                self.pacer.hold(retry_after(exc.response.headers))
            raise SendFailed(str(exc.response.get("error") or exc.response.status_code)) from exc

    def _tolerant(self, call: Callable[[], object], fine: set[str], receipt: str) -> str:
        try:
            with sending_as(CARDS):
                call()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error not in fine:
                raise SendFailed(error) from exc
        return receipt


def _paced_seconds(count: int, limit: Limit | None) -> float:
    if limit is None or count <= 0 or limit.is_unlimited():
        return 0.0
    interval, burst = limit.pace()
    return max(0, count - burst) * interval


_notifiers: dict[str, SlackNotifier] = {}
_notifiers_lock = threading.Lock()


def slack_notifiers(ctx: AppContext, *, client: WebClient | None = None, pacer: Pacer | None = None) -> NotifierFactory:
    """The notifier for each event's workspace, or None while its installation is revoked
    (campbot.slack.token_state). One per Slack address and token in this process, so a job
    sender's pacing is shared by every job sending to the same workspace. With `client` (tests,
    one workspace) every event is sent with that client."""

    def for_event(event_id: int) -> Notifier | None:
        with session_scope(ctx.engine) as db:
            event = db.get(Event, event_id)
        if event is None or token_problem(ctx, event):
            return None
        if client is not None:
            return SlackNotifier.for_client(ctx, client, pacer)
        token = token_for_event(ctx, event_id)
        with _notifiers_lock:
            key = f"{ctx.settings.slack_api_url} {token or ''} {id(ctx.engine)}"
            found = _notifiers.get(key)
            if found is None:
                found = _notifiers[key] = SlackNotifier.for_token(ctx, token, pacer or Pacer())
            return found

    return for_event

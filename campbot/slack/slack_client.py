"""The Slack Web API client every part of the bot uses.

One factory, so the base URL (a local fake in tests), retries on 429/5xx/connection errors
and the token handling are the same for listeners, jobs and the CLI.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.slack.oauth import bot_token_for_team
from campbot.store.db import session_scope
from campbot.store.tables import Event


def retry_handlers(max_retry_count: int = 5) -> list:
    """429s wait out Retry-After; 5xx and dropped connections back off and try again."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retry_count),
        ServerErrorRetryHandler(max_retry_count=max_retry_count),
        ConnectionErrorRetryHandler(max_retry_count=max_retry_count),
    ]


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    secret = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token or secret,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=retry_handlers(),
    )


def client_for_event(ctx: AppContext, event_id: int) -> WebClient:
    """A client with the token of the workspace the event belongs to (the installed one in
    OAuth mode, else SLACK_BOT_TOKEN)."""
    return make_web_client(ctx.settings, token_for_event(ctx, event_id))


def token_for_event(ctx: AppContext, event_id: int) -> str | None:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        team = event.team_id if event is not None else None
    return bot_token_for_team(ctx, team)

"""Answering only the person who acted, whatever kind of request they sent.

Its own module because both the listeners (campbot.slack.listeners.common) and the outage
answers (campbot.slack.outage) tell people things, and neither should import the other.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)


def user_id_of(body: dict[str, Any]) -> str:
    """The acting user's id in any payload shape (commands use `user_id`, others `user.id`)."""
    if "user_id" in body:
        return str(body["user_id"])
    user = body.get("user") or {}
    if isinstance(user, dict):
        return str(user.get("id", ""))
    return str(user or "")


def tell(
    client: WebClient,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    replace: bool = False,
) -> None:
    """Answer only the person who acted: through the response_url when there is one (works in
    any channel, even ones the bot is not in), else an ephemeral message, else a DM."""
    user = user_id_of(body)
    response_url = body.get("response_url") or _first_response_url(body)
    try:
        if response_url:
            hook = WebhookClient(response_url, timeout=10, retry_handlers=client.retry_handlers)
            resp = hook.send(text=text, blocks=blocks, response_type="ephemeral", replace_original=replace)
            if resp.status_code < 300:
                return
            log.warning("response_url answered %s; falling back to a direct message", resp.status_code)
        channel = (
            (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else body.get("channel_id")
        )
        if channel and not str(channel).startswith("D"):
            try:
                client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.info("ephemeral to %s failed (%s); sending a DM", channel, exc.response.get("error"))
        client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user, exc.response.get("error"))
    except Exception as exc:  # network trouble after retries: the reply is lost, the bot goes on
        log.warning("could not tell %s: %s", user, type(exc).__name__)


def _first_response_url(body: dict[str, Any]) -> str | None:
    urls = body.get("response_urls") or []
    if urls and isinstance(urls[0], dict):
        return urls[0].get("response_url")
    return None

"""Escaping user text for Slack, so that what people type shows exactly as typed.

Slack reads `<...>` as a control sequence in message text: `<!channel>` pings a whole
channel, `<@U123>` pings a person, `<http://x|y>` hides a link behind other words. Slack's
own rule is to escape only `&`, `<` and `>` (as `&amp;`, `&lt;`, `&gt;`); every other
character (quotes, apostrophes) must stay as it is or Slack shows the entity literally.
The same escaping is used for `mrkdwn` and `plain_text` objects and for fallback `text`.
"""

from __future__ import annotations

_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str | None) -> str:
    """User text made safe for any Slack text field: pings nobody, links nothing."""
    return (text or "").translate(_TABLE)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters, never inside an `&amp;`-style entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ellipsis

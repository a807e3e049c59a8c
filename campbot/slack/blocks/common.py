"""Small constructors for Block Kit objects, with the limits applied where text is cut."""

from __future__ import annotations

from typing import Any

from campbot.slack.blocks import limits
from campbot.slack.escape import truncate


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    """A plain_text object; `text` must already be escaped if it came from a user."""
    return {"type": "plain_text", "text": truncate(text, limit) if limit else text, "emoji": True}


def mrkdwn(text: str, limit: int = limits.SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text or " ")}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts if t][: limits.CONTEXT_ELEMENTS] or [mrkdwn(" ")]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, limits.HEADER_TEXT)}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "text": plain(text, limits.BUTTON_TEXT), "action_id": action_id}
    if value:
        b["value"] = value[: limits.BUTTON_VALUE]
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, limits.OPTION_TEXT), "value": value[: limits.OPTION_VALUE]}


def confirm_dialog(
    title: str, text: str, confirm: str, deny: str = "Cancel", *, danger: bool = False
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(confirm, 30),
        "deny": plain(deny, 30),
    }
    if danger:
        d["style"] = "danger"
    return d

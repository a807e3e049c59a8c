"""Turns Slack Web API calls into lines a person can read in a terminal, for `campbot demo`."""

from __future__ import annotations

import re
from typing import Any

from campbot.slack.local_slack import Call

_SHOWN = {"chat.postMessage", "chat.postEphemeral", "chat.update", "pins.add", "views.publish"}


def _unescape(text: str) -> str:
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block_text(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind in ("section", "header"):
        lines = []
        if isinstance(block.get("text"), dict):
            lines.append(block["text"].get("text", ""))
        for field in block.get("fields") or []:
            lines.append(field.get("text", ""))
        return lines
    if kind == "context":
        return [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict) and "text" in e]
    if kind == "actions":
        labels = [e.get("text", {}).get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
        return ["[" + "] [".join(label for label in labels if label) + "]"] if labels else []
    if kind == "divider":
        return ["-" * 40]
    return []


def describe(call: Call) -> str | None:
    """One readable paragraph for a call the demo should show, None for plumbing calls."""
    if call.method not in _SHOWN:
        return None
    p = call.params
    where = p.get("channel", "")
    if call.method == "pins.add":
        return f"📌 pinned the message {p.get('timestamp', '')} in {where}"
    if call.method == "views.publish":
        return f"🏠 App Home refreshed for {p.get('user_id', '')}"
    blocks = p.get("blocks") or []
    body = [line for b in blocks if isinstance(b, dict) for line in _block_text(b)] or [p.get("text", "")]
    who = {"chat.postMessage": "→", "chat.postEphemeral": "→ (only visible to you)", "chat.update": "✎ updated"}
    head = f"{who[call.method]} {where}" + (f" for {p['user']}" if call.method == "chat.postEphemeral" else "")
    return head + "\n" + "\n".join("    " + _unescape(line) for text in body for line in str(text).splitlines())

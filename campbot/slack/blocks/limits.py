"""Slack's Block Kit limits, in one place, and a checker the tests (and callers) use.

Figures from Slack's Block Kit reference: a message holds at most 50 blocks, a modal or
the App Home 100; a section's text 3,000 characters, a field 2,000, at most 10 fields; a
header 150; a button's text 75 and value 2,000; a modal's title 24, its submit/close 24;
an action_id/block_id 255; an actions block 25 elements; a context block 10 elements;
checkboxes/radio buttons 10 options; a select 100 options; an option's text 75;
private_metadata 3,000.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
MODAL_TITLE = 24
MODAL_BUTTON = 24
ID_MAX = 255
CHECKBOX_OPTIONS = 10
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
PLACEHOLDER = 150
MESSAGE_TEXT = 40000


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def problems_in_blocks(blocks: list[dict[str, Any]], *, max_blocks: int) -> list[str]:
    """Every limit a list of blocks breaks (empty when it would be accepted)."""
    out: list[str] = []
    if len(blocks) > max_blocks:
        out.append(f"{len(blocks)} blocks > {max_blocks}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        out.append("duplicate block_id")
    for i, b in enumerate(blocks):
        where = f"block {i} ({b.get('type')})"
        if len(b.get("block_id", "")) > ID_MAX:
            out.append(f"{where}: block_id too long")
        t = b.get("type")
        if t == "section":
            if "text" not in b and "fields" not in b:
                out.append(f"{where}: a section needs text or fields")
            if len(_text(b.get("text"))) > SECTION_TEXT:
                out.append(f"{where}: text {len(_text(b.get('text')))} > {SECTION_TEXT}")
            if "text" in b and not _text(b.get("text")).strip():
                out.append(f"{where}: empty text")
            fields = b.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                out.append(f"{where}: {len(fields)} fields > {SECTION_FIELDS}")
            out += [f"{where}: field > {SECTION_FIELD}" for f in fields if len(_text(f)) > SECTION_FIELD]
            if "accessory" in b:
                out += _element_problems(b["accessory"], where)
        elif t == "header":
            if len(_text(b.get("text"))) > HEADER_TEXT:
                out.append(f"{where}: header > {HEADER_TEXT}")
        elif t == "context":
            els = b.get("elements") or []
            if not els or len(els) > CONTEXT_ELEMENTS:
                out.append(f"{where}: {len(els)} context elements")
            out += [f"{where}: context text > {SECTION_TEXT}" for e in els if len(_text(e)) > SECTION_TEXT]
            out += [
                f"{where}: empty context text"
                for e in els
                if e.get("type") in ("mrkdwn", "plain_text") and not _text(e).strip()
            ]
        elif t == "actions":
            els = b.get("elements") or []
            if not els or len(els) > ACTIONS_ELEMENTS:
                out.append(f"{where}: {len(els)} action elements")
            for e in els:
                out += _element_problems(e, where)
        elif t == "input":
            if len(_text(b.get("label"))) > INPUT_LABEL:
                out.append(f"{where}: label too long")
            out += _element_problems(b.get("element") or {}, where)
    return out


def _element_problems(e: dict[str, Any], where: str) -> list[str]:
    out: list[str] = []
    et = e.get("type")
    if len(e.get("action_id", "")) > ID_MAX:
        out.append(f"{where}: action_id too long")
    if et == "button":
        if len(_text(e.get("text"))) > BUTTON_TEXT:
            out.append(f"{where}: button text > {BUTTON_TEXT}")
        if len(e.get("value", "")) > BUTTON_VALUE:
            out.append(f"{where}: button value > {BUTTON_VALUE}")
    opts = e.get("options") or []
    if et in ("checkboxes", "radio_buttons") and len(opts) > CHECKBOX_OPTIONS:
        out.append(f"{where}: {len(opts)} options > {CHECKBOX_OPTIONS}")
    if et in ("static_select", "multi_static_select", "overflow") and len(opts) > SELECT_OPTIONS:
        out.append(f"{where}: {len(opts)} options > {SELECT_OPTIONS}")
    if et == "overflow" and not 1 <= len(opts) <= 5:
        out.append(f"{where}: overflow takes 1 to 5 options")
    for o in opts:
        if len(_text(o.get("text"))) > OPTION_TEXT:
            out.append(f"{where}: option text > {OPTION_TEXT}")
        if len(o.get("value", "")) > OPTION_VALUE:
            out.append(f"{where}: option value > {OPTION_VALUE}")
    if len(_text(e.get("placeholder"))) > PLACEHOLDER:
        out.append(f"{where}: placeholder > {PLACEHOLDER}")
    return out


def problems_in_message(blocks: list[dict[str, Any]]) -> list[str]:
    return problems_in_blocks(blocks, max_blocks=MESSAGE_BLOCKS)


def problems_in_view(view: dict[str, Any]) -> list[str]:
    out = problems_in_blocks(view.get("blocks") or [], max_blocks=VIEW_BLOCKS)
    if view.get("type") == "modal":
        for key, limit in (("title", MODAL_TITLE), ("submit", MODAL_BUTTON), ("close", MODAL_BUTTON)):
            if key in view and len(_text(view[key])) > limit:
                out.append(f"modal {key} > {limit}")
        if "title" not in view:
            out.append("modal without title")
        if any(b.get("type") == "input" for b in view.get("blocks") or []) and "submit" not in view:
            out.append("modal with inputs but no submit")
    if len(view.get("private_metadata", "")) > PRIVATE_METADATA:
        out.append("private_metadata too long")
    return out

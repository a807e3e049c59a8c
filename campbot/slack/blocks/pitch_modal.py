"""The pitch modal (new and edit), and reading its submitted state back.

Block ids are the field names (`title`, `description`, ...) so that a service's field
errors map straight onto `response_action: errors`. Every input's action_id is `value`.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from campbot.services.pitch_input import DESCRIPTION_MAX, FORMATS, NEEDS, TITLE_MAX, PitchInput, parse_tags
from campbot.services.pitch_words import (
    DESCRIPTION_PLACEHOLDER,
    FIELD_LABELS,
    FORMAT_LABELS,
    LENGTH_LABELS,
    NEED_LABELS,
    TAGS_HINT,
    TITLE_PLACEHOLDER,
    UNAVAILABLE_HINT,
)
from campbot.services.pitching import SlotTime
from campbot.services.times import slot_time
from campbot.slack.blocks import limits
from campbot.slack.blocks.common import option, plain
from campbot.slack.escape import escape

CALLBACK_ID = "pitch_submit"
NEEDS_BLOCK = "needs"  # its checkboxes dispatch a block_actions payload (dispatch_action), see views.py
NEEDS_WARNING_BLOCK = "needs_warning"
PAPER_CALLBACK_ID = "paper_pitch_submit"
FIELDS = ("title", "description", "cohosts", "format", "length", "needs", "unavailable", "tags")



def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def pitch_modal(
    slots: list[SlotTime], *, initial: PitchInput | None = None, pitch_id: int | None = None, user_id: str = ""
) -> dict[str, Any]:
    """The modal to pitch (or, with pitch_id, edit) a session."""
    init = initial or PitchInput(title="")
    title_el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": TITLE_MAX,
        "placeholder": plain(TITLE_PLACEHOLDER),
    }
    if init.title:
        title_el["initial_value"] = init.title
    desc_el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
        "placeholder": plain(DESCRIPTION_PLACEHOLDER),
    }
    if init.description:
        desc_el["initial_value"] = init.description
    cohosts_el: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "value",
        "placeholder": plain("Anyone hosting with you"),
    }
    if init.cohost_user_ids:
        cohosts_el["initial_users"] = list(init.cohost_user_ids)
    formats = [option(FORMAT_LABELS[f], f) for f in FORMATS]
    format_el: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "options": formats,
        "initial_option": formats[FORMATS.index(init.format) if init.format in FORMATS else 0],
    }
    lengths = [option(LENGTH_LABELS[n], str(n)) for n in (1, 2)]
    length_el: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": "value",
        "options": lengths,
        "initial_option": lengths[1 if init.length == 2 else 0],
    }
    needs = [option(NEED_LABELS[n], n) for n in NEEDS]
    needs_el: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": needs}
    chosen_needs = [o for o in needs if o["value"] in init.needs]
    if chosen_needs:
        needs_el["initial_options"] = chosen_needs
    slot_opts = [option(slot_time(s.start, s.end, s.start.tzinfo or UTC), s.key) for s in slots]
    kind = "checkboxes" if len(slot_opts) <= limits.CHECKBOX_OPTIONS else "multi_static_select"
    slots_el: dict[str, Any] = {"type": kind, "action_id": "value", "options": slot_opts[: limits.SELECT_OPTIONS]}
    if kind == "multi_static_select":
        slots_el["placeholder"] = plain("Slots you can't make")
    chosen_slots = [o for o in slot_opts if o["value"] in init.unavailable_slots]
    if chosen_slots:
        slots_el["initial_options"] = chosen_slots
    tags_el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": 300,
        "placeholder": plain("e.g. digital, housing, AI"),
    }
    if init.tags:
        tags_el["initial_value"] = ", ".join(init.tags)
    blocks = [
        _input("title", FIELD_LABELS["title"], title_el),
        _input("description", FIELD_LABELS["description"], desc_el, optional=True),
        _input("cohosts", FIELD_LABELS["cohosts"], cohosts_el, optional=True),
        _input("format", FIELD_LABELS["format"], format_el),
        _input("length", FIELD_LABELS["length"], length_el),
        {**_input(NEEDS_BLOCK, FIELD_LABELS["needs"], needs_el, optional=True), "dispatch_action": True},
    ]
    if slot_opts:
        blocks.append(
            _input(
                "unavailable",
                FIELD_LABELS["unavailable"],
                slots_el,
                optional=True,
                hint=UNAVAILABLE_HINT,
            )
        )
    blocks.append(_input("tags", FIELD_LABELS["tags"], tags_el, optional=True, hint=TAGS_HINT))
    meta = json.dumps({"pitch_id": pitch_id, "user": user_id})
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Edit your pitch" if pitch_id else "Pitch a session"),
        "submit": plain("Save" if pitch_id else "Pitch it"),
        "close": plain("Cancel"),
        "private_metadata": meta,
        "blocks": blocks,
    }


def with_needs_warning(view: dict[str, Any], warning: str | None) -> dict[str, Any]:
    """The modal as it is (from a block_actions payload), with the warning that no room meets
    the ticked needs shown under them, or taken away. For views.update: the input blocks keep
    their block and action ids, so Slack keeps what the pitcher has typed."""
    blocks = [b for b in view.get("blocks") or [] if b.get("block_id") != NEEDS_WARNING_BLOCK]
    if warning:
        at = next((i + 1 for i, b in enumerate(blocks) if b.get("block_id") == NEEDS_BLOCK), len(blocks))
        note = {"type": "context", "block_id": NEEDS_WARNING_BLOCK,
                "elements": [{"type": "mrkdwn", "text": f":warning: {escape(warning)}"[:3000]}]}
        blocks.insert(at, note)
    keep = ("type", "callback_id", "title", "submit", "close", "private_metadata", "clear_on_close",
            "notify_on_close", "external_id")
    return {**{k: view[k] for k in keep if k in view}, "blocks": blocks}


def modal_pitch_id(view: dict[str, Any]) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("pitch_id")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = values.get(block_id) or {}
    return block.get("value") or (next(iter(block.values())) if block else {}) or {}


def read_pitch_form(view: dict[str, Any]) -> PitchInput:
    """The submitted modal state as a PitchInput (missing fields come back empty)."""
    values = (view.get("state") or {}).get("values") or {}
    title = _value(values, "title").get("value") or ""
    description = _value(values, "description").get("value") or ""
    cohosts = tuple(_value(values, "cohosts").get("selected_users") or ())
    fmt = ((_value(values, "format").get("selected_option") or {}).get("value")) or ""
    length_raw = ((_value(values, "length").get("selected_option") or {}).get("value")) or "0"
    needs = tuple(o.get("value", "") for o in _value(values, "needs").get("selected_options") or ())
    slots = tuple(o.get("value", "") for o in _value(values, "unavailable").get("selected_options") or ())
    tags = parse_tags(_value(values, "tags").get("value") or "")
    return PitchInput(
        title=title,
        description=description,
        cohost_user_ids=cohosts,
        format=fmt,
        length=int(length_raw) if length_raw.isdigit() else 0,
        needs=needs,
        unavailable_slots=slots,
        tags=tags,
    )


def modal_errors(errors: dict[str, str], view: dict[str, Any] | None = None) -> dict[str, str]:
    """Service field errors -> `response_action: errors` map (block ids present in the view)."""
    present = {b.get("block_id") for b in (view or {}).get("blocks") or []} if view else set(FIELDS)
    out = {k: v[:150] for k, v in errors.items() if k in present}
    if errors and not out:  # an error for a field that is not in the modal: show it on the title
        out["title"] = "; ".join(errors.values())[:150]
    return out


def paper_modal() -> dict[str, Any]:
    """Organisers: add a pitch for someone not on Slack, with its show-of-hands count."""
    return {
        "type": "modal",
        "callback_id": PAPER_CALLBACK_ID,
        "title": plain("Add a paper pitch"),
        "submit": plain("Add pitch"),
        "close": plain("Cancel"),
        "blocks": [
            _input(
                "title", "Session title", {"type": "plain_text_input", "action_id": "value", "max_length": TITLE_MAX}
            ),
            _input(
                "hosts",
                "Host names (not on Slack)",
                {"type": "plain_text_input", "action_id": "value", "placeholder": plain("e.g. Sam Jones, Priya Shah")},
                hint="Separate names with commas.",
            ),
            _input(
                "votes",
                "Show of hands",
                {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                    "min_value": "0",
                    "initial_value": "0",
                },
            ),
            _input(
                "description",
                "Short description",
                {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": DESCRIPTION_MAX},
                optional=True,
            ),
        ],
    }


def read_paper_form(view: dict[str, Any]) -> tuple[str, list[str], str, str]:
    values = (view.get("state") or {}).get("values") or {}
    title = _value(values, "title").get("value") or ""
    hosts = [h.strip() for h in (_value(values, "hosts").get("value") or "").split(",") if h.strip()]
    votes = str(_value(values, "votes").get("value") or "0").strip()
    description = _value(values, "description").get("value") or ""
    return title, hosts, votes, description


def shown(text: str) -> str:
    """User text for a modal's plain_text (kept here so every builder escapes the same way)."""
    return escape(text)

"""The App Home view: pitch button, votes and quota, my pitches, my agenda, reminders.

Lists are capped so the view stays within Slack's 100-block limit however much a person
voted or hosts; anything past the cap is summarised in one line.
"""

from __future__ import annotations

from typing import Any

from campbot.services.home import HomeData
from campbot.slack.blocks import limits
from campbot.slack.blocks.common import button, context, divider, header, section
from campbot.slack.escape import escape, truncate

PITCH_ACTION = "home_pitch"
UNVOTE_ACTION = "home_unvote"
REMINDERS_ACTION = "home_reminders"
MAX_LISTED = 20


def _status_word(status: str) -> str:
    return {"active": "", "withdrawn": " _(withdrawn)_", "merged": " _(merged)_"}.get(status, "")


def home_view(data: HomeData) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        header(truncate(escape(data.event_name), limits.HEADER_TEXT)),
        section(
            "Got an idea for a session? Pitch it and people can say they're interested.",
            accessory=button("Pitch a session", PITCH_ACTION, "pitch", style="primary"),
        ),
        divider(),
    ]
    voting = "Voting is *open*." if data.voting_open else "Voting is *closed* right now."
    blocks.append(section(f"*Your votes* — {voting} You have used *{data.used}* of {data.quota} ({data.left} left)."))
    if data.my_votes:
        for p in data.my_votes[:MAX_LISTED]:
            accessory = button("Take back", UNVOTE_ACTION, str(p.id)) if data.voting_open else None
            blocks.append(section(f"• {escape(p.title)}  _#{p.id}_", accessory=accessory, block_id=f"vote:{p.id}"))
        if len(data.my_votes) > MAX_LISTED:
            blocks.append(context(f"…and {len(data.my_votes) - MAX_LISTED} more."))
    else:
        blocks.append(
            context(
                "You haven't said you're interested in any session yet: "
                "press *I'm interested* on the cards in the pitches channel."
            )
        )
    blocks.append(divider())
    blocks.append(section("*Your pitches*"))
    if data.my_pitches:
        for p in data.my_pitches[:MAX_LISTED]:
            blocks.append(section(f"• {escape(p.title)}  _#{p.id}_ — {p.votes} interested{_status_word(p.status)}"))
        if len(data.my_pitches) > MAX_LISTED:
            blocks.append(context(f"…and {len(data.my_pitches) - MAX_LISTED} more."))
    else:
        blocks.append(context("You haven't pitched a session."))
    blocks.append(divider())
    if data.grid_version is not None:
        blocks.append(section(f"*Your agenda* (grid version {data.grid_version})"))
        if data.agenda:
            for a in data.agenda[:MAX_LISTED]:
                role = " — you're hosting" if a.hosting else ""
                blocks.append(section(f"*{a.start:%H:%M}–{a.end:%H:%M}* {escape(a.title)}\n{escape(a.room)}{role}"))
            if len(data.agenda) > MAX_LISTED:
                blocks.append(context(f"…and {len(data.agenda) - MAX_LISTED} more."))
        else:
            blocks.append(context("None of the sessions you voted for or host is on the grid."))
    else:
        blocks.append(context("Your agenda appears here once the grid is published."))
    blocks.append(divider())
    if data.reminders_enabled:
        blocks.append(
            section(
                "*Reminders* are *on*: I'll message you before your sessions.",
                accessory=button("Turn off", REMINDERS_ACTION, "off"),
            )
        )
    else:
        blocks.append(section("*Reminders* are *off*.", accessory=button("Turn on", REMINDERS_ACTION, "on")))
    return {"type": "home", "blocks": blocks[: limits.VIEW_BLOCKS]}


def error_home(message: str) -> dict[str, Any]:
    return {"type": "home", "blocks": [section(escape(message))]}

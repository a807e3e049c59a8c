"""The card each pitch gets in the pitches channel, with the "I'm interested" button.

Counts are anonymous: the card shows how many are interested, never who. Hosts are shown
as Slack mentions (their own user ids, not user text) or, for paper pitches, as escaped
names. While voting is closed the card has no vote button and says instead when voting
opens, or that it has closed (`card.voting`). Once a grid is published, callers pass
`placement` (e.g. "Main hall, 11:00–11:45") and the card shows it; the grid engineer reuses
this builder for that.
"""

from __future__ import annotations

from typing import Any

from campbot.services.pitching import PitchCard
from campbot.services.voting import HIDDEN_COUNT, voting_closed_words
from campbot.slack.blocks import limits
from campbot.slack.blocks.common import button, confirm_dialog, context, mrkdwn, option, section
from campbot.slack.escape import escape, truncate

VOTE_ACTION = "vote_toggle"
MENU_ACTION = "pitch_menu"
FORMAT_NAMES = {"discussion": "Discussion", "workshop": "Workshop", "show-and-tell": "Show and tell", "demo": "Demo"}
NEED_NAMES = {
    "step_free": "step-free",
    "projector": "projector",
    "hearing_loop": "hearing loop",
    "quiet": "quiet room",
    "whiteboard": "whiteboard",
}


def hosts_text(card: PitchCard) -> str:
    names = [f"<@{u}>" for u in card.host_user_ids] + [escape(n) for n in card.host_names]
    return ", ".join(names) if names else "someone"




def interest_text(card: PitchCard, *, hide_count: bool = False) -> str:
    if hide_count:  # blind voting (Event.hide_counts): no bandwagon, and no card update per vote
        return f"_{HIDDEN_COUNT}_"
    if card.paper_votes:
        return f"*{card.interest}* interested ({card.paper_votes} by show of hands)"
    return f"*{card.votes}* interested"


def pitch_card_text(card: PitchCard, *, hide_count: bool = False) -> str:
    """The notification/fallback text of the card message."""
    count = "" if hide_count else f" ({card.interest} interested)"
    return truncate(f"Pitch #{card.id}: {escape(card.title)}{count}", 300)


def pitch_card_blocks(
    card: PitchCard, *, placement: str | None = None, hide_count: bool = False
) -> list[dict[str, Any]]:
    """The card's blocks: title and description, details, the count, and for an active pitch
    the vote button and the hosts' menu. `placement` is shown when the grid is out."""
    title = escape(card.title)
    if card.status != "active":
        why = (
            f"merged into pitch #{card.merged_into_id}"
            if card.status == "merged" and card.merged_into_id
            else "withdrawn by its host"
        )
        return [
            {"type": "section", "block_id": f"pitch:{card.id}", "text": mrkdwn(f"~{title}~\n_This pitch was {why}._")},
            context(f"#{card.id} · hosted by {hosts_text(card)}"),
        ]
    body = f"*{title}*"
    if card.description:
        body += "\n" + escape(card.description)
    details = [FORMAT_NAMES.get(card.format, escape(card.format))]
    if card.length == 2:
        details.append("double session")
    if card.needs:
        details.append("needs " + ", ".join(NEED_NAMES.get(n, escape(n)) for n in card.needs))
    if card.tags:
        details.append(" ".join(f"`{escape(t)}`" for t in card.tags))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": f"pitch:{card.id}", "text": mrkdwn(body, limits.SECTION_TEXT)},
        context(f"#{card.id} · hosted by {hosts_text(card)}", " · ".join(details)),
    ]
    if placement:
        blocks.append(context(f":round_pushpin: *{escape(placement)}*"))
    state = card.voting
    voting_open = state is None or state.open
    if state is None or state.open:
        blocks.append(context(interest_text(card, hide_count=hide_count)))
    else:  # no button to press in vain: the card says when voting opens, or that it closed
        blocks.append(context(interest_text(card, hide_count=hide_count), f":lock: {voting_closed_words(state)}"))
    vote = [button("I'm interested", VOTE_ACTION, str(card.id), style="primary")] if voting_open else []
    blocks.append(
        {
            "type": "actions",
            "block_id": f"pitch_actions:{card.id}",
            "elements": [
                *vote,
                {
                    "type": "overflow",
                    "action_id": MENU_ACTION,
                    "options": [
                        option("Edit (hosts only)", f"edit:{card.id}"),
                        option("Withdraw (hosts only)", f"withdraw:{card.id}"),
                    ],
                },
            ],
        }
    )
    return blocks


def withdraw_confirm_blocks(card: PitchCard) -> list[dict[str, Any]]:
    """The private 'are you sure?' a host sees before withdrawing."""
    return [
        section(f"Withdraw *{escape(card.title)}*? Votes are kept for the record, but it won't be scheduled."),
        {
            "type": "actions",
            "block_id": f"withdraw:{card.id}",
            "elements": [
                button(
                    "Withdraw it",
                    "pitch_withdraw_confirm",
                    str(card.id),
                    style="danger",
                    confirm=confirm_dialog("Withdraw pitch?", "It will not be scheduled.", "Withdraw", danger=True),
                ),
            ],
        },
    ]

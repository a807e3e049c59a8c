"""The organiser subcommands this module owns: status, voting open|close, paper, merge.

Paper pitches, for people not on Slack:
    /camp paper "Session title" by Sam Jones, Priya Shah votes 12
(straight or curly quotes; "votes N" is the show-of-hands count, 0 if left out), or just
    /camp paper
to open a form. The card is posted in the pitches channel like any other pitch.

Merging duplicates: `/camp merge 12 15` folds pitch #12 into #15 (votes move, a person who
voted for both counts once, paper votes add up).
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.organising import event_status, set_hide_counts, set_voting
from campbot.services.pitch_desk import add_paper_pitch, merge_pitches
from campbot.services.pitch_input import PAPER_USAGE, InvalidPitch, parse_paper_command, parse_pitch_ref
from campbot.services.pitching import list_pitches
from campbot.slack.blocks.camp import merged_text, paper_added_text, status_text
from campbot.slack.blocks.pitch_modal import paper_modal
from campbot.slack.listeners.camp_router import CampReply, CampRequest, CampSubcommand, register_subcommand
from campbot.slack.listeners.cards import post_card, refresh_card, refresh_event_cards
from campbot.slack.token_state import token_problem


def status_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    assert req.event.id is not None
    return CampReply(status_text(event_status(ctx, req.event.id), token_problem(ctx, req.event)))


def voting_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    assert req.event.id is not None
    word = req.args[0].lower() if req.args else ""
    if word in ("hide-counts", "show-counts"):
        note = set_hide_counts(ctx, req.event.id, hide=(word == "hide-counts"), actor=req.user_id)
        refresh_event_cards(ctx, req.client, req.event.id)  # only cards whose look changes are sent
        return CampReply(note)
    if word not in ("open", "close", "closed"):
        raise ServiceError("Say `/camp voting open`, `/camp voting close`, or `/camp voting hide-counts` "
                           "(`show-counts`) for blind voting.")
    change = set_voting(ctx, req.event.id, open_=(word == "open"), actor=req.user_id)
    refresh_event_cards(ctx, req.client, req.event.id)  # the vote button follows; blind voting: counts appear
    return CampReply(change.note)


def paper_subcommand(ctx: AppContext, req: CampRequest) -> CampReply | None:
    assert req.event.id is not None
    if not req.text:
        req.client.views_open(trigger_id=req.trigger_id, view=paper_modal())
        return None
    parsed = parse_paper_command(req.text)
    try:
        card = add_paper_pitch(
            ctx,
            req.event.id,
            title=parsed.title,
            host_names=[h.removeprefix("@") for h in parsed.hosts],  # a mentioned host reads `@name`
            paper_votes=parsed.votes,
            actor=req.user_id,
        )
    except InvalidPitch as exc:
        raise ServiceError(
            "Nothing was added: " + " ".join(exc.errors.values()) + f" Use: `/camp {PAPER_USAGE}`"
        ) from None
    try:
        post_card(ctx, req.client, req.event, card)
    except SlackApiError as exc:
        return CampReply(
            paper_added_text(card) + f" Its card could not be posted ({exc.response.get('error')}); "
            "try `/camp cards` once the pitches channel is fixed."
        )
    return CampReply(paper_added_text(card))


def cards_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    """Post cards for active pitches that have none yet (imported from a file, or a post that
    failed), so people can vote for them in Slack."""
    assert req.event.id is not None
    missing = [c for c in list_pitches(ctx, req.event.id) if not c.message_ts]
    posted = 0
    for card in missing:
        if post_card(ctx, req.client, req.event, card).message_ts:
            posted += 1
    if not missing:
        return CampReply("Every active pitch already has its card in the pitches channel.")
    return CampReply(f"Posted {posted} of {len(missing)} missing pitch cards.")


def merge_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    assert req.event.id is not None
    words = [w for w in req.args if w.lower() not in ("into", "to")]
    if len(words) != 2:
        raise ServiceError("Say which pitch to fold into which: `/camp merge 12 15` merges #12 into #15.")
    source, target = parse_pitch_ref(words[0]), parse_pitch_ref(words[1])
    result = merge_pitches(ctx, req.event.id, source, target, actor=req.user_id)
    refresh_card(ctx, req.client, req.event.id, source)
    refresh_card(ctx, req.client, req.event.id, target)
    return CampReply(merged_text(result))


for _sub in (
    CampSubcommand("status", "voting, pitches and votes at a glance", status_subcommand, True, "status"),
    CampSubcommand("voting", "open or close voting now", voting_subcommand, True, "voting open|close"),
    CampSubcommand(
        "paper", "add a pitch for someone not on Slack (no text: open a form)", paper_subcommand, True, PAPER_USAGE
    ),
    CampSubcommand("cards", "post cards for pitches that have none (imported ones)", cards_subcommand, True, "cards"),
    CampSubcommand(
        "merge", "merge duplicate pitch A into B (votes move, counted once)", merge_subcommand, True, "merge A B"
    ),
):
    register_subcommand(_sub)

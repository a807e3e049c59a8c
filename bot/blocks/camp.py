"""Replies to organiser commands: status, voting, paper pitch, merge."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.escape import escape
from bot.services.organising import EventStatus
from bot.services.pitching import MergeResult, PitchCard


def _when(at: datetime | None, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") if at else "not set"


def status_text(s: EventStatus, slack_problem: str | None = None) -> str:
    voting = "open" if s.voting_open else "closed"
    lines = [
        f"*{escape(s.name)}*",
        f"• Voting: *{voting}* (switch: {s.voting_status}; window {_when(s.opens_at, s.timezone)} → "
        f"{_when(s.closes_at, s.timezone)})",
        f"• Pitches: *{s.pitches_active}* active ({s.paper_pitches} with paper votes), "
        f"{s.pitches_withdrawn} withdrawn, {s.pitches_merged} merged",
        f"• Votes: *{s.votes}* from {s.voters} people (quota {s.quota} each)",
        "• Grid: " + (f"version {s.published_version} published" if s.published_version else "not published yet"),
        "• Slack: " + (f":warning: {escape(slack_problem)}" if slack_problem else "bot token in place"),
    ]
    return "\n".join(lines)


def paper_added_text(card: PitchCard) -> str:
    names = ", ".join(escape(n) for n in card.host_names)
    return (
        f"Added paper pitch #{card.id} *{escape(card.title)}* by {names} "
        f"with {card.paper_votes} votes by show of hands."
    )


def merged_text(r: MergeResult) -> str:
    return (
        f"Merged #{r.source.id} *{escape(r.source.title)}* into #{r.target.id} *{escape(r.target.title)}*: "
        f"{r.moved} votes moved, {r.duplicates} people had voted for both (counted once). "
        f"#{r.target.id} now has {r.target.interest} interested."
    )

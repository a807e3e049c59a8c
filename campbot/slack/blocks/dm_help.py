"""The answer to someone who writes to campbot directly (the Messages tab): how to take part.

Pure: the event's facts in, mrkdwn text out. Organisers are shown as mentions built from the
ids in the event file (our data, not user text); names and channels typed by people are escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from campbot.slack.escape import escape

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


@dataclass(frozen=True)
class CampFacts:
    name: str
    pitches_channel: str | None
    organisers: tuple[str, ...]  # Slack user ids
    organiser_usergroup: str | None
    grid_url: str


def _channel(channel: str | None) -> str:
    if not channel:
        return "the pitches channel"
    if _CHANNEL_ID.fullmatch(channel):
        return f"<#{channel}>"
    return escape(channel if channel.startswith("#") else "#" + channel)


def dm_help_text(camp: CampFacts | None) -> str:
    """A short, friendly help: pitch, vote, find your day, who runs it."""
    if camp is None:
        return (
            ":wave: Hi! I run the session grid of an unconference, but no camp is set up in this "
            "workspace yet. Ask whoever added me to Slack to set one up."
        )
    people = [f"<@{escape(u)}>" for u in camp.organisers]
    if camp.organiser_usergroup:
        people.append(f"<!subteam^{escape(camp.organiser_usergroup)}>")
    organisers = ", ".join(people) or "the people running the camp"
    return "\n".join([
        f":wave: Hi! I run the sessions of *{escape(camp.name)}*. I don't read messages here, "
        "but this is how it works:",
        "• *Pitch a session:* type `/pitch` (or `/pitch Your title`) in any channel, or press "
        "*Pitch a session* on my *Home* tab.",
        f"• *Vote:* press *I'm interested* on the pitch cards in {_channel(camp.pitches_channel)}; "
        "your votes and how many you have left are on my *Home* tab.",
        f"• *Find your day:* once the grid is out, my *Home* tab shows your sessions, I remind you "
        f"before each one, and the whole grid is at <{escape(camp.grid_url)}|the grid page>.",
        f"• *Questions?* Ask the organisers: {organisers}.",
    ])

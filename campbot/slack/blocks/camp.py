"""Replies to organiser commands: status, voting, paper pitch, merge."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from campbot.services.organising import EventStatus
from campbot.services.pitch_desk import MergeResult
from campbot.services.pitching import PitchCard
from campbot.services.replanning import RoomChange
from campbot.services.times import slot_times
from campbot.slack.escape import escape
from campbot.store.tables import Slot


def status_text(s: EventStatus, slack_problem: str | None = None) -> str:
    voting = "open" if s.voting_open else "closed"
    lines = [
        f"*{escape(s.name)}*",
        f"• Voting: *{voting}*. {s.voting_plan}",
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


def _times(slots: list[Slot], zone: ZoneInfo) -> str:
    return slot_times([s.key for s in slots], slots, zone)


def room_change_text(change: RoomChange, *, closed: bool, markup: bool = True) -> str:
    """The reply to `/camp close-room` / `open-room`, slots said as times ("13:00–13:45");
    `markup=False` for the terminal (`campbot replan --close-room`, the demo)."""
    zone = ZoneInfo(change.timezone)
    room = f"*{escape(change.room_name)}* (`{escape(change.room_key)}`)"
    if closed:
        text = (f"Closed {room} at {_times(change.changed, zone)}. The closure stays if the event file is "
                f"loaded again; `/camp open-room {escape(change.room_key)}` undoes it.")
    elif change.changed:
        text = f"Opened {room} again at {_times(change.changed, zone)}."
    else:
        text = f"{room} was not closed by an organiser at those times, so nothing changed."
    if change.started:
        text += f" {_times(change.started, zone)}: under way already, so left as it ran."
    if change.in_file:
        text += (f" Still closed at {_times(change.in_file, zone)}: the event file closes it then; change "
                 "`closed` in the file and load it again.")
    if change.changed:
        text += " Run `/camp replan` to move sessions accordingly."
    return text if markup else text.replace("*", "").replace("`", "")


def closure_kept_text(change: RoomChange) -> str:
    """`campbot event load`'s line for a room an organiser closed (`/camp close-room`, or
    `campbot replan --close-room`): the file did not reopen it (plain text, for the terminal)."""
    times = _times(change.changed, ZoneInfo(change.timezone))
    return (f"{change.room_name} ({change.room_key}) stays closed at {times}: an organiser closed it with "
            f"close-room; /camp open-room {change.room_key} reopens it.")

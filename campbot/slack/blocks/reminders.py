"""Messages for the time-driven posts: data in, Slack message (fallback text + blocks) out.

Pure functions: no database, no clock, no Slack. Every time shown to a person is written
in the event's own timezone (passed in as an IANA name), so "14:00" on the wall, in the
grid and in a reminder always agree, on a DST-change day too. Every piece of user text
(titles, host and room names) goes through `campbot.slack.escape.escape`, so a title such as
"<!channel> party" shows as typed and pings nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campbot.services.notices import SessionLine
from campbot.services.times import day_name, hhmm
from campbot.slack.escape import escape, truncate

SECTION_LIMIT = 3000  # Slack's limit on a section's text
MAX_BLOCKS = 50  # Slack's limit on blocks in one message
TITLE_LIMIT = 150


@dataclass(frozen=True)
class Message:
    """What `chat.postMessage` needs: `text` is the notification/fallback, `blocks` the body."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _header(raw: str) -> dict[str, Any]:
    """A header from raw text (escaped here, like every other text field; see campbot.slack.escape)."""
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(escape(raw), 150), "emoji": True}}


def _names(names: Iterable[str]) -> str:
    items = [escape(n) for n in names if n]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _title(line: SessionLine) -> str:
    return truncate(escape(line.title), TITLE_LIMIT)


def _session_line(line: SessionLine, timezone: str, *, with_time: bool = False, with_notes: bool = False) -> str:
    """"• *Title* — Room 2 (hosted by A and B)"; user text escaped, times in the event zone."""
    parts = [f"• *{_title(line)}* — {escape(line.room)}"]
    if with_time:
        parts.insert(0, f"• {hhmm(line.start, timezone)}–{hhmm(line.end, timezone)}")
        parts[1] = parts[1].removeprefix("• ")
    if line.hosts:
        parts.append(f"(hosted by {_names(line.hosts)})")
    if with_notes and line.notes_url:
        parts.append(f"<{escape(line.notes_url)}|notes>")
    return " ".join(parts)


def _sections(lines: Sequence[str], heading: str = "") -> list[dict[str, Any]]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    blocks: list[dict[str, Any]] = []
    current = heading
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT and current:
            blocks.append(_mrkdwn(current))
            candidate = line
        current = truncate(candidate, SECTION_LIMIT)
    if current:
        blocks.append(_mrkdwn(current))
    return blocks


def _cap(blocks: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """Never more blocks than Slack accepts: the tail is replaced by a pointer to the full grid."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - 1] + [_context(note)]


def up_next_post(*, event_name: str, slot_start: datetime, timezone: str, sessions: Sequence[SessionLine],
                 grid_url: str = "") -> Message:
    """The channel post N minutes before a slot: what starts, where."""
    at = hhmm(slot_start, timezone)
    lines = [_session_line(s, timezone) for s in sessions]  # in the caller's (room) order
    blocks = [_header(f"Up next at {at}"), *_sections(lines)]
    if grid_url:
        blocks.append(_context(f"{escape(event_name)} · <{escape(grid_url)}|the whole grid>"))
    text = f"Up next at {at}: {len(lines)} session{'s' if len(lines) != 1 else ''}"
    return Message(text=text, blocks=_cap(blocks, "More sessions on the grid page."))


def reminder_dm(*, event_name: str, slot_start: datetime, timezone: str, hosting: Sequence[SessionLine],
                attending: Sequence[SessionLine]) -> Message:
    """The personal DM before a slot: the session you host, and the ones you voted for.

    Several voted sessions can share a slot (a voter may like more than fits); all of them
    are listed so the person chooses on the spot.
    """
    at = hhmm(slot_start, timezone)
    blocks: list[dict[str, Any]] = []
    if hosting:
        lines = [f"• *{_title(s)}* in *{escape(s.room)}*, {hhmm(s.start, timezone)}–{hhmm(s.end, timezone)}"
                 for s in hosting]
        blocks += _sections(lines, f"You're hosting at {at}:")
    if attending:
        lines = [f"• *{_title(s)}* in *{escape(s.room)}*" + (f" (hosted by {_names(s.hosts)})" if s.hosts else "")
                 for s in attending]
        heading = "Sessions you're interested in:" if hosting else f"Starting at {at}, sessions you're interested in:"
        blocks += _sections(lines, heading)
        blocks.append(_context("Don't want these reminders? Switch them off on my Home tab."))
    if hosting:
        text = f"At {at} you're hosting {truncate(escape(hosting[0].title), 80)} in {escape(hosting[0].room)}"
    else:
        first = attending[0]
        more = f" (and {len(attending) - 1} more)" if len(attending) > 1 else ""
        text = f"At {at}: {truncate(escape(first.title), 80)} in {escape(first.room)}{more}"
    blocks.insert(0, _context(escape(event_name)))
    return Message(text=text, blocks=_cap(blocks, "More on the grid page."))


def voting_closing_post(*, event_name: str, closes_at: datetime, timezone: str, minutes_left: int) -> Message:
    """"Voting closes in 10 minutes": the nudge in the pitches channel."""
    at = hhmm(closes_at, timezone)
    text = f"Voting closes in {minutes_left} minutes, at {at}"
    return Message(text=text, blocks=[
        _mrkdwn(f":hourglass_flowing_sand: *Voting closes in {minutes_left} minutes*, at {at}. "
                "Press *I'm interested* on the sessions you want to go to."),
        _context(escape(event_name)),
    ])


def voting_opened_post(*, event_name: str, closes_at: datetime | None, timezone: str, quota: int) -> Message:
    """The event file's window opened voting: the news in the pitches channel."""
    until = f" until {day_name(closes_at, timezone)} at {hhmm(closes_at, timezone)}" if closes_at else ""
    text = f"Voting is open{until}"
    return Message(text=text, blocks=[
        _mrkdwn(f":ballot_box_with_ballot: *Voting is open*{until}. Press *I'm interested* on the sessions you "
                f"want to go to (up to {quota}); the grid is built from your votes."),
        _context(escape(event_name)),
    ])


def voting_ended_post(*, event_name: str, closed_at: datetime, timezone: str) -> Message:
    """The event file's window closed voting: the news in the pitches channel."""
    text = f"Voting closed at {hhmm(closed_at, timezone)}"
    return Message(text=text, blocks=[
        _mrkdwn(f":lock: *Voting closed* at {hhmm(closed_at, timezone)}. Thank you: the organisers are building "
                "the grid from your votes."),
        _context(escape(event_name)),
    ])


def closing_post(*, event_name: str, timezone: str, sessions: Sequence[SessionLine], hashtag: str = "") -> Message:
    """After the last slot: thanks, and where each session's notes go."""
    lines = [_session_line(s, timezone, with_time=True, with_notes=True)
             for s in sorted(sessions, key=lambda s: s.start)]  # stable: rooms stay in the caller's order
    tag = f" Tag posts with {escape(hashtag)}." if hashtag else ""
    blocks = [
        _header(f"That's a wrap: thank you for coming to {event_name}"),
        _mrkdwn("Please *share your notes* from the sessions you went to, so people who could not be there "
                f"can catch up.{tag}"),
        *_sections(lines),
    ]
    text = f"That's a wrap: please share your notes from {escape(event_name)}"
    return Message(text=text, blocks=_cap(blocks, "Notes links for every session are on the grid page."))

"""Block Kit for a published grid: the announcement, the changelog, the re-plan DM, card lines.

Pure builders: data in (a ResolvedGrid, lines of text), lists of dicts out. Everything a person
typed (titles, names) is escaped, so "<!channel>" in a title shows as typed and pings nobody.

The announcement is read on phones in a corridor: one section per slot with its time in bold,
then one line per session, room first ("*Library* · Title — Host"). Slack caps a message at 50
blocks and a section's text at 3,000 characters, so the grid is cut into several messages,
never mid-line, each well under both limits.
"""

from __future__ import annotations

from typing import Any

from campbot.services.grid_queries import GridEntry, ResolvedGrid
from campbot.services.times import slot_label
from campbot.slack.escape import escape, truncate

SECTION_CHARS = 2800  # under Slack's 3,000 per section text
MESSAGE_BLOCKS = 40  # under Slack's 50 per message
MESSAGE_CHARS = 11000  # keeps a part comfortably readable and well under the 40k text cap
TITLE_CHARS = 120

Blocks = list[dict[str, Any]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def entry_line(entry: GridEntry) -> str:
    """"*Library* · Title — Host A, Host B" (escaped; a double says so)."""
    line = f"*{escape(entry.room_name)}* · {escape(truncate(entry.title, TITLE_CHARS))}"
    if entry.hosts:
        line += f" — {escape(', '.join(entry.hosts))}"
    if len(entry.slot_keys) > 1:
        line += " _(double)_"
    return line


def slot_sections(grid: ResolvedGrid, *, empty_note: str = "_nothing on_") -> list[str]:
    """Section texts in slot order: "*Sat 11:00–11:45*" then one line per session starting then.

    A slot with more lines than fit in one section continues in the next ("(continued)")."""
    tz = grid.tz
    texts: list[str] = []
    for slot in grid.slots:
        lines = [entry_line(e) for e in grid.entries if e.slot_keys[0] == slot.key]
        running = [e for e in grid.entries if slot.key in e.slot_keys[1:]]
        lines += [f"_{escape(e.room_name)} · {escape(truncate(e.title, TITLE_CHARS))} continues_" for e in running]
        head = f"*{slot_label((slot.start, slot.end), tz)}*"
        chunk = head
        for line in lines or [empty_note]:
            if len(chunk) + 1 + len(line) > SECTION_CHARS:
                texts.append(chunk)
                chunk = f"{head} _(continued)_"
            chunk += "\n" + line
        texts.append(chunk)
    return texts


def _pack(header: str, sections: list[str], footer: str) -> list[Blocks]:
    """Cut sections into messages under the block and character limits."""
    parts: list[Blocks] = []
    current: Blocks = []
    size = 0
    for text in sections:
        if current and (len(current) + 2 > MESSAGE_BLOCKS or size + len(text) > MESSAGE_CHARS):
            parts.append(current)
            current, size = [], 0
        current.append(_section(text))
        size += len(text)
    if current or not parts:
        parts.append(current)
    total = len(parts)
    out: list[Blocks] = []
    for i, part in enumerate(parts, 1):
        suffix = f" (part {i} of {total})" if total > 1 else ""
        blocks: Blocks = [{"type": "header", "text": {"type": "plain_text",
                                                      "text": truncate(header, 150 - len(suffix)) + suffix}}]
        blocks += part
        if i == total and footer:
            blocks.append(_context(footer))
        out.append(blocks)
    return out


def grid_messages(grid: ResolvedGrid, *, changelog_hint: bool = False) -> list[tuple[str, Blocks]]:
    """The announcement of published version N: [(fallback text, blocks), ...] in posting order."""
    number = grid.number or 0
    header = f"{escape(grid.event_name)}: the grid (version {number})"
    footer = f"Version {number}. " + ("What changed is in the next message. " if changelog_hint else "") + \
        "Your own sessions are on the App Home."
    parts = _pack(header, slot_sections(grid), footer)
    total = len(parts)
    base = f"{escape(grid.event_name)}: the grid, version {number}"
    return [(base + (f" (part {i} of {total})" if total > 1 else ""), blocks) for i, blocks in enumerate(parts, 1)]


def changelog_message(event_name: str, number: int, changelog: list[str]) -> tuple[str, Blocks]:
    """"What changed in version N" with one line per move, addition or drop."""
    lines = [f"• {escape(line)}" for line in changelog] or ["• nothing moved"]
    texts: list[str] = []
    chunk = f"*What changed in version {number}*"
    for line in lines:
        if len(chunk) + 1 + len(line) > SECTION_CHARS:
            texts.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    texts.append(chunk)
    blocks: Blocks = [_section(t) for t in texts[: MESSAGE_BLOCKS - 1]]
    if len(texts) >= MESSAGE_BLOCKS:
        blocks.append(_context(f"…and more; {len(changelog)} changes in all."))
    text = f"{escape(event_name)}: the grid changed (version {number}), {len(changelog)} change(s)"
    return text, blocks


def replan_dm(event_name: str, number: int, items: list[tuple[str, str]]) -> tuple[str, Blocks]:
    """The DM to one person whose sessions changed: items are (role, changelog line),
    role "host" or "voter"."""
    lines = []
    for role, line in items:
        who = "Your session" if role == "host" else "A session you're interested in"
        lines.append(f"• {who}: {escape(line)}")
    body = "\n".join(lines)
    text = f"{escape(event_name)}: the grid changed (version {number}) and it affects you"
    blocks: Blocks = [
        _section(f"*The grid changed (version {number})*, and it touches your day:"),
        _section(truncate(body, SECTION_CHARS)),
        _context("Everything else you planned stays where it was. "
                 "The full grid is pinned in the announcements channel."),
    ]
    return text, blocks


def host_dm(event_name: str, sessions: list[tuple[str, str, str]]) -> tuple[str, Blocks]:
    """The DM each host gets when the first grid is published: sessions are (title, "Library,
    11:00–11:45", notes link or ""), raw text (escaped here)."""
    lines = []
    for title, where, notes in sessions:
        line = f"• Your session *{escape(title)}*: {escape(where)}"
        lines.append(line + (f", notes: {escape(notes)}" if notes else ""))
    text = f"{escape(event_name)}: the grid is out. " + "; ".join(
        f"Your session {escape(t)}: {escape(w)}" for t, w, _ in sessions)
    blocks: Blocks = [
        _section("*The grid is out*, and here is where you are hosting:"),
        _section(truncate("\n".join(lines), SECTION_CHARS)),
        _context("If it moves, you will get a message like this one. The full grid is pinned in the "
                 "announcements channel."),
    ]
    return truncate(text, 300), blocks

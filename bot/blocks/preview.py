"""Block Kit for the organisers' side of a solve: the progress message and the private preview.

The preview answers the three questions an organiser has before pressing Publish: how good is
it (coverage and seats short, beside the by-hand baseline), what is left out and why, and for a
re-plan what moves. The grid itself follows, one section per slot, as attendees will see it.
Pure builders; user text is escaped.
"""

from __future__ import annotations

from typing import Any

from bot.blocks import limits
from bot.blocks.common import button, confirm_dialog, context, divider, header, option, plain, section
from bot.blocks.grid import TITLE_CHARS, slot_sections
from bot.escape import escape, truncate
from bot.services.grid_queries import ResolvedGrid

PUBLISH_ACTION = "grid_publish"
RESOLVE_ACTION = "grid_resolve"
PIN_ACTION = "grid_pin_select"
EXCLUDE_ACTION = "grid_exclude_select"

Blocks = list[dict[str, Any]]

WHAT = {"solve": "solve", "replan": "re-plan"}


def _pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}%"


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}"


def bound_words(coverage: Any, bound: Any) -> str:
    """What the proven bound tells an organiser, or nothing when it tells them nothing.

    The solver gives None when its bound is trivial; 100% says nothing either. Otherwise the
    gap is the point: how much better any grid at all could possibly be."""
    if bound is None or coverage is None or float(bound) >= 99.95:
        return ""
    gap = max(0.0, float(bound) - float(coverage))
    if gap < 0.05:
        return "; proven the best possible"
    return f"; no grid can beat {float(bound):.1f}%, so this is within {gap:.1f} points of the best"


def figures_lines(figures: dict[str, Any]) -> list[str]:
    """The figures, each beside the by-hand baseline's: the lines the preview and the CLI show."""
    base = figures.get("baseline") or {}
    lines = [
        f"Coverage (wishes served): {_pct(figures.get('coverage'))} (by hand {_pct(base.get('coverage'))})"
        + bound_words(figures.get("coverage"), figures.get("bound")),
        f"Seats short: {_num(figures.get('seats_short'))} (by hand {_num(base.get('seats_short'))})",
        f"Sessions placed: {figures.get('scheduled', '–')} of {figures.get('sessions', '–')} "
        f"(by hand {base.get('scheduled', '–')})",
    ]
    if figures.get("kind") == "replan":
        frozen = ", ".join(figures.get("frozen_times") or figures.get("frozen") or []) or "none"
        lines.append(f"Moves: {figures.get('moves', 0)} (by hand {base.get('moves', '–')}); frozen slots: {frozen}")
    lines.append(f"Solver: {str(figures.get('status', '')).lower()} in {figures.get('seconds', '–')} s")
    return lines


def progress_blocks(kind: str, user: str, fraction: float, note: str, *, state: str = "running") -> Blocks:
    """The message in the organisers' channel that follows one run."""
    what = WHAT.get(kind, kind)
    if state == "running":
        filled = max(0, min(10, int(fraction * 10)))
        bar = "▓" * filled + "░" * (10 - filled)
        text = f":hourglass_flowing_sand: {what.capitalize()} for <@{escape(user)}>: {bar} {int(fraction * 100)}%"
        return [section(text), context(escape(note).strip() or "working…")]
    icon = ":white_check_mark:" if state == "done" else ":warning:"
    return [section(f"{icon} {what.capitalize()} for <@{escape(user)}>: {escape(note)}")]


def preview_blocks(grid: ResolvedGrid, figures: dict[str, Any], *, changes: list[str], seconds: float) -> Blocks:
    """The private preview of a draft grid, with Publish and Re-solve buttons."""
    kind = str(figures.get("kind") or "solve")
    blocks: Blocks = [
        header(f"Draft grid from a {WHAT.get(kind, kind)} (not published)"),
        section("\n".join(f"• {line}" for line in figures_lines(figures))),
    ]
    if kind == "solve" and figures.get("based_on"):
        blocks.append(context(":warning: This is a fresh solve, not a re-plan: sessions may move a lot and "
                              "everyone affected gets a DM. On the day, `/camp replan` keeps moves to a minimum."))
    if kind == "replan" or changes:
        based = figures.get("based_on")
        lines = [f"• {escape(c)}" for c in changes] or ["• nothing moves"]
        blocks.append(section(truncate(f"*Changes against version {based}:*\n" + "\n".join(lines),
                                       limits.SECTION_TEXT)))
    left = figures.get("left_out") or []
    if left:
        lines = [f"• #{x['pitch_id']} {escape(truncate(x['title'], TITLE_CHARS))}: {escape(x['reason'])}"
                 for x in left]
        blocks.append(section(truncate(f"*Left out ({len(left)}):*\n" + "\n".join(lines), limits.SECTION_TEXT)))
    else:
        blocks.append(section("*Left out:* nothing; every pitch has a place."))
    blocks.append(divider())
    room = limits.MESSAGE_BLOCKS - len(blocks) - 4
    sections = slot_sections(grid)
    blocks += [section(text) for text in sections[:room]]
    if len(sections) > room:
        blocks.append(context("The grid is too long to show here in full; `campbot export` writes all of it."))
    blocks.append(_tweaks(grid, left))
    number = (figures.get("based_on") or 0) + 1
    blocks.append({"type": "actions", "block_id": f"grid_preview:{grid.version_id}", "elements": [
        button(f"Publish as version {number}", PUBLISH_ACTION, str(grid.version_id), style="primary",
               confirm=confirm_dialog(
                   f"Publish version {number}?",
                   "The grid goes to the announcement channel, every pitch card shows its room and time"
                   + (", and only the people whose sessions change get a DM." if number > 1 else "."),
                   "Publish")),
        button("Re-solve", RESOLVE_ACTION, f"{kind}:{seconds:g}"),
    ]})
    return blocks


def _tweaks(grid: ResolvedGrid, left: list[dict[str, Any]]) -> dict[str, Any]:
    """Pin a session where this draft has it, or leave a pitch out; then Re-solve."""
    tz = grid.tz
    placed = [option(escape(f"#{e.pitch_id} {e.start.astimezone(tz):%H:%M} {e.room_name}: {e.title}"),
                     f"{grid.version_id}:{e.pitch_id}") for e in grid.entries][: limits.SELECT_OPTIONS]
    everyone = [(e.pitch_id, e.title) for e in grid.entries] + [(int(x["pitch_id"]), str(x["title"])) for x in left]
    out = [option(escape(f"#{pid} {title}"), str(pid)) for pid, title in sorted(everyone)][: limits.SELECT_OPTIONS]
    elements: list[dict[str, Any]] = []
    if placed:
        elements.append({"type": "static_select", "action_id": PIN_ACTION, "options": placed,
                         "placeholder": plain("Keep a session where it is (pin)…")})
    if out:
        elements.append({"type": "static_select", "action_id": EXCLUDE_ACTION, "options": out,
                         "placeholder": plain("Leave a pitch out…")})
    if not elements:
        return context("Nothing to pin or leave out.")
    return {"type": "actions", "block_id": f"grid_tweaks:{grid.version_id}", "elements": elements}


def failed_blocks(kind: str, error: str, seconds: float) -> Blocks:
    """What the organiser sees when a run failed: the reason in plain words and a way to retry."""
    return [
        section(f":warning: The {WHAT.get(kind, kind)} did not produce a grid: {escape(error)}"),
        {"type": "actions", "block_id": "grid_failed", "elements": [
            button("Try again", RESOLVE_ACTION, f"{kind}:{seconds:g}"),
        ]},
    ]

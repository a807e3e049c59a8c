"""Block Kit for the organisers' side of a solve: the progress message and the private preview.

The preview answers the three questions an organiser has before pressing Publish: how good is
it (coverage and seats short, beside the by-hand baseline), what is left out and why, and for a
re-plan what moves. The grid itself follows, one section per slot, as attendees will see it.
Pure builders; user text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from campbot.services.grid_queries import ResolvedGrid
from campbot.slack.blocks import limits
from campbot.slack.blocks.common import button, confirm_dialog, context, divider, header, option, plain, section
from campbot.slack.blocks.grid import TITLE_CHARS, slot_sections
from campbot.slack.escape import escape, truncate

PUBLISH_ACTION = "grid_publish"
PUBLISH_OTHER_ACTION = "grid_publish_seats"  # the room-for-everyone grid's Publish (ids are unique per block)
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


@dataclass(frozen=True)
class Alternative:
    """The run's room-for-everyone grid, shown as its figures and how it differs from the
    highest-coverage grid (which the preview shows in full)."""

    version_id: int
    figures: dict[str, Any]
    differences: list[str]  # lines, "moved: Title, Library 11:00 -> Main hall 11:00", ...


def short_figures(figures: dict[str, Any]) -> str:
    """"coverage 88.0%, seats short 7.0, 36 of 38 placed" (and moves for a re-plan)."""
    text = (f"coverage {_pct(figures.get('coverage'))}, seats short {_num(figures.get('seats_short'))}, "
            f"{figures.get('scheduled', '–')} of {figures.get('sessions', '–')} placed")
    if figures.get("kind") == "replan":
        text += f", {figures.get('moves', 0)} moves"
    return text


def beside_by_hand(figures: dict[str, Any], base: dict[str, Any]) -> str:
    """"coverage 88.0%, seats short 7.0, 36 of 38 placed (by hand: coverage 82.8%, ...)"."""
    hand = {**base, "sessions": figures.get("sessions"), "kind": figures.get("kind")}
    return f"{short_figures(figures)} (by hand: {short_figures(hand)})"


def choice_lines(figures: dict[str, Any], other: dict[str, Any] | None) -> list[str]:
    """The choice between the two grids in one or two lines, beside the by-hand grid: what the
    preview and `campbot solve --event` say below the highest-coverage grid's figures."""
    base = figures.get("baseline") or {}
    state = str(figures.get("room_for_everyone") or "")
    if other is not None:
        return [f"Room for everyone (no more people standing than by hand): {beside_by_hand(other, base)}"]
    if state == "same":
        return ["No separate room-for-everyone grid: this one leaves no more people standing than by hand "
                f"(seats short {_num(figures.get('seats_short'))}, by hand {_num(base.get('seats_short'))})."]
    if state.startswith("not made"):
        return [f"No room-for-everyone grid this time ({state.removeprefix('not made: ')}); "
                "Re-solve to try again."]
    return []


def preview_blocks(grid: ResolvedGrid, figures: dict[str, Any], *, changes: list[str], seconds: float,
                   alternative: Alternative | None = None) -> Blocks:
    """The private preview of a run: the highest-coverage grid in full, the room-for-everyone
    grid (when it differs) as its figures and differences, a Publish button for each, Re-solve."""
    kind = str(figures.get("kind") or "solve")
    title = (f"Two draft grids from a {WHAT.get(kind, kind)} (not published)" if alternative is not None
             else f"Draft grid from a {WHAT.get(kind, kind)} (not published)")
    lead = "*Highest coverage*" + (" (shown below)" if alternative is not None else "")
    blocks: Blocks = [
        header(title),
        section(lead + "\n" + "\n".join(f"• {line}" for line in figures_lines(figures))),
    ]
    choice = choice_lines(figures, alternative.figures if alternative is not None else None)
    if alternative is not None:
        lines = [f"• {escape(_as_difference(d))}" for d in alternative.differences] or ["• nothing: the same grid"]
        base = figures.get("baseline") or {}
        blocks.append(section(truncate(
            "*Room for everyone*: no more people standing than by hand\n"
            f"• {escape(beside_by_hand(alternative.figures, base))}\n*It differs from the grid below in "
            f"{len(alternative.differences)} session(s):*\n" + "\n".join(lines), limits.SECTION_TEXT)))
    elif choice:
        blocks.append(context(escape(choice[0])))
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
    what = ("The grid goes to the announcement channel, every pitch card shows its room and time"
            + (", and only the people whose sessions change get a DM." if number > 1 else "."))
    if alternative is None:
        publish = [button(f"Publish as version {number}", PUBLISH_ACTION, str(grid.version_id), style="primary",
                          confirm=confirm_dialog(f"Publish version {number}?", what, "Publish"))]
    else:
        publish = [
            button(f"Publish highest coverage as v{number}", PUBLISH_ACTION, str(grid.version_id), style="primary",
                   confirm=confirm_dialog(f"Publish highest coverage as v{number}?", what, "Publish")),
            button(f"Publish room for everyone as v{number}", PUBLISH_OTHER_ACTION, str(alternative.version_id),
                   confirm=confirm_dialog(f"Publish room for everyone as v{number}?", what, "Publish")),
        ]
    blocks.append({"type": "actions", "block_id": f"grid_preview:{grid.version_id}", "elements": [
        *publish, button("Re-solve", RESOLVE_ACTION, f"{kind}:{seconds:g}"),
    ]})
    return blocks


_AS_DIFFERENCE = {"added: ": "placed only here: ", "dropped: ": "left out here: "}


def _as_difference(line: str) -> str:
    """A changelog line (changelog.diff_grids) read as "how the other grid differs"."""
    for was, now in _AS_DIFFERENCE.items():
        if line.startswith(was):
            return now + line.removeprefix(was)
    return line


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

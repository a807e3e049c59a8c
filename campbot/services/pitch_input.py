"""What a host or an organiser typed for a pitch, checked: limits, field problems, tags, pitch
numbers and the `/camp paper` words. Pure functions, no database: the modal, the web form, the
paper form, the command line's import and the use cases in campbot.services.pitching all check
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from campbot.services.errors import ServiceError
from campbot.services.event_file import FEATURES
from campbot.services.text_checks import text_problem

FORMATS = ("discussion", "workshop", "show-and-tell", "demo")
NEEDS = tuple(f for f in FEATURES if f != "whiteboard")  # what a host can ask for in the modal
TITLE_MAX = 80
DESCRIPTION_MAX = 500
TAG_MAX = 30
TAGS_MAX = 8
HOST_NAME_MAX = 100
PAPER_VOTES_MAX = 2000
HOSTS_MAX = 6  # default of Settings.hosts_per_pitch: the submitter and five co-hosts


class InvalidPitch(ServiceError):
    """Field problems, keyed by field name, so a modal can show each under its input."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PitchInput:
    """What a host typed, before checking."""

    title: str
    description: str = ""
    cohost_user_ids: tuple[str, ...] = ()
    format: str = "discussion"
    length: int = 1
    needs: tuple[str, ...] = ()
    unavailable_slots: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma- (or newline-) separated tags, trimmed, lower-cased, a leading # dropped, de-duplicated."""
    out: dict[str, None] = {}
    for part in re.split(r"[,\n]", text or ""):
        tag = part.strip().lstrip("#").strip().lower()
        if tag:
            out[tag] = None
    return tuple(out)


def title_error(title: str) -> str | None:
    """What is wrong with a pitch title (modal, paper form and `/camp paper` alike), or None."""
    text = title.strip()
    if not text:
        return "Give the session a title."
    if len(text) > TITLE_MAX:
        return f"Keep the title to {TITLE_MAX} characters (it is {len(text)})."
    return text_problem(text, "title", required=True)


def description_error(description: str) -> str | None:
    text = description.strip()
    if len(text) > DESCRIPTION_MAX:
        return f"Keep the description to {DESCRIPTION_MAX} characters (it is {len(text)})."
    return text_problem(text, "description", multiline=True)


def check_pitch(
    data: PitchInput, slot_keys: Iterable[str], *, user_id: str | None = None, max_hosts: int = HOSTS_MAX
) -> dict[str, str]:
    """Every problem with the input, by field, with the fix in the words (empty when fine)."""
    errors: dict[str, str] = {}
    for name, problem in (("title", title_error(data.title)), ("description", description_error(data.description))):
        if problem is not None:
            errors[name] = problem
    if data.format not in FORMATS:
        errors["format"] = "Choose a format: " + ", ".join(FORMATS) + "."
    if data.length not in (1, 2):
        errors["length"] = "Choose one slot or a double."
    bad_needs = [n for n in data.needs if n not in NEEDS]
    if bad_needs:
        errors["needs"] = "Choose needs from the list."
    slots = set(slot_keys)
    bad_slots = [s for s in data.unavailable_slots if s not in slots]
    if bad_slots:
        errors["unavailable"] = "Choose slots from the list."
    elif slots and set(data.unavailable_slots) >= slots:
        errors["unavailable"] = "You can't make any slot, so the session can't be placed; untick at least one."
    if len(data.tags) > TAGS_MAX:
        errors["tags"] = f"Use at most {TAGS_MAX} tags."
    elif any(len(t) > TAG_MAX for t in data.tags):
        errors["tags"] = f"Keep each tag to {TAG_MAX} characters; separate tags with commas."
    elif (tag_problem := next((p for t in data.tags if (p := text_problem(t, "tag")) is not None), None)) is not None:
        errors["tags"] = tag_problem
    if len(set(data.cohost_user_ids) - {user_id}) > max_hosts - 1:
        errors["cohosts"] = f"A session can have at most {max_hosts} hosts: you and {max_hosts - 1} co-hosts."
    return errors


def check_paper_pitch(
    title: str, host_names: list[str], paper_votes: int, description: str, *, max_hosts: int = HOSTS_MAX
) -> dict[str, str]:
    """The paper-pitch twin of check_pitch: the same title and description rules, plus hosts by name."""
    errors: dict[str, str] = {}
    for name, problem in (("title", title_error(title)), ("description", description_error(description))):
        if problem is not None:
            errors[name] = problem
    if not host_names:
        errors["hosts"] = "Name at least one host."
    elif len(host_names) > max_hosts:
        errors["hosts"] = f"A session can have at most {max_hosts} hosts; this names {len(host_names)}."
    elif any(len(n) > HOST_NAME_MAX for n in host_names):
        errors["hosts"] = f"Keep each host's name to {HOST_NAME_MAX} characters."
    elif (problem := next((p for n in host_names if (p := text_problem(n, "host name", required=True))), None)):
        errors["hosts"] = problem
    if not 0 <= paper_votes <= PAPER_VOTES_MAX:
        errors["votes"] = f"The show of hands is a count from 0 to {PAPER_VOTES_MAX}."
    return errors


def parse_pitch_ref(text: str) -> int:
    """'#12' or '12' -> 12, with a fix in the message otherwise."""
    m = re.fullmatch(r"#?(\d{1,9})", text.strip())
    if not m:
        raise ServiceError(f"'{text}' is not a pitch number; use the number on the card, like #12.")
    return int(m.group(1))


@dataclass(frozen=True)
class PaperCommand:
    title: str
    hosts: list[str] = field(default_factory=list)
    votes: int = 0


PAPER_USAGE = 'paper "Session title" by Name, Other Name votes 12'


def parse_paper_command(text: str) -> PaperCommand:
    """Read `"Title" by Name, Name votes N` (straight or curly quotes; `votes N` optional)."""
    norm = text.replace("“", '"').replace("”", '"').strip()
    m = re.fullmatch(
        r'"(?P<title>[^"]+)"\s+by\s+(?P<hosts>.+?)(?:\s+votes?\s+(?P<votes>-?\d+))?\s*',
        norm,
        flags=re.IGNORECASE | re.DOTALL,
    )
    if not m:
        raise ServiceError(f"I couldn't read that. Use: `/camp {PAPER_USAGE}`")
    hosts = [h.strip() for h in re.split(r",|\band\b|&", m.group("hosts")) if h.strip()]
    return PaperCommand(title=m.group("title").strip(), hosts=hosts, votes=int(m.group("votes") or 0))


# --------------------------------------------------------------------------- a host named by Person id
# The web face's attendees (campbot.services.attendees.voter_person_id) are people with or
# without a Slack id. These are the Slack entry points above for a host named by Person id:
# the same checks (`_checked`, so the same field errors word for word), the same limit on
# pitches per person, the same hosts-only rule. Co-hosts are not chosen on the web (it has no
# way to pick a Slack user), so an edit keeps the pitch's hosts as they are.

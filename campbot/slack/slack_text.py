"""Reading what people type into Slack: entities decoded once, mentions understood.

Slack sends the text of a slash command (and of a message event) with `&`, `<` and `>` typed
by the person escaped as `&amp;`, `&lt;` and `&gt;`; a literal `<...>` is always Slack's own
markup: a mention of a person `<@U123|name>` (or `<@U123>`), a channel `<#C123|name>`, a user
group `<!subteam^S123|@name>`, a special mention `<!here>`, a date `<!date^…|fallback>` or a
link `<https://…|label>`. The mentions arrive as tokens when the command has
`should_escape: true` in app.yaml; with `false` they arrive as the plain text `@name`.

So the text is split into tokens and plain runs FIRST (a person typing `&lt;@U1&gt;` must not
become a mention), and only the plain runs and the tokens' labels are decoded, once. This is
the edge: listeners call `parse` on what Slack sent and hand the decoded text on; nothing
after that decodes again (the output side escapes again with campbot.slack.escape, once).

Pure functions, no I/O: unit-tested in tests/slack/test_slack_text.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

RefKind = Literal["user", "channel", "usergroup", "special", "link"]

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_TOKEN = re.compile(r"<([^<>]*)>")
# A person's Slack id typed in as text: U… (W… on Enterprise Grid), capitals and digits.
USER_ID = re.compile(r"[UW](?=[A-Z0-9]*[0-9])[A-Z0-9]{5,}")
_SPECIAL_WORDS = {"here", "channel", "everyone"}


def decode_entities(text: str) -> str:
    """`&amp;` `&lt;` `&gt;` back to `&` `<` `>`, in one pass (so `&amp;lt;` becomes `&lt;`,
    exactly what the person typed); nothing else is touched."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


@dataclass(frozen=True)
class Ref:
    """One Slack markup token: who or what it points at, and the label Slack sent with it."""

    kind: RefKind
    id: str  # U…/W…, C…/G…, S…, here/channel/everyone/date, or the URL
    label: str = ""  # decoded; for user groups without the leading "@"

    @property
    def readable(self) -> str:
        """How a person would write it: `@name`, `#channel`, `@group`, `@here`, the link text."""
        match self.kind:
            case "user":
                return "@" + (self.label or self.id)
            case "channel":
                return "#" + (self.label or self.id)
            case "usergroup":
                return "@" + (self.label or self.id)
            case "special":
                return self.label or "@" + self.id
            case _:
                return self.label or self.id


def _ref(content: str, escaped: bool) -> Ref:
    body, _, label = content.partition("|")
    if escaped:
        body, label = decode_entities(body), decode_entities(label)
    if body.startswith("@"):
        return Ref("user", body[1:], label)
    if body.startswith("#"):
        return Ref("channel", body[1:], label)
    if body.startswith("!subteam^"):
        return Ref("usergroup", body.removeprefix("!subteam^"), label.removeprefix("@"))
    if body.startswith("!"):
        word = body[1:].split("^", 1)[0]
        return Ref("special", word, label if word not in _SPECIAL_WORDS else "@" + word)
    return Ref("link", body, label)


@dataclass(frozen=True)
class SlackText:
    """Text from Slack, split into plain (decoded) runs and tokens, in order."""

    parts: tuple[str | Ref, ...]

    @property
    def plain(self) -> str:
        """The text as the person meant it: entities decoded, tokens written out readably."""
        return "".join(p if isinstance(p, str) else p.readable for p in self.parts).strip()

    @property
    def refs(self) -> list[Ref]:
        return [p for p in self.parts if isinstance(p, Ref)]

    def unlabelled_users(self) -> list[str]:
        return [r.id for r in self.refs if r.kind == "user" and not r.label]

    def with_user_names(self, name_of: Callable[[str], str | None]) -> SlackText:
        """The same text with labels filled in for `<@U123>` mentions Slack sent without one."""
        parts = tuple(
            replace(p, label=name_of(p.id) or "") if isinstance(p, Ref) and p.kind == "user" and not p.label else p
            for p in self.parts
        )
        return replace(self, parts=parts)

    def split_first_word(self) -> tuple[str, SlackText]:
        """(first word of the plain text, lower-cased; the rest, still parsed): a subcommand
        name and its arguments."""
        parts = list(self.parts)
        while parts and isinstance(parts[0], str) and not parts[0].strip():
            parts.pop(0)
        if not parts:
            return "", SlackText(())
        head = parts[0]
        if isinstance(head, Ref):
            return head.readable.lower(), SlackText(tuple(parts[1:]))
        m = re.match(r"\s*(\S+)(.*)", head, flags=re.DOTALL)
        assert m is not None  # head has a non-space character
        rest = (m.group(2),) if m.group(2) else ()
        return m.group(1).lower(), SlackText(rest + tuple(parts[1:]))


def parse(raw: str | None, *, escaped: bool = True) -> SlackText:
    """Split Slack text into plain runs and tokens. `escaped=False` for text that never went
    through Slack's escaping (a command-line argument): tokens are still read, nothing decoded."""
    text = raw or ""
    parts: list[str | Ref] = []
    at = 0
    for m in _TOKEN.finditer(text):
        if m.start() > at:
            chunk = text[at : m.start()]
            parts.append(decode_entities(chunk) if escaped else chunk)
        parts.append(_ref(m.group(1), escaped))
        at = m.end()
    if at < len(text):
        parts.append(decode_entities(text[at:]) if escaped else text[at:])
    return SlackText(tuple(parts))


@dataclass(frozen=True)
class PersonRef:
    """Someone named in a command: by Slack id (a mention, or an id typed in) and/or by name."""

    user_id: str | None
    name: str  # the label or the typed name, without a leading "@"; "" when only an id is known

    @property
    def shown(self) -> str:
        """What to call them in a reply when nothing better is known: never a raw token."""
        return self.name or "that person"


def person_ref(text: SlackText) -> PersonRef | None:
    """Who a command's argument names: one user mention (`<@U1|sam>`, `<@U1>`), or a plain
    name (`Sam Jones`, `@sam`), or a Slack id typed in (`U0123ABC`). None when it is empty."""
    meaningful = [p for p in text.parts if not (isinstance(p, str) and not p.strip())]
    if len(meaningful) == 1 and isinstance(meaningful[0], Ref) and meaningful[0].kind == "user":
        ref = meaningful[0]
        return PersonRef(ref.id, ref.label.removeprefix("@").strip())
    plain = " ".join(text.plain.split())
    name = plain.removeprefix("@").strip()
    if not name:
        return None
    if USER_ID.fullmatch(name):
        return PersonRef(name, name)  # an id, or a name that looks like one: both are tried
    return PersonRef(None, name)

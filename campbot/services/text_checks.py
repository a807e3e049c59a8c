"""Checks on the text people type, made before anything is saved, with the fix in the words.

Some text can never be saved or shown, whatever the retry: a lone UTF-16 surrogate cannot be
encoded at all, PostgreSQL refuses a NUL byte (SQLite stores it and Slack then shows it as
garbage), and other control characters make cards and exports misbehave. Some text can be
saved but shows nothing: a title made only of zero-width or direction marks is an invisible
pitch. Each gets a message naming the character (its code point and position) to remove.

Also here: reading a small whole number that a person typed, refusing (not crashing on)
"99999999999999999999" or a superscript digit that `str.isdigit` accepts but `int` does not.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that look like nothing although Unicode does not call them format/space marks.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_ALLOWED_CONTROLS_MULTILINE = frozenset("\n\t\r")
_ASCII_NUMBER = re.compile(r"[0-9]{1,18}")


def describe(char: str) -> str:
    """`U+200B (ZERO WIDTH SPACE)`: what a person can search for in their text."""
    name = unicodedata.name(char, "")
    if not name and 0xD800 <= ord(char) <= 0xDFFF:
        name = "broken surrogate half"
    elif not name and unicodedata.category(char) == "Cc":
        name = "NUL" if char == "\0" else "control character"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def unsavable_character(text: str, *, multiline: bool = False) -> str | None:
    """The problem with the first character that cannot be stored or shown, else None.

    Refused: lone surrogates, NUL and other C0/C1 control characters (newlines and tabs
    are fine in multi-line fields such as a description)."""
    for position, char in enumerate(text, start=1):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return f"remove the broken character {describe(char)} at position {position}"
        if unicodedata.category(char) == "Cc" and not (multiline and char in _ALLOWED_CONTROLS_MULTILINE):
            return f"remove the control character {describe(char)} at position {position}"
    return None


def is_visible(char: str) -> bool:
    return char not in _BLANK_LOOKING and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def invisible(text: str) -> bool:
    """True when the text would show as nothing: only spaces, zero-width or direction marks."""
    return not any(is_visible(c) for c in text)


def text_problem(text: str, field: str, *, multiline: bool = False, required: bool = False) -> str | None:
    """One sentence on what is wrong with `text` for `field`, or None. `required` fields must
    show something visible."""
    problem = unsavable_character(text, multiline=multiline)
    if problem is not None:
        return f"The {field} has a character that can't be saved: {problem}."
    if required and text.strip() and invisible(text):
        return (
            f"The {field} shows nothing: it has only invisible characters "
            "(zero-width or direction marks). Type some words."
        )
    return None


def small_number(text: str, *, most: int) -> int | None:
    """A whole number 0..`most` typed in plain digits (a leading # allowed), else None."""
    digits = text.strip().lstrip("#")
    if not _ASCII_NUMBER.fullmatch(digits):
        return None
    value = int(digits)
    return value if value <= most else None

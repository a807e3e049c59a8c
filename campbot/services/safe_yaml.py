"""Reading the YAML (or JSON) files organisers write, refusing what would load wrongly or crash.

PyYAML's safe loader is safe from code execution, not from surprises:

* a key given twice keeps the last value silently (a second `rooms:` replaces seven rooms
  with one): refused here, naming both lines;
* nesting thousands deep ends in RecursionError (a traceback): refused past MAX_DEPTH levels,
  with the line;
* anchors and aliases can expand a small file into billions of nodes: refused past
  MAX_ALIASES uses;
* bytes that are not UTF-8 (a file saved as latin-1 / Windows-1252): refused with the line and
  the byte, and how to save it as UTF-8;
* text that can never be stored (NUL and other control characters, lone surrogates) anywhere
  in a key or value: refused with its place.

Every refusal is a YamlFileError whose message is plain words for the person with the editor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from campbot.services.text_checks import unsavable_character

MAX_DEPTH = 40  # an event file needs 4 levels; JSON exports a few more
MAX_ALIASES = 100
MAX_FILE_BYTES = 2 * 1024 * 1024


class YamlFileError(ValueError):
    """A file that cannot be read as intended; the message says where and how to fix it."""


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, mark: Any = None):
        super().__init__(message)
        self.message, self.mark = message, mark


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name); write the values out",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep; an event file needs only a few",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
                if key is None or not isinstance(key, str | int | float | bool):
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _Refused(f"the key {key!r} is given twice (lines {seen[key]} and {line}); "
                                   "keep one (a second one would silently replace the first)", key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _check_text(value: Any, path: str, problems: list[str]) -> None:
    """Every string (keys too) must be storable; collects `path: problem` lines."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack and len(problems) < 10:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = unsavable_character(item, multiline=True)
            if problem is not None:
                problems.append(f"{where or 'file'}: {problem}")
        elif isinstance(item, dict):
            for k, v in item.items():
                key = str(k)
                stack.append((key, f"{where}.{key}" if where else key))
                stack.append((v, f"{where}.{key}" if where else key))
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


def load_yaml_text(text: str, source: str) -> Any:
    """Parse `text` (YAML or JSON) strictly; YamlFileError with the place and the fix."""
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except _Refused as exc:
        raise YamlFileError(f"{source}: cannot load{_where(exc.mark)}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlFileError(f"{source}: not valid YAML{_where(mark)}: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:  # a backstop: the depth check above should come first
        raise YamlFileError(f"{source}: nested too deeply; an event file needs only a few levels") from None
    problems: list[str] = []
    _check_text(raw, "", problems)
    if problems:
        raise YamlFileError(f"{source}: cannot load, nothing was changed:\n" + "\n".join(f"  {p}" for p in problems))
    return raw


def read_text_file(path: Path) -> str:
    """The file as text: UTF-8 (a BOM is fine), else YamlFileError naming the line and byte."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlFileError(f"{path}: the file is {size // 1024} KB; an event or pitch file is a few KB")
        data = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlFileError(
            f"{path}: the file is not UTF-8 text (byte 0x{data[exc.start]:02X} at line {line}, column {column}); "
            "it was probably saved as Latin-1 or Windows-1252. Save it as UTF-8 in your editor and load it again."
        ) from None

"""The Jinja2 templates of the web face, for pages made outside a web request.

The attendee pages are rendered by Flask (campbot.web.app) from this same folder; the grid page
is also written to files (the demo, `campbot grid export`) and rendered by the export app
without Flask, so it gets this environment: the same folder, autoescape on for every template
(user text is never trusted), and StrictUndefined so a misspelt name fails a test instead of
printing nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

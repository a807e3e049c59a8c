"""Slugs: one spelling of a title in URLs, ids and notes links, shared by every face and export
(a session's notes link in a reminder must match the one on the grid page)."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, *, max_length: int = 60) -> str:
    """A lowercase ASCII slug ("Café & culture!" -> "cafe-culture") for URLs and ids."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")

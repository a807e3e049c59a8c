"""The words of the pitch form, one set for every face.

The Slack modal and the web form ask for the same fields with the same labels and choices,
so an attendee who pitches on the web and one who pitches in Slack read the same form, and
the field errors (campbot.services.pitch_input.check_pitch, keyed by these field names) land
beside the same question.
"""

from __future__ import annotations

FIELD_LABELS = {
    "title": "Session title",
    "description": "Short description",
    "cohosts": "Co-hosts",
    "format": "Format",
    "length": "Length",
    "needs": "Needs",
    "unavailable": "Slots you (and co-hosts) can't make",
    "tags": "Topic tags",
}
FORMAT_LABELS = {"discussion": "Discussion", "workshop": "Workshop", "show-and-tell": "Show and tell", "demo": "Demo"}
LENGTH_LABELS = {1: "One slot", 2: "Double (two slots back to back)"}
NEED_LABELS = {
    "step_free": "Step-free access",
    "projector": "Projector or screen",
    "hearing_loop": "Hearing loop",
    "quiet": "Quiet room",
}
TITLE_PLACEHOLDER = "e.g. Making council websites accessible"
DESCRIPTION_PLACEHOLDER = "What will you talk about, and who is it for?"
UNAVAILABLE_HINT = "Leave empty if you can make any time."
TAGS_HINT = "Separate tags with commas."

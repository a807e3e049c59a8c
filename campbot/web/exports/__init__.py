"""Renderers for the published grid: HTML, iCal, CSV, JSON and frab schedule JSON.

Pure functions, data in and text out: they take a :class:`GridView` (a frozen snapshot
of one published version) and never touch the database or Slack.  ``make_export_app``
wraps them in a read-only Flask app (mounted by campbot.web.app under /grid, /ical, /data).
"""

from campbot.web.exports.csv_export import GRID_HEADER, render_grid_csv, render_pitches_csv
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.grid_view import GridView, PitchListItem, ViewRoom, ViewSession, ViewSlot
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import event_uid, render_event_ical, render_person_ical
from campbot.web.exports.json_export import render_grid_json, render_pitches_json
from campbot.web.exports.wsgi import make_export_app

__all__ = [
    "GRID_HEADER",
    "GridView",
    "PitchListItem",
    "ViewRoom",
    "ViewSession",
    "ViewSlot",
    "event_uid",
    "make_export_app",
    "render_event_ical",
    "render_frab_json",
    "render_grid_csv",
    "render_grid_html",
    "render_grid_json",
    "render_person_ical",
    "render_pitches_csv",
    "render_pitches_json",
]

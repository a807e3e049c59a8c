"""`campbot export`: the published grid written as files, one per format.

The face's choice of renderers for each format name (the command line and the demo call it);
the data comes from campbot.services.exporting, which returns it and renders nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.exporting import published_export
from campbot.web.exports.csv_export import render_grid_csv, render_pitches_csv
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import render_event_ical
from campbot.web.exports.json_export import render_grid_json, render_pitches_json

FORMATS: dict[str, str] = {
    "html": "grid.html",
    "ical": "event.ics",
    "csv": "grid.csv",
    "json": "grid.json",
    "frab": "schedule.json",
    "pitches": "pitches.json",
    "pitches-csv": "pitches.csv",
}


def export_files(ctx: AppContext, event_id: int, out_dir: Path, formats: list[str] | None = None,
                 *, number: int | None = None) -> list[Path]:
    """Write the published grid (and the pitch list) in the asked formats; returns the paths.
    Nothing is written when there is no published grid or a format is unknown."""
    view, pitches = published_export(ctx, event_id, number)
    unknown = [f for f in formats or [] if f not in FORMATS]
    if unknown:
        raise NotFound(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    renderers: dict[str, Callable[[], str | bytes]] = {
        "html": lambda: render_grid_html(view),
        "ical": lambda: render_event_ical(view),
        "csv": lambda: render_grid_csv(view),
        "json": lambda: render_grid_json(view),
        "frab": lambda: render_frab_json(view),
        "pitches": lambda: render_pitches_json(pitches),
        "pitches-csv": lambda: render_pitches_csv(pitches),
    }
    written = []
    for fmt in formats or list(FORMATS):
        path = out_dir / FORMATS[fmt]
        content = renderers[fmt]()
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written

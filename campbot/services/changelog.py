"""What changed between two versions of the grid: the changelog a publish stores and posts, the
lines a re-plan's preview shows, and the sessions whose hosts and voters are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.grid_queries import ResolvedGrid, resolve_grid
from campbot.services.problem_builder import latest_published
from campbot.store.db import session_scope
from campbot.store.tables import GridVersion


@dataclass(frozen=True)
class Change:
    pitch_id: int
    kind: str  # moved | added | dropped
    line: str  # "moved: Title, Main hall 11:00 -> Library 14:00"


def diff_grids(previous: ResolvedGrid | None, current: ResolvedGrid) -> list[Change]:
    """What moved, was added or was dropped between two grids, in time order."""
    tz = current.tz
    before = previous.by_pitch() if previous is not None else {}
    after = current.by_pitch()
    changes: list[tuple[Any, Change]] = []
    for pid, now in after.items():
        was = before.get(pid)
        if was is None:
            if previous is not None:
                changes.append((now.start, Change(pid, "added", f"added: {now.title}, {now.where_when(tz)}")))
        elif (was.room_key, was.slot_keys) != (now.room_key, now.slot_keys):
            changes.append((now.start, Change(
                pid, "moved", f"moved: {now.title}, {was.where_when(tz)} -> {now.where_when(tz)}")))
    for pid, was in before.items():
        if pid not in after:
            changes.append((was.start, Change(pid, "dropped", f"dropped: {was.title}, was {was.where_when(tz)}")))
    changes.sort(key=lambda c: (c[0], c[1].kind, c[1].pitch_id))
    return [c for _, c in changes]


def draft_changes(ctx: AppContext, grid_version_id: int) -> list[str]:
    """The changelog a draft would have if published now (empty when nothing is published)."""
    with session_scope(ctx.engine) as db:
        version = db.get(GridVersion, grid_version_id)
        if version is None:
            raise NotFound("That grid no longer exists; run /camp solve again.")
        previous = latest_published(db, version.event_id)
        if previous is None or previous.id is None or previous.id == grid_version_id:
            return []
        return [c.line for c in diff_grids(resolve_grid(db, previous.id), resolve_grid(db, grid_version_id))]

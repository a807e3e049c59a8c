"""Reading grids back: one resolved row per placed session, for previews, posts, DMs and exports.

Resolving a GridVersion's Placement rows into titles, room names, local times and host names
happens here once, so the preview, the announcement, the changelog and the exports can never
disagree about where a session is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.problem_builder import latest_published
from campbot.services.times import placement_words
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Person, Pitch, PitchHost, Placement, Room, Slot


@dataclass(frozen=True)
class GridEntry:
    """One placed session, resolved. Text fields are raw user text: escape when rendering."""

    pitch_id: int
    title: str
    hosts: tuple[str, ...]  # display names
    host_user_ids: tuple[str, ...]  # Slack ids of hosts on Slack
    room_key: str
    room_name: str
    room_position: int
    slot_keys: tuple[str, ...]  # one, or two for a double
    start: datetime
    end: datetime

    def where_when(self, tz: ZoneInfo) -> str:
        """"Main hall 11:00" – the words a changelog and a card use."""
        return f"{self.room_name} {self.start.astimezone(tz):%H:%M}"


@dataclass(frozen=True)
class SlotInfo:
    key: str
    start: datetime
    end: datetime
    block: str


@dataclass(frozen=True)
class ResolvedGrid:
    event_id: int
    event_name: str
    timezone: str
    version_id: int
    number: int | None
    status: str
    slots: tuple[SlotInfo, ...]
    entries: tuple[GridEntry, ...]  # by start, then room order

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def by_pitch(self) -> dict[int, GridEntry]:
        return {e.pitch_id: e for e in self.entries}


def resolve_grid(db: Session, grid_version_id: int) -> ResolvedGrid:
    version = db.get(GridVersion, grid_version_id)
    if version is None:
        raise NotFound("That grid no longer exists; run /camp solve again.")
    event = db.get(Event, version.event_id)
    assert event is not None and version.id is not None
    rooms = {r.id: r for r in db.exec(select(Room).where(Room.event_id == event.id))}
    slots = list(db.exec(select(Slot).where(Slot.event_id == event.id).order_by(col(Slot.start), col(Slot.id))))
    slot_index = {s.id: i for i, s in enumerate(slots)}
    placements = list(db.exec(select(Placement).where(Placement.grid_version_id == version.id)))
    pitch_ids = [p.pitch_id for p in placements]
    pitches = {p.id: p for p in db.exec(select(Pitch).where(col(Pitch.id).in_(pitch_ids)))}
    hosts: dict[int, list[Person]] = defaultdict(list)
    rows = db.exec(
        select(PitchHost.pitch_id, Person)
        .join(Person, col(Person.id) == PitchHost.person_id)
        .where(col(PitchHost.pitch_id).in_(pitch_ids))
        .order_by(col(Person.id))
    )
    for pid, person in rows:
        hosts[pid].append(person)
    entries = []
    for pl in placements:
        pitch, room = pitches[pl.pitch_id], rooms[pl.room_id]
        first = slot_index[pl.slot_id]
        span = slots[first:first + max(1, pl.length)]
        people = hosts.get(pl.pitch_id, [])
        entries.append(GridEntry(
            pitch_id=pl.pitch_id, title=pitch.title,
            hosts=tuple(p.display_name for p in people if p.display_name),
            host_user_ids=tuple(p.slack_user_id for p in people if p.slack_user_id),
            room_key=room.key, room_name=room.name, room_position=room.position,
            slot_keys=tuple(s.key for s in span), start=span[0].start, end=span[-1].end,
        ))
    entries.sort(key=lambda e: (e.start, e.room_position, e.room_key, e.pitch_id))
    return ResolvedGrid(
        event_id=event.id or 0, event_name=event.name, timezone=event.timezone, version_id=version.id,
        number=version.number, status=version.status,
        slots=tuple(SlotInfo(s.key, s.start, s.end, s.block) for s in slots), entries=tuple(entries),
    )


def load_grid(ctx: AppContext, grid_version_id: int) -> ResolvedGrid:
    with session_scope(ctx.engine) as db:
        return resolve_grid(db, grid_version_id)


def published_grid(ctx: AppContext, event_id: int) -> ResolvedGrid | None:
    """The grid people currently go by (the highest published number), or None."""
    with session_scope(ctx.engine) as db:
        version = latest_published(db, event_id)
        return resolve_grid(db, version.id) if version is not None and version.id is not None else None


def grid_version(ctx: AppContext, grid_version_id: int) -> GridVersion:
    with session_scope(ctx.engine) as db:
        version = db.get(GridVersion, grid_version_id)
    if version is None:
        raise NotFound("That grid no longer exists; run /camp solve again.")
    return version


def placement_text(ctx: AppContext, pitch_id: int) -> str | None:
    """Where and when a pitch runs in the grid people go by, for its card ("Main hall, Sat
    11:00–11:45 (grid version 2)"), "Not in the grid" for an active pitch left out, or None
    before any grid is published. Registered as the pitch cards' placement provider."""
    with session_scope(ctx.engine) as db:
        pitch = db.get(Pitch, pitch_id)
        if pitch is None:
            return None
        version = latest_published(db, pitch.event_id)
        if version is None or version.id is None:
            return None
        grid = resolve_grid(db, version.id)
    entry = grid.by_pitch().get(pitch_id)
    if entry is None and pitch.status != "active":
        return None
    return placement_words(entry, grid.tz, grid.number or 0)


def latest_draft(ctx: AppContext, event_id: int, *, run_id: int | None = None,
                 objective: str = "coverage") -> GridVersion:
    """The draft an organiser means by "publish": from solve run `run_id`, else from the newest
    run since the last publication; of that run's grids, the one made for `objective`
    ("coverage", the default, or "seats": room for everyone). NotFound (with the fix) when
    there is none."""
    with session_scope(ctx.engine) as db:
        query = select(GridVersion).where(GridVersion.event_id == event_id)
        if run_id is not None:
            found = db.exec(query.where(GridVersion.solve_run_id == run_id).order_by(col(GridVersion.id))).first()
            if found is None:
                raise NotFound(f"Solve run {run_id} left no grid (it failed or is still running).")
        else:
            published = latest_published(db, event_id)
            drafts = query.where(GridVersion.status == "draft")
            if published is not None:
                drafts = drafts.where(col(GridVersion.id) > published.id)
            found = db.exec(drafts.order_by(col(GridVersion.id).desc())).first()
            if found is None:
                raise NotFound("There is no new draft grid to publish; run /camp solve (or campbot solve) first.")
        if found.solve_run_id is None:
            return found
        siblings = db.exec(query.where(GridVersion.solve_run_id == found.solve_run_id).order_by(col(GridVersion.id)))
        for version in siblings:
            if (version.figures or {}).get("objective", "coverage") == objective:
                return version
    if objective == "coverage":
        return found
    raise NotFound("That solve made no separate room-for-everyone grid (its highest-coverage grid already "
                   "seats everyone as well as by hand, or the second grid could not be made); publish it as it is.")

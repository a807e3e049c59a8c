"""The published grid, read from the database as the exports' data (campbot.services.public_grid).

Only published versions are shown off Slack: a draft from a solve is the organisers' to
look at, not the public's. Host display names are the only personal data that leave.
Rendering (HTML, iCal, CSV, JSON, frab) and writing files is the web face's
(campbot.web.exports, campbot.web.exports.files): the services return data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.problem_builder import session_id as session_key  # one id in solver files, exports, UIDs
from campbot.services.public_grid import GridView, PitchListItem, ViewRoom, ViewSession, ViewSlot
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Person, Pitch, PitchHost, Placement, Room, Slot, Vote


def _published(db: Session, event_id: int, number: int | None) -> GridVersion | None:
    query = select(GridVersion).where(GridVersion.event_id == event_id, GridVersion.status == "published")
    if number is not None:
        query = query.where(GridVersion.number == number)
    return db.exec(query.order_by(col(GridVersion.number).desc())).first()


def _host_names(db: Session, pitch_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {pid: [] for pid in pitch_ids}
    if not pitch_ids:
        return names
    rows = db.exec(
        select(PitchHost.pitch_id, Person.display_name)
        .join(Person, Person.id == PitchHost.person_id)  # type: ignore[arg-type]
        .where(col(PitchHost.pitch_id).in_(pitch_ids))
        .order_by(col(Person.id))
    ).all()
    for pid, name in rows:
        names[pid].append(name or "a camper")
    return names


def _interest(db: Session, event_id: int) -> Counter[int]:
    counts: Counter[int] = Counter()
    for pid in db.exec(select(Vote.pitch_id).where(Vote.event_id == event_id)).all():
        counts[pid] += 1
    return counts


def grid_view(ctx: AppContext, event_id: int, number: int | None = None) -> GridView | None:
    """Published version `number` (the latest when None) as a GridView, or None if there is none."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        version = _published(db, event_id, number)
        if event is None or version is None:
            return None
        rooms = db.exec(select(Room).where(Room.event_id == event_id).order_by(col(Room.position))).all()
        slots = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(col(Slot.position))).all()
        placements = db.exec(select(Placement).where(Placement.grid_version_id == version.id)).all()
        pitches = {p.id: p for p in db.exec(select(Pitch).where(Pitch.event_id == event_id)).all()}
        hosts = _host_names(db, [p.pitch_id for p in placements])
        interest = _interest(db, event_id)
    room_key = {r.id: r.key for r in rooms}
    slot_order = [s.id for s in slots]
    slot_key = {s.id: s.key for s in slots}
    sessions = []
    for pl in placements:
        pitch = pitches[pl.pitch_id]
        first = slot_order.index(pl.slot_id)
        used = slot_order[first:first + max(1, pl.length)]
        sessions.append(ViewSession(
            id=session_key(pl.pitch_id), title=pitch.title, room_id=room_key[pl.room_id],
            slot_ids=tuple(slot_key[s] for s in used), hosts=tuple(hosts.get(pl.pitch_id, [])),
            description=pitch.description, format=pitch.format, needs=tuple(pitch.needs), tags=tuple(pitch.tags),
            interested=interest[pl.pitch_id] + pitch.paper_votes,
        ))
    assert version.number is not None and version.published_at is not None
    return GridView(
        event_name=event.name, event_slug=event.slug, timezone=event.timezone, version=version.number,
        published_at=version.published_at,
        rooms=tuple(ViewRoom(r.key, r.name, r.capacity, tuple(r.features), tuple(r.closed_slots)) for r in rooms),
        slots=tuple(ViewSlot(s.key, s.start, s.end, s.block) for s in slots),
        sessions=tuple(sessions), hashtag=event.hashtag, notes_url_pattern=event.notes_url_pattern,
        changelog=tuple(version.changelog),
    )


def pitch_list(ctx: AppContext, event_id: int) -> list[PitchListItem]:
    """Every pitch with its public facts; merged ones are left out (their votes live on)."""
    with session_scope(ctx.engine) as db:
        pitches = db.exec(select(Pitch).where(Pitch.event_id == event_id).order_by(col(Pitch.id))).all()
        hosts = _host_names(db, [p.id for p in pitches if p.id is not None])
        interest = _interest(db, event_id)
        version = _published(db, event_id, None)
        placed: set[int] = set() if version is None else set(
            db.exec(select(Placement.pitch_id).where(Placement.grid_version_id == version.id)).all()
        )
    items = []
    for p in pitches:
        assert p.id is not None
        if p.status == "merged":
            continue
        status = "withdrawn" if p.status == "withdrawn" else ("scheduled" if p.id in placed else "open")
        items.append(PitchListItem(id=session_key(p.id), title=p.title, hosts=tuple(hosts.get(p.id, [])),
                                   format=p.format, tags=tuple(p.tags),
                                   interested=interest[p.id] + p.paper_votes, status=status))
    return items


def person_feed(ctx: AppContext, token: str) -> tuple[str, frozenset[str]] | None:
    """A person's calendar: the sessions they voted for and the ones they host."""
    if not token:
        return None
    with session_scope(ctx.engine) as db:
        person = db.exec(select(Person).where(Person.feed_token == token)).first()
        if person is None:
            return None
        voted = db.exec(select(Vote.pitch_id).where(Vote.person_id == person.id)).all()
        hosted = db.exec(select(PitchHost.pitch_id).where(PitchHost.person_id == person.id)).all()
    ids = frozenset(session_key(p) for p in [*voted, *hosted])
    return person.display_name or "Your agenda", ids


@dataclass(frozen=True)
class Loaders:
    """What the export web app needs, bound to one event."""

    view: Callable[[int | None], GridView | None]
    person: Callable[[str], tuple[str, frozenset[str]] | None]
    pitches: Callable[[], list[PitchListItem]]


def loaders_for(ctx: AppContext, event_id: int) -> Loaders:
    return Loaders(
        view=lambda number: grid_view(ctx, event_id, number),
        person=lambda token: person_feed(ctx, token),
        pitches=lambda: pitch_list(ctx, event_id),
    )


def published_export(ctx: AppContext, event_id: int, number: int | None = None) -> tuple[GridView, list[PitchListItem]]:
    """Published version `number` (the latest when None) and the pitch list: everything the
    exports show. NotFound, with the fix, when no grid is published yet."""
    view = grid_view(ctx, event_id, number)
    if view is None:
        raise NotFound("No grid is published yet: publish one first (/camp publish or campbot publish).")
    return view, pitch_list(ctx, event_id)

"""What a person sees on their App Home, and their reminder switch.

Read-only apart from `set_reminders`. The agenda comes from the latest *published* grid
version: the sessions the person voted for or hosts, with room and local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.people import person_for_slack_user
from campbot.services.voting import votes_used, voting_is_open
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Person, Pitch, PitchHost, Placement, Room, Slot, Vote


@dataclass(frozen=True)
class HomePitch:
    id: int
    title: str
    status: str
    votes: int


@dataclass(frozen=True)
class AgendaItem:
    pitch_id: int
    title: str
    room: str
    start: datetime  # aware, in the event's timezone
    end: datetime
    hosting: bool


@dataclass(frozen=True)
class HomeData:
    event_name: str
    voting_open: bool
    quota: int
    used: int
    my_pitches: list[HomePitch]
    my_votes: list[HomePitch]
    agenda: list[AgendaItem]
    grid_version: int | None
    reminders_enabled: bool
    timezone: str

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def home_for(ctx: AppContext, event_id: int, user_id: str) -> HomeData:
    """What a Slack user's App Home shows."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; ask an organiser to load it again.")
        return _home(ctx, db, event, person_for_slack_user(db, event_id, user_id))


def home_for_person(ctx: AppContext, event_id: int, person_id: int) -> HomeData:
    """`home_for` for a person named by Person id: an attendee on the web (their /me page), who
    may or may not be on Slack; the same votes, quota and agenda."""
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; ask an organiser to load it again.")
        person = db.get(Person, person_id)
        if person is None or person.event_id != event_id:
            raise NotFound("We could not find you at this camp any more: open your personal link again.")
        return _home(ctx, db, event, person)


def _home(ctx: AppContext, db: Session, event: Event, person: Person) -> HomeData:
    event_id = event.id
    assert person.id is not None and event_id is not None
    zone = ZoneInfo(event.timezone)

    def vote_count(pid: int) -> int:
        return int(db.exec(select(func.count()).select_from(Vote).where(Vote.pitch_id == pid)).one())

    hosted = db.exec(
        select(Pitch)
        .join(PitchHost, PitchHost.pitch_id == Pitch.id)  # type: ignore[arg-type]
        .where(PitchHost.person_id == person.id, Pitch.status != "merged")
        .order_by(Pitch.id)  # type: ignore[arg-type]
    ).all()
    voted = db.exec(
        select(Pitch)
        .join(Vote, Vote.pitch_id == Pitch.id)  # type: ignore[arg-type]
        .where(Vote.person_id == person.id, Pitch.status == "active")
        .order_by(Pitch.id)  # type: ignore[arg-type]
    ).all()
    my_pitches = [HomePitch(p.id, p.title, p.status, vote_count(p.id) + p.paper_votes) for p in hosted if p.id]
    my_votes = [HomePitch(p.id, p.title, p.status, 0) for p in voted if p.id]
    grid = db.exec(
        select(GridVersion)
        .where(GridVersion.event_id == event_id, GridVersion.status == "published")
        .order_by(GridVersion.number.desc())  # type: ignore[union-attr]
    ).first()
    agenda: list[AgendaItem] = []
    if grid is not None:
        mine = {p.id for p in voted} | {p.id for p in hosted}
        hosting = {p.id for p in hosted}
        slots = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(Slot.position)).all()  # type: ignore[arg-type]
        order = [s.id for s in slots]
        by_id = {s.id: s for s in slots}
        rows = db.exec(
            select(Placement, Pitch, Room)
            .join(Pitch, Pitch.id == Placement.pitch_id)  # type: ignore[arg-type]
            .join(Room, Room.id == Placement.room_id)  # type: ignore[arg-type]
            .where(Placement.grid_version_id == grid.id)
        ).all()
        for placement, pitch, room in rows:
            if pitch.id not in mine or placement.slot_id not in by_id:
                continue
            first = by_id[placement.slot_id]
            idx = order.index(first.id)
            last = by_id[order[min(len(order) - 1, idx + max(1, placement.length) - 1)]]
            agenda.append(
                AgendaItem(
                    pitch.id or 0,
                    pitch.title,
                    room.name,
                    first.start.astimezone(zone),
                    last.end.astimezone(zone),
                    pitch.id in hosting,
                )
            )
        agenda.sort(key=lambda a: (a.start, a.title))
    return HomeData(
        event_name=event.name,
        voting_open=voting_is_open(event, ctx.now()),
        quota=event.vote_quota,
        used=votes_used(db, event_id, person.id),
        my_pitches=my_pitches,
        my_votes=my_votes,
        agenda=agenda,
        grid_version=grid.number if grid else None,
        reminders_enabled=person.reminders_enabled,
        timezone=event.timezone,
    )


def set_reminders(ctx: AppContext, event_id: int, user_id: str, enabled: bool) -> bool:
    """Switch one person's reminder DMs on or off; returns the new setting."""
    with session_scope(ctx.engine) as db:
        person = person_for_slack_user(db, event_id, user_id)
        person = db.get(Person, person.id) or person
        person.reminders_enabled = enabled
        db.add(person)
        db.add(
            AuditLog(event_id=event_id, actor=user_id, action="reminders.on" if enabled else "reminders.off", detail={})
        )
    return enabled

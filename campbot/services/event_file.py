"""The event set-up file (YAML): parsed and checked in full before anything is written.

Every problem is reported with the path of the field (`rooms[2].capacity`) and what to
write instead, because the person reading it is an organiser with a text editor, not a
developer with a debugger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from campbot.services.safe_yaml import YamlFileError, load_yaml_text, read_text_file

FEATURES = ("step_free", "projector", "hearing_loop", "quiet", "whiteboard")
_KEY = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"


class EventFileError(ValueError):
    """A set-up file that cannot be loaded; the message lists every problem and its fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VotingSpec(_Strict):
    opens: datetime | time | None = None
    closes: datetime | time | None = None
    # blind voting: cards show no count until voting closes; left out, a load keeps what the
    # organiser set in Slack (/camp voting hide-counts), as it keeps their room closures
    hide_counts: bool | None = None


class ChannelsSpec(_Strict):
    pitches: str | None = None
    announce: str | None = None
    organisers: str | None = None


class EventSpec(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Europe/London"
    date: Date | None = None
    vote_quota: int = Field(default=10, ge=1, le=100)
    voting: VotingSpec = VotingSpec()
    channels: ChannelsSpec = ChannelsSpec()
    organisers: list[str] = []
    organiser_usergroup: str | None = None
    hashtag: str = ""
    notes_url_pattern: str = ""
    grid_post_at: datetime | time | None = None
    team_id: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a directory, a name too long
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Europe/London") from None
        return v

    @field_validator("organisers")
    @classmethod
    def _user_ids(cls, v: list[str]) -> list[str]:
        for uid in v:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", uid):
                raise ValueError(f"{uid!r} is not a Slack user id (they look like U012AB3CD)")
        return v


class RoomSpec(_Strict):
    id: str = Field(pattern=_KEY)
    name: str = Field(min_length=1, max_length=100)
    capacity: int = Field(gt=0, le=100_000)
    features: list[str] = []
    closed: list[str] = []

    @field_validator("features")
    @classmethod
    def _known_features(cls, v: list[str]) -> list[str]:
        for f in v:
            if f not in FEATURES:
                raise ValueError(f"unknown feature {f!r}; choose from {', '.join(FEATURES)}")
        return sorted(set(v))


class SlotSpec(_Strict):
    id: str = Field(pattern=_KEY)
    start: datetime | time
    end: datetime | time
    block: str = ""


class EventFile(_Strict):
    event: EventSpec
    rooms: list[RoomSpec] = Field(min_length=1)
    slots: list[SlotSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> EventFile:
        problems: list[str] = []
        _unique("rooms", [r.id for r in self.rooms], problems)
        _unique("slots", [s.id for s in self.slots], problems)
        slot_ids = {s.id for s in self.slots}
        for i, r in enumerate(self.rooms):
            for k in r.closed:
                if k not in slot_ids:
                    problems.append(f"rooms[{i}].closed: no slot has id {k!r}; use one of {sorted(slot_ids)}")
        needs_date = any(isinstance(s.start, time) or isinstance(s.end, time) for s in self.slots)
        if needs_date and self.event.date is None:
            problems.append("event.date: slots give only a time of day, so set the day, e.g. date: 2026-06-20")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _unique(section: str, ids: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for i, k in enumerate(ids):
        if k in seen:
            problems.append(f"{section}[{i}].id: {k!r} is used twice; give each an id of its own")
        seen.add(k)


@dataclass(frozen=True)
class LoadedSlot:
    key: str
    start: datetime
    end: datetime
    block: str


def resolve_instant(value: datetime | time | None, day: Date | None, zone: ZoneInfo) -> datetime | None:
    """A time of day means that time on the event's day, in the event's zone."""
    if value is None:
        return None
    if isinstance(value, time):
        assert day is not None
        value = datetime.combine(day, value)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def resolved_slots(spec: EventFile) -> list[LoadedSlot]:
    zone = ZoneInfo(spec.event.timezone)
    out: list[LoadedSlot] = []
    problems: list[str] = []
    for i, s in enumerate(spec.slots):
        start = resolve_instant(s.start, spec.event.date, zone)
        end = resolve_instant(s.end, spec.event.date, zone)
        assert start is not None and end is not None
        if end <= start:
            problems.append(f"slots[{i}].end: {s.id} ends before it starts; end must be after start")
        out.append(LoadedSlot(s.id, start, end, s.block or start.date().isoformat()))
    out.sort(key=lambda s: s.start)
    for a, b in zip(out, out[1:], strict=False):
        if b.start < a.end:
            problems.append(f"slots: {a.key} and {b.key} overlap; a slot must end before the next starts")
    if problems:
        raise EventFileError("\n".join(problems))
    return out


def _where(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "file"


YEARS_AROUND_TODAY = 10  # a camp's dates lie within this many years of today (date arithmetic stays sane)


def _date_problems(spec: EventFile, today: Date) -> list[str]:
    """Dates far from today are typing mistakes (0001-01-01, 9999-12-31) that load and then
    break publishing, reminders and calendar feeds: refuse them up front."""
    earliest = Date(max(1, today.year - YEARS_AROUND_TODAY), 1, 1)
    latest = Date(min(9999, today.year + YEARS_AROUND_TODAY), 12, 31)
    fields: list[tuple[str, Date | datetime | time | None]] = [
        ("event.date", spec.event.date),
        ("event.voting.opens", spec.event.voting.opens),
        ("event.voting.closes", spec.event.voting.closes),
        ("event.grid_post_at", spec.event.grid_post_at),
    ]
    for i, slot in enumerate(spec.slots):
        fields += [(f"slots[{i}].start", slot.start), (f"slots[{i}].end", slot.end)]
    problems = []
    for where, value in fields:
        day = value.date() if isinstance(value, datetime) else value if isinstance(value, Date) else None
        if day is not None and not earliest <= day <= latest:
            problems.append(
                f"{where}: {day.isoformat()} is too far from today; give a date between "
                f"{earliest.isoformat()} and {latest.isoformat()}, e.g. {today.year}-06-20"
            )
    return problems


def parse_event_file(text: str, source: str = "event file", *, today: Date | None = None) -> EventFile:
    """The checked file, or EventFileError listing every problem (never another exception)."""
    try:
        raw = load_yaml_text(text, source)
    except YamlFileError as exc:
        raise EventFileError(str(exc)) from None
    if not isinstance(raw, dict):
        raise EventFileError(f"{source}: expected sections 'event', 'rooms' and 'slots' at the top level")
    try:
        spec = EventFile.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field; check the spelling (see examples/localgovcamp.yaml)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            lines.append(f"  {_where(tuple(err['loc']))}: {msg}")
        raise EventFileError(f"{source}: cannot load, nothing was changed:\n" + "\n".join(lines)) from None
    dates = _date_problems(spec, today or Date.today())
    if dates:
        raise EventFileError(f"{source}: cannot load, nothing was changed:\n" + "\n".join(f"  {p}" for p in dates))
    try:
        resolved_slots(spec)
    except EventFileError as exc:
        raise EventFileError(f"{source}: cannot load, nothing was changed:\n  {exc}") from None
    return spec


def read_event_file(path: Path, *, today: Date | None = None) -> EventFile:
    try:
        text = read_text_file(path)
    except YamlFileError as exc:
        raise EventFileError(str(exc)) from None
    return parse_event_file(text, str(path), today=today)

"""Bulk import of pitches (and, for simulations, votes) from a YAML or JSON file.

Used for paper pitches typed up by an organiser and for the demo's simulated attendees.
The whole file is checked before anything is written, and written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.event_file import FEATURES
from campbot.services.people import person_by_name
from campbot.services.pitch_input import title_error
from campbot.services.safe_yaml import YamlFileError, load_yaml_text, read_text_file
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Pitch, PitchHost, Slot, Vote

FORMATS = ("discussion", "workshop", "show-and-tell", "demo")


class ImportError_(ServiceError):
    pass


class PitchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str | None = None
    title: str = Field(min_length=1, max_length=80)
    hosts: list[str] = Field(min_length=1)
    description: str = Field(default="", max_length=500)
    format: str = "discussion"
    length: int = Field(default=1, ge=1, le=2)
    needs: list[str] = []
    unavailable: list[str] = []
    tags: list[str] = []
    paper_votes: int = Field(default=0, ge=0)


class PitchFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pitches: list[PitchSpec]
    votes: dict[str, list[str]] = {}


@dataclass(frozen=True)
class ImportResult:
    pitches: int
    votes: int
    pitch_ids: dict[str, int]  # file id -> database id


def read_pitch_file(path: Path) -> PitchFile:
    try:  # strict YAML: duplicate keys, deep nesting, non-UTF-8 bytes are refused with the place
        raw: Any = load_yaml_text(read_text_file(path), str(path))
    except YamlFileError as exc:
        raise ImportError_(str(exc)) from None
    try:
        spec = PitchFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ImportError_(f"{path}: cannot import, nothing was changed:\n" + "\n".join(lines)) from None
    problems = []
    ids = [p.id for p in spec.pitches if p.id]
    for i, p in enumerate(spec.pitches):
        title_problem = title_error(p.title)  # the same rule as the modal and paper pitches
        if title_problem is not None:
            problems.append(f"  pitches.{i}.title: {title_problem}")
        if p.format not in FORMATS:
            problems.append(f"  pitches.{i}.format: {p.format!r} is not one of {', '.join(FORMATS)}")
        for need in p.needs:
            if need not in FEATURES:
                problems.append(f"  pitches.{i}.needs: {need!r} is not one of {', '.join(FEATURES)}")
    if len(ids) != len(set(ids)):
        problems.append("  pitches: two pitches share an id; give each its own")
    for voter, voted in spec.votes.items():
        for pid in voted:
            if pid not in ids:
                problems.append(f"  votes.{voter}: no pitch has id {pid!r}")
    if problems:
        raise ImportError_(f"{path}: cannot import, nothing was changed:\n" + "\n".join(problems))
    return spec


def import_pitches(ctx: AppContext, event_id: int, spec: PitchFile, *, with_votes: bool = True,
                   actor: str = "cli") -> ImportResult:
    with session_scope(ctx.engine) as db:
        slot_keys = {s.key for s in db.exec(select(Slot).where(Slot.event_id == event_id))}
        for i, p in enumerate(spec.pitches):
            bad = [k for k in p.unavailable if k not in slot_keys]
            if bad:
                raise ImportError_(f"pitches.{i}.unavailable: no slot {bad[0]!r}; use one of {sorted(slot_keys)}")
        ids: dict[str, int] = {}
        for i, p in enumerate(spec.pitches):
            hosts = [person_by_name(db, event_id, name) for name in p.hosts]
            pitch = Pitch(event_id=event_id, title=p.title, description=p.description, format=p.format,
                          length=p.length, needs=sorted(set(p.needs)), unavailable_slots=list(p.unavailable),
                          tags=list(p.tags), paper_votes=p.paper_votes, created_by_id=hosts[0].id)
            db.add(pitch)
            db.flush()
            assert pitch.id is not None
            for h in dict.fromkeys(x.id for x in hosts):
                assert h is not None
                db.add(PitchHost(pitch_id=pitch.id, person_id=h))
            ids[p.id or f"#{i}"] = pitch.id
        votes = 0
        if with_votes:
            for voter, voted in spec.votes.items():
                person = person_by_name(db, event_id, voter)
                for pid in dict.fromkeys(voted):
                    assert person.id is not None
                    db.add(Vote(event_id=event_id, person_id=person.id, pitch_id=ids[pid]))
                    votes += 1
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitches.import",
                        detail={"pitches": len(ids), "votes": votes}))
    return ImportResult(pitches=len(ids), votes=votes, pitch_ids=ids)

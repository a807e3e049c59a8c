"""The organisers' pitch desk: merging duplicates, pitches from the paper wall, a show of hands.

Apart from campbot.services.pitching (a host's own pitch: create, edit, withdraw) because these
are organiser acts on anyone's pitches, each one transaction with its audit line; they share
that module's row and card helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.people import person_by_name
from campbot.services.pitch_input import PAPER_VOTES_MAX, InvalidPitch, check_paper_pitch
from campbot.services.pitching import PitchCard, by_submission_key, card_of, pitch_of, set_hosts, slot_keys
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Pitch, PitchHost, Vote


@dataclass(frozen=True)
class MergeResult:
    source: PitchCard
    target: PitchCard
    moved: int  # votes that moved over
    duplicates: int  # people who had voted for both: their second vote was dropped


def merge_pitches(ctx: AppContext, event_id: int, source_id: int, target_id: int, *, actor: str) -> MergeResult:
    """Fold duplicate `source` into `target`: votes move (one per person), paper votes add
    up, the source's hosts join the target, the source is marked merged."""
    if source_id == target_id:
        raise ServiceError("Those are the same pitch; give two different numbers.")
    with session_scope(ctx.engine) as db:
        source, target = pitch_of(db, event_id, source_id), pitch_of(db, event_id, target_id)
        for p in (source, target):
            if p.status != "active":
                raise ServiceError(f"Pitch #{p.id} is {p.status}; only active pitches can be merged.")
        target_voters = set(db.exec(select(Vote.person_id).where(Vote.pitch_id == target_id)).all())
        moved = duplicates = 0
        for vote in db.exec(select(Vote).where(Vote.pitch_id == source_id)).all():
            if vote.person_id in target_voters:
                db.delete(vote)
                duplicates += 1
            else:
                vote.pitch_id = target_id
                db.add(vote)
                target_voters.add(vote.person_id)
                moved += 1
        target_hosts = set(db.exec(select(PitchHost.person_id).where(PitchHost.pitch_id == target_id)).all())
        for host in db.exec(select(PitchHost.person_id).where(PitchHost.pitch_id == source_id)).all():
            if host not in target_hosts:
                db.add(PitchHost(pitch_id=target_id, person_id=host))
        target.paper_votes += source.paper_votes
        source.paper_votes = 0
        source.status, source.merged_into_id = "merged", target_id
        target.needs = sorted(set(target.needs) | set(source.needs))
        # Every host must be free, so the merged session avoids both sets of slots, unless
        # that would leave no slot at all (then the target's hosts' wishes win).
        both = list(dict.fromkeys([*target.unavailable_slots, *source.unavailable_slots]))
        if set(both) < set(slot_keys(db, event_id)):
            target.unavailable_slots = both
        now = ctx.now()
        source.updated_at = target.updated_at = now
        db.add(source)
        db.add(target)
        db.add(
            AuditLog(
                event_id=event_id,
                actor=actor,
                action="pitch.merge",
                detail={"from": source_id, "into": target_id, "moved": moved, "duplicates": duplicates},
            )
        )
        db.flush()
        now = ctx.now()
        return MergeResult(source=card_of(db, source, now), target=card_of(db, target, now), moved=moved,
                           duplicates=duplicates)


def add_paper_pitch(
    ctx: AppContext,
    event_id: int,
    *,
    title: str,
    host_names: Iterable[str],
    paper_votes: int,
    actor: str,
    description: str = "",
    submission_key: str | None = None,
) -> PitchCard:
    """A pitch from someone not on Slack, typed in by an organiser with a show-of-hands count.
    A form submitted again (same `submission_key`) returns the pitch it already made."""
    names = [n.strip() for n in host_names if n.strip()]
    errors = check_paper_pitch(title, names, paper_votes, description, max_hosts=ctx.settings.hosts_per_pitch)
    if errors:
        raise InvalidPitch(errors)
    with session_scope(ctx.engine) as db:
        repeat = by_submission_key(db, submission_key)
        if repeat is not None:
            return card_of(db, repeat, ctx.now())
        hosts = [person_by_name(db, event_id, n) for n in names]
        now = ctx.now()
        pitch = Pitch(
            event_id=event_id,
            title=title.strip(),
            description=description.strip(),
            paper_votes=paper_votes,
            created_by_id=hosts[0].id,
            created_at=now,
            updated_at=now,
            submission_key=submission_key,
        )
        db.add(pitch)
        db.flush()
        assert pitch.id is not None
        set_hosts(db, pitch.id, [h.id for h in hosts if h.id is not None])
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.paper", detail={"pitch": pitch.id}))
        db.flush()
        return card_of(db, pitch, ctx.now())


def set_paper_votes(ctx: AppContext, event_id: int, pitch_id: int, paper_votes: int, *, actor: str) -> PitchCard:
    if not 0 <= paper_votes <= PAPER_VOTES_MAX:
        raise ServiceError(f"The show of hands is a count from 0 to {PAPER_VOTES_MAX}.")
    with session_scope(ctx.engine) as db:
        pitch = pitch_of(db, event_id, pitch_id)
        pitch.paper_votes = paper_votes
        db.add(pitch)
        db.add(
            AuditLog(
                event_id=event_id,
                actor=actor,
                action="pitch.paper_votes",
                detail={"pitch": pitch_id, "votes": paper_votes},
            )
        )
        db.flush()
        return card_of(db, pitch, ctx.now())

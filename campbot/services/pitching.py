"""Pitches: create, edit, withdraw, merge, paper pitches, and the data a card shows.

Each use case is one transaction: a pitch, its hosts and its audit line are written
together or not at all. Only a pitch's hosts may edit or withdraw it (checked here, not in
Slack). Withdrawing keeps the votes (history) but the pitch leaves the solve (the solver
takes active pitches only) and its votes stop counting against the voters' quota.
Merging moves the votes of one pitch to another; a person who voted for both keeps one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from campbot.config.context import AppContext
from campbot.services.errors import NotAllowed, NotFound, ServiceError
from campbot.services.event_file import FEATURES
from campbot.services.people import person_by_name, person_for_slack_user
from campbot.services.text_checks import text_problem
from campbot.services.voting import VotingState, voting_state
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import AuditLog, Event, Person, Pitch, PitchHost, Slot, Vote

FORMATS = ("discussion", "workshop", "show-and-tell", "demo")
NEEDS = tuple(f for f in FEATURES if f != "whiteboard")  # what a host can ask for in the modal
TITLE_MAX = 80
DESCRIPTION_MAX = 500
TAG_MAX = 30
TAGS_MAX = 8
HOST_NAME_MAX = 100
PAPER_VOTES_MAX = 2000
HOSTS_MAX = 6  # default of Settings.hosts_per_pitch: the submitter and five co-hosts


class InvalidPitch(ServiceError):
    """Field problems, keyed by field name, so a modal can show each under its input."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PitchInput:
    """What a host typed, before checking."""

    title: str
    description: str = ""
    cohost_user_ids: tuple[str, ...] = ()
    format: str = "discussion"
    length: int = 1
    needs: tuple[str, ...] = ()
    unavailable_slots: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PitchCard:
    """What a pitch card, the App Home and organiser replies show about one pitch."""

    id: int
    event_id: int
    title: str
    description: str
    format: str
    length: int
    needs: tuple[str, ...]
    tags: tuple[str, ...]
    unavailable_slots: tuple[str, ...]
    status: str
    merged_into_id: int | None
    host_user_ids: tuple[str, ...]
    host_names: tuple[str, ...]  # hosts not on Slack
    votes: int
    paper_votes: int
    channel: str | None
    message_ts: str | None
    voting: VotingState | None = None  # None: not known here (the card then shows the vote button)

    @property
    def interest(self) -> int:
        return self.votes + self.paper_votes


@dataclass(frozen=True)
class MergeResult:
    source: PitchCard
    target: PitchCard
    moved: int  # votes that moved over
    duplicates: int  # people who had voted for both: their second vote was dropped


@dataclass(frozen=True)
class SlotTime:
    """A slot as a host chooses it: its key and local start/end."""

    key: str
    start: datetime
    end: datetime


def event_slots(ctx: AppContext, event_id: int) -> list[SlotTime]:
    """The event's slots in order, in the event's own timezone."""
    with read_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; ask an organiser to load it again.")
        zone = ZoneInfo(event.timezone)
        rows = db.exec(select(Slot).where(Slot.event_id == event_id).order_by(Slot.position)).all()  # type: ignore[arg-type]
        return [SlotTime(s.key, s.start.astimezone(zone), s.end.astimezone(zone)) for s in rows]


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma- (or newline-) separated tags, trimmed, lower-cased, a leading # dropped, de-duplicated."""
    out: dict[str, None] = {}
    for part in re.split(r"[,\n]", text or ""):
        tag = part.strip().lstrip("#").strip().lower()
        if tag:
            out[tag] = None
    return tuple(out)


def title_error(title: str) -> str | None:
    """What is wrong with a pitch title (modal, paper form and `/camp paper` alike), or None."""
    text = title.strip()
    if not text:
        return "Give the session a title."
    if len(text) > TITLE_MAX:
        return f"Keep the title to {TITLE_MAX} characters (it is {len(text)})."
    return text_problem(text, "title", required=True)


def description_error(description: str) -> str | None:
    text = description.strip()
    if len(text) > DESCRIPTION_MAX:
        return f"Keep the description to {DESCRIPTION_MAX} characters (it is {len(text)})."
    return text_problem(text, "description", multiline=True)


def check_pitch(
    data: PitchInput, slot_keys: Iterable[str], *, user_id: str | None = None, max_hosts: int = HOSTS_MAX
) -> dict[str, str]:
    """Every problem with the input, by field, with the fix in the words (empty when fine)."""
    errors: dict[str, str] = {}
    for name, problem in (("title", title_error(data.title)), ("description", description_error(data.description))):
        if problem is not None:
            errors[name] = problem
    if data.format not in FORMATS:
        errors["format"] = "Choose a format: " + ", ".join(FORMATS) + "."
    if data.length not in (1, 2):
        errors["length"] = "Choose one slot or a double."
    bad_needs = [n for n in data.needs if n not in NEEDS]
    if bad_needs:
        errors["needs"] = "Choose needs from the list."
    slots = set(slot_keys)
    bad_slots = [s for s in data.unavailable_slots if s not in slots]
    if bad_slots:
        errors["unavailable"] = "Choose slots from the list."
    elif slots and set(data.unavailable_slots) >= slots:
        errors["unavailable"] = "You can't make any slot, so the session can't be placed; untick at least one."
    if len(data.tags) > TAGS_MAX:
        errors["tags"] = f"Use at most {TAGS_MAX} tags."
    elif any(len(t) > TAG_MAX for t in data.tags):
        errors["tags"] = f"Keep each tag to {TAG_MAX} characters; separate tags with commas."
    elif (tag_problem := next((p for t in data.tags if (p := text_problem(t, "tag")) is not None), None)) is not None:
        errors["tags"] = tag_problem
    if len(set(data.cohost_user_ids) - {user_id}) > max_hosts - 1:
        errors["cohosts"] = f"A session can have at most {max_hosts} hosts: you and {max_hosts - 1} co-hosts."
    return errors


def check_paper_pitch(
    title: str, host_names: list[str], paper_votes: int, description: str, *, max_hosts: int = HOSTS_MAX
) -> dict[str, str]:
    """The paper-pitch twin of check_pitch: the same title and description rules, plus hosts by name."""
    errors: dict[str, str] = {}
    for name, problem in (("title", title_error(title)), ("description", description_error(description))):
        if problem is not None:
            errors[name] = problem
    if not host_names:
        errors["hosts"] = "Name at least one host."
    elif len(host_names) > max_hosts:
        errors["hosts"] = f"A session can have at most {max_hosts} hosts; this names {len(host_names)}."
    elif any(len(n) > HOST_NAME_MAX for n in host_names):
        errors["hosts"] = f"Keep each host's name to {HOST_NAME_MAX} characters."
    elif (problem := next((p for n in host_names if (p := text_problem(n, "host name", required=True))), None)):
        errors["hosts"] = problem
    if not 0 <= paper_votes <= PAPER_VOTES_MAX:
        errors["votes"] = f"The show of hands is a count from 0 to {PAPER_VOTES_MAX}."
    return errors


def _slot_keys(db: Session, event_id: int) -> list[str]:
    return [s.key for s in db.exec(select(Slot).where(Slot.event_id == event_id).order_by(Slot.position))]  # type: ignore[arg-type]


def _checked(db: Session, event_id: int, data: PitchInput, user_id: str | None, *, max_hosts: int) -> PitchInput:
    errors = check_pitch(data, _slot_keys(db, event_id), user_id=user_id, max_hosts=max_hosts)
    if errors:
        raise InvalidPitch(errors)
    return PitchInput(
        title=data.title.strip(),
        description=data.description.strip(),
        cohost_user_ids=tuple(dict.fromkeys(u for u in data.cohost_user_ids if u and u != user_id)),
        format=data.format,
        length=data.length,
        needs=tuple(sorted(set(data.needs))),
        unavailable_slots=tuple(dict.fromkeys(data.unavailable_slots)),
        tags=tuple(data.tags),
    )


def _apply(pitch: Pitch, data: PitchInput) -> None:
    pitch.title, pitch.description, pitch.format, pitch.length = data.title, data.description, data.format, data.length
    pitch.needs, pitch.unavailable_slots, pitch.tags = list(data.needs), list(data.unavailable_slots), list(data.tags)


def _set_hosts(db: Session, pitch_id: int, person_ids: Iterable[int]) -> None:
    for row in db.exec(select(PitchHost).where(PitchHost.pitch_id == pitch_id)):
        db.delete(row)
    db.flush()
    for pid in dict.fromkeys(person_ids):
        db.add(PitchHost(pitch_id=pitch_id, person_id=pid))


def _card(db: Session, pitch: Pitch, now: datetime) -> PitchCard:
    """The card as it stands at `now`: counts, hosts, and whether voting is open (the button)."""
    assert pitch.id is not None
    event = db.get(Event, pitch.event_id)
    hosts = db.exec(
        select(Person)
        .join(PitchHost, PitchHost.person_id == Person.id)  # type: ignore[arg-type]
        .where(PitchHost.pitch_id == pitch.id)
        .order_by(Person.id)  # type: ignore[arg-type]
    ).all()
    votes = db.exec(select(func.count()).select_from(Vote).where(Vote.pitch_id == pitch.id)).one()
    return PitchCard(
        id=pitch.id,
        event_id=pitch.event_id,
        title=pitch.title,
        description=pitch.description,
        format=pitch.format,
        length=pitch.length,
        needs=tuple(pitch.needs),
        tags=tuple(pitch.tags),
        unavailable_slots=tuple(pitch.unavailable_slots),
        status=pitch.status,
        merged_into_id=pitch.merged_into_id,
        host_user_ids=tuple(h.slack_user_id for h in hosts if h.slack_user_id),
        host_names=tuple(h.display_name for h in hosts if not h.slack_user_id),
        votes=int(votes),
        paper_votes=pitch.paper_votes,
        channel=pitch.channel,
        message_ts=pitch.message_ts,
        voting=voting_state(event, now) if event is not None else None,
    )


def _pitch(db: Session, event_id: int, pitch_id: int) -> Pitch:
    pitch = db.get(Pitch, pitch_id)
    if pitch is None or pitch.event_id != event_id:
        raise NotFound(f"There is no pitch #{pitch_id}.")
    return pitch


def _is_host(db: Session, pitch_id: int, person_id: int) -> bool:
    return db.get(PitchHost, (pitch_id, person_id)) is not None


def _host_person(db: Session, event_id: int, pitch: Pitch, user_id: str) -> Person:
    person = person_for_slack_user(db, event_id, user_id)
    assert person.id is not None and pitch.id is not None
    if not _is_host(db, pitch.id, person.id):
        raise NotAllowed("Only the session's hosts can change it. Ask one of them, or an organiser.")
    return person


def _check_pitch_count(db: Session, event_id: int, owner: Person, limit: int) -> None:
    """A person may have `limit` active pitches of their own (Settings.pitches_per_person):
    enough for any honest host, and a cap on one person flooding the pitches channel."""
    count = db.exec(
        select(func.count())
        .select_from(Pitch)
        .where(Pitch.event_id == event_id, Pitch.created_by_id == owner.id, Pitch.status == "active")
    ).one()
    if count >= limit:
        raise ServiceError(
            f"You already have {count} active pitches, the most one person can have here. "
            "Withdraw one (from its card's menu) to pitch another."
        )


def _insert_pitch(
    db: Session, ctx: AppContext, event_id: int, user_id: str, owner: Person, data: PitchInput,
    submission_key: str | None = None,
) -> PitchCard:
    cohosts = [person_for_slack_user(db, event_id, u) for u in data.cohost_user_ids]
    now = ctx.now()
    pitch = Pitch(
        event_id=event_id, title=data.title, created_by_id=owner.id, created_at=now, updated_at=now,
        submission_key=submission_key,
    )
    _apply(pitch, data)
    db.add(pitch)
    db.flush()
    assert pitch.id is not None
    _set_hosts(db, pitch.id, [p.id for p in [owner, *cohosts] if p.id is not None])
    db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.create", detail={"pitch": pitch.id}))
    db.flush()
    return _card(db, pitch, ctx.now())


def create_pitch(
    ctx: AppContext, event_id: int, user_id: str, data: PitchInput, *, display_name: str = ""
) -> PitchCard:
    """Store a new pitch with its submitter and co-hosts as hosts. InvalidPitch if bad."""
    with session_scope(ctx.engine) as db:
        data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
        owner = person_for_slack_user(db, event_id, user_id, display_name)
        _check_pitch_count(db, event_id, owner, ctx.settings.pitches_per_person)
        return _insert_pitch(db, ctx, event_id, user_id, owner, data)


def _by_submission_key(db: Session, submission_key: str | None) -> Pitch | None:
    if submission_key is None:
        return None
    return db.exec(select(Pitch).where(Pitch.submission_key == submission_key)).first()


@dataclass(frozen=True)
class Submitted:
    card: PitchCard
    created: bool  # False: a repeat of a pitch already saved; nothing new was stored


def submit_pitch(
    ctx: AppContext,
    event_id: int,
    user_id: str,
    data: PitchInput,
    *,
    submission_key: str | None,
    display_name: str = "",
) -> Submitted:
    """create_pitch for a submitted form: submitting the same form again (same `submission_key`:
    Slack gave up waiting and the person pressed Submit again) returns the pitch already saved
    instead of making a twin. The unique index on submission_key settles a race between copies."""
    try:
        with session_scope(ctx.engine) as db:
            data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
            owner = person_for_slack_user(db, event_id, user_id, display_name)
            repeat = _by_submission_key(db, submission_key)
            if repeat is not None:
                return Submitted(_card(db, repeat, ctx.now()), created=False)
            _check_pitch_count(db, event_id, owner, ctx.settings.pitches_per_person)
            return Submitted(_insert_pitch(db, ctx, event_id, user_id, owner, data, submission_key), created=True)
    except IntegrityError:
        if submission_key is None:
            raise
        with session_scope(ctx.engine) as db:  # a copy of this very submission won the race
            twin = _by_submission_key(db, submission_key)
            if twin is None:
                raise
            return Submitted(_card(db, twin, ctx.now()), created=False)


def pitch_for_edit(ctx: AppContext, event_id: int, pitch_id: int, user_id: str) -> tuple[PitchCard, PitchInput]:
    """The current values to pre-fill the edit modal; NotAllowed unless the user hosts it."""
    with session_scope(ctx.engine) as db:
        pitch = _pitch(db, event_id, pitch_id)
        _host_person(db, event_id, pitch, user_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can no longer be changed.")
        card = _card(db, pitch, ctx.now())
        return card, PitchInput(
            title=pitch.title,
            description=pitch.description,
            cohost_user_ids=tuple(u for u in card.host_user_ids if u != user_id),
            format=pitch.format,
            length=pitch.length,
            needs=tuple(pitch.needs),
            unavailable_slots=tuple(pitch.unavailable_slots),
            tags=tuple(pitch.tags),
        )


def edit_pitch(ctx: AppContext, event_id: int, pitch_id: int, user_id: str, data: PitchInput) -> PitchCard:
    """Change a pitch (hosts only). The editor stays a host; the co-host list is replaced."""
    with session_scope(ctx.engine) as db:
        pitch = _pitch(db, event_id, pitch_id)
        editor = _host_person(db, event_id, pitch, user_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can't be edited.")
        data = _checked(db, event_id, data, user_id, max_hosts=ctx.settings.hosts_per_pitch)
        # Hosts not on Slack (paper co-hosts) are kept: the modal cannot show them.
        paper = db.exec(
            select(Person.id)
            .join(PitchHost, PitchHost.person_id == Person.id)  # type: ignore[arg-type]
            .where(PitchHost.pitch_id == pitch_id, Person.slack_user_id == None)  # noqa: E711
        ).all()
        cohosts = [person_for_slack_user(db, event_id, u) for u in data.cohost_user_ids]
        _apply(pitch, data)
        pitch.updated_at = ctx.now()
        db.add(pitch)
        _set_hosts(db, pitch_id, [editor.id, *(p.id for p in cohosts), *paper])  # type: ignore[list-item]
        db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.edit", detail={"pitch": pitch_id}))
        db.flush()
        return _card(db, pitch, ctx.now())


def withdraw_pitch(ctx: AppContext, event_id: int, pitch_id: int, user_id: str) -> PitchCard:
    """Take a pitch out (hosts only). Votes stay in the table for the record."""
    with session_scope(ctx.engine) as db:
        pitch = _pitch(db, event_id, pitch_id)
        _host_person(db, event_id, pitch, user_id)
        if pitch.status == "active":
            pitch.status = "withdrawn"
            pitch.updated_at = ctx.now()
            db.add(pitch)
            db.add(AuditLog(event_id=event_id, actor=user_id, action="pitch.withdraw", detail={"pitch": pitch_id}))
            db.flush()
        return _card(db, pitch, ctx.now())


def merge_pitches(ctx: AppContext, event_id: int, source_id: int, target_id: int, *, actor: str) -> MergeResult:
    """Fold duplicate `source` into `target`: votes move (one per person), paper votes add
    up, the source's hosts join the target, the source is marked merged."""
    if source_id == target_id:
        raise ServiceError("Those are the same pitch; give two different numbers.")
    with session_scope(ctx.engine) as db:
        source, target = _pitch(db, event_id, source_id), _pitch(db, event_id, target_id)
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
        if set(both) < set(_slot_keys(db, event_id)):
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
        return MergeResult(source=_card(db, source, now), target=_card(db, target, now), moved=moved,
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
        repeat = _by_submission_key(db, submission_key)
        if repeat is not None:
            return _card(db, repeat, ctx.now())
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
        _set_hosts(db, pitch.id, [h.id for h in hosts if h.id is not None])
        db.add(AuditLog(event_id=event_id, actor=actor, action="pitch.paper", detail={"pitch": pitch.id}))
        db.flush()
        return _card(db, pitch, ctx.now())


def set_paper_votes(ctx: AppContext, event_id: int, pitch_id: int, paper_votes: int, *, actor: str) -> PitchCard:
    if not 0 <= paper_votes <= PAPER_VOTES_MAX:
        raise ServiceError(f"The show of hands is a count from 0 to {PAPER_VOTES_MAX}.")
    with session_scope(ctx.engine) as db:
        pitch = _pitch(db, event_id, pitch_id)
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
        return _card(db, pitch, ctx.now())


def get_pitch_card(ctx: AppContext, event_id: int, pitch_id: int) -> PitchCard:
    with session_scope(ctx.engine) as db:
        return _card(db, _pitch(db, event_id, pitch_id), ctx.now())


def list_pitches(ctx: AppContext, event_id: int, *, statuses: Iterable[str] | None = ("active",)) -> list[PitchCard]:
    """Pitches in creation order (all statuses when `statuses` is None)."""
    with session_scope(ctx.engine) as db:
        query = select(Pitch).where(Pitch.event_id == event_id)
        if statuses is not None:
            query = query.where(Pitch.status.in_(list(statuses)))  # type: ignore[attr-defined]
        return [_card(db, p, ctx.now()) for p in db.exec(query.order_by(Pitch.id))]  # type: ignore[arg-type]


def set_card_message(ctx: AppContext, pitch_id: int, channel: str, ts: str) -> None:
    """Remember where the pitch's card was posted, so votes and edits can update it."""
    with session_scope(ctx.engine) as db:
        pitch = db.get(Pitch, pitch_id)
        if pitch is None:
            raise NotFound(f"There is no pitch #{pitch_id}.")
        pitch.channel, pitch.message_ts = channel, ts
        db.add(pitch)


def parse_pitch_ref(text: str) -> int:
    """'#12' or '12' -> 12, with a fix in the message otherwise."""
    m = re.fullmatch(r"#?(\d{1,9})", text.strip())
    if not m:
        raise ServiceError(f"'{text}' is not a pitch number; use the number on the card, like #12.")
    return int(m.group(1))


@dataclass(frozen=True)
class PaperCommand:
    title: str
    hosts: list[str] = field(default_factory=list)
    votes: int = 0


PAPER_USAGE = 'paper "Session title" by Name, Other Name votes 12'


def parse_paper_command(text: str) -> PaperCommand:
    """Read `"Title" by Name, Name votes N` (straight or curly quotes; `votes N` optional)."""
    norm = text.replace("“", '"').replace("”", '"').strip()
    m = re.fullmatch(
        r'"(?P<title>[^"]+)"\s+by\s+(?P<hosts>.+?)(?:\s+votes?\s+(?P<votes>-?\d+))?\s*',
        norm,
        flags=re.IGNORECASE | re.DOTALL,
    )
    if not m:
        raise ServiceError(f"I couldn't read that. Use: `/camp {PAPER_USAGE}`")
    hosts = [h.strip() for h in re.split(r",|\band\b|&", m.group("hosts")) if h.strip()]
    return PaperCommand(title=m.group("title").strip(), hosts=hosts, votes=int(m.group("votes") or 0))


# --------------------------------------------------------------------------- a host named by Person id
# The web face's attendees (campbot.services.attendees.voter_person_id) are people with or
# without a Slack id. These are the Slack entry points above for a host named by Person id:
# the same checks (`_checked`, so the same field errors word for word), the same limit on
# pitches per person, the same hosts-only rule. Co-hosts are not chosen on the web (it has no
# way to pick a Slack user), so an edit keeps the pitch's hosts as they are.


def _person(db: Session, event_id: int, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.event_id != event_id:
        raise NotFound("We could not find you at this camp any more: open your personal link again.")
    return person


def _hosted_by(db: Session, event_id: int, pitch_id: int, person_id: int) -> Pitch:
    pitch = _pitch(db, event_id, pitch_id)
    if not _is_host(db, pitch_id, person_id):
        raise NotAllowed("Only the session's hosts can change it. Ask one of them, or an organiser.")
    return pitch


def submit_pitch_for_person(
    ctx: AppContext, event_id: int, person_id: int, data: PitchInput, *, submission_key: str | None
) -> Submitted:
    """`submit_pitch` for a host named by Person id: the form sent twice (same `submission_key`)
    returns the pitch saved the first time. InvalidPitch (field errors) stores nothing."""
    data = PitchInput(**{**data.__dict__, "cohost_user_ids": ()})
    actor = f"person:{person_id}"
    try:
        with session_scope(ctx.engine) as db:
            data = _checked(db, event_id, data, None, max_hosts=ctx.settings.hosts_per_pitch)
            owner = _person(db, event_id, person_id)
            repeat = _by_submission_key(db, submission_key)
            if repeat is not None:
                return Submitted(_card(db, repeat, ctx.now()), created=False)
            _check_pitch_count(db, event_id, owner, ctx.settings.pitches_per_person)
            return Submitted(_insert_pitch(db, ctx, event_id, actor, owner, data, submission_key), created=True)
    except IntegrityError:
        if submission_key is None:
            raise
        with session_scope(ctx.engine) as db:
            twin = _by_submission_key(db, submission_key)
            if twin is None:
                raise
            return Submitted(_card(db, twin, ctx.now()), created=False)


def pitch_for_edit_by_person(
    ctx: AppContext, event_id: int, pitch_id: int, person_id: int
) -> tuple[PitchCard, PitchInput]:
    """The current values to pre-fill the web's edit form; NotAllowed unless the person hosts it."""
    with read_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can no longer be changed.")
        card = _card(db, pitch, ctx.now())
        return card, PitchInput(
            title=pitch.title, description=pitch.description, format=pitch.format, length=pitch.length,
            needs=tuple(pitch.needs), unavailable_slots=tuple(pitch.unavailable_slots), tags=tuple(pitch.tags),
        )


def edit_pitch_for_person(ctx: AppContext, event_id: int, pitch_id: int, person_id: int,
                          data: PitchInput) -> PitchCard:
    """`edit_pitch` for a host named by Person id; the hosts stay as they are."""
    data = PitchInput(**{**data.__dict__, "cohost_user_ids": ()})
    with session_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status != "active":
            raise ServiceError("That pitch was withdrawn or merged, so it can't be edited.")
        data = _checked(db, event_id, data, None, max_hosts=ctx.settings.hosts_per_pitch)
        _apply(pitch, data)
        pitch.updated_at = ctx.now()
        db.add(pitch)
        db.add(AuditLog(event_id=event_id, actor=f"person:{person_id}", action="pitch.edit",
                        detail={"pitch": pitch_id}))
        db.flush()
        return _card(db, pitch, ctx.now())


def withdraw_pitch_for_person(ctx: AppContext, event_id: int, pitch_id: int, person_id: int) -> PitchCard:
    """`withdraw_pitch` for a host named by Person id (withdrawing twice is fine)."""
    with session_scope(ctx.engine) as db:
        pitch = _hosted_by(db, event_id, pitch_id, person_id)
        if pitch.status == "active":
            pitch.status = "withdrawn"
            pitch.updated_at = ctx.now()
            db.add(pitch)
            db.add(AuditLog(event_id=event_id, actor=f"person:{person_id}", action="pitch.withdraw",
                            detail={"pitch": pitch_id}))
            db.flush()
        return _card(db, pitch, ctx.now())

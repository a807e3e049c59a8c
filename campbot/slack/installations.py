"""A workspace leaving: `app_uninstalled` and `tokens_revoked` clean up after it.

When a workspace uninstalls campbot, Slack sends `app_uninstalled` (and `tokens_revoked`);
from then on every call with its token fails. What we hold for it goes:

* its installation rows (bot and user tokens) from slack_sdk's installation store, so no
  worker authorises a request or sends a message with a dead token;
* its camps: every event with that `team_id` and everything hanging off it (rooms, slots,
  people, attendees, pitches and hosts, votes, solve runs, grid versions and placements, sent
  notifications, audit entries), in one transaction, so a half-deleted camp never exists;
* its scheduled jobs (reminders, grid and voting posts) from the shared job store, so the
  scheduler never fires them.

`tokens_revoked` alone (an admin revoking the bot token, the app still installed) removes
the tokens and the jobs that would use them, and keeps the camp's data, since re-installing
brings the bot back to the same camp; until then nothing is scheduled for it (campbot.slack.token_state).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import column, delete, inspect, or_, select, table, update
from sqlalchemy.engine import Engine

from campbot.config.context import AppContext
from campbot.services.notifying import ITEM_KINDS
from campbot.slack.oauth import installation_store, oauth_enabled
from campbot.slack.token_state import record_revoked
from campbot.store.db import session_scope
from campbot.store.tables import (
    Attendee,
    AuditLog,
    Event,
    GridVersion,
    Person,
    Pitch,
    PitchHost,
    Placement,
    Room,
    SentNotification,
    Slot,
    SolveRun,
    Vote,
)

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"  # campbot.jobs.scheduling.JOB_TABLE
# Job ids are "<kind>:<event id>" or "<kind>:<event id>:<slot>" (campbot.services.notifying.Item.job_id).
JOB_KINDS = ITEM_KINDS


@dataclass(frozen=True)
class TeamCleanup:
    team_id: str
    events: int
    installations: int
    jobs: int


def _t(model: Any) -> Any:
    """The Core table of a SQLModel class (plain columns: no ORM, no per-row loading)."""
    return model.__table__


def team_event_ids(ctx: AppContext, team_id: str) -> list[int]:
    events = _t(Event)
    with ctx.engine.connect() as conn:
        return [int(i) for i in conn.execute(select(events.c.id).where(events.c.team_id == team_id)).scalars()]


def all_event_ids(ctx: AppContext) -> list[int]:
    events = _t(Event)
    with ctx.engine.connect() as conn:
        return [int(i) for i in conn.execute(select(events.c.id)).scalars()]


def _delete_events(ctx: AppContext, event_ids: list[int]) -> None:
    """Children before parents, all in one transaction."""
    if not event_ids:
        return
    pitch, version = _t(Pitch), _t(GridVersion)
    pitch_ids = select(pitch.c.id).where(pitch.c.event_id.in_(event_ids))
    version_ids = select(version.c.id).where(version.c.event_id.in_(event_ids))
    with session_scope(ctx.engine) as db:
        run = db.connection().execute
        run(delete(_t(Placement)).where(_t(Placement).c.grid_version_id.in_(version_ids)))
        run(delete(_t(PitchHost)).where(_t(PitchHost).c.pitch_id.in_(pitch_ids)))
        for child in (Vote, GridVersion, SolveRun, SentNotification, AuditLog, Attendee):
            run(delete(_t(child)).where(_t(child).c.event_id.in_(event_ids)))
        # pitches point at pitches (merged_into) and at people (created_by): unlink, then delete
        run(update(pitch).where(pitch.c.event_id.in_(event_ids)).values(merged_into_id=None, created_by_id=None))
        for owned in (Pitch, Person, Room, Slot):
            run(delete(_t(owned)).where(_t(owned).c.event_id.in_(event_ids)))
        run(delete(_t(Event)).where(_t(Event).c.id.in_(event_ids)))


def _job_ids_filter(event_ids: list[int]) -> list[str]:
    return [f"{kind}:{eid}" for kind in JOB_KINDS for eid in event_ids]


def remove_jobs(engine: Engine, event_ids: list[int]) -> int:
    """Delete these events' jobs from the shared APScheduler store (if it exists yet)."""
    if not event_ids or not inspect(engine).has_table(JOB_TABLE):
        return 0
    jobs = table(JOB_TABLE, column("id"))
    conditions = []
    for prefix in _job_ids_filter(event_ids):
        conditions += [jobs.c.id == prefix, jobs.c.id.like(prefix + ":%")]
    with engine.begin() as conn:
        return int(conn.execute(delete(jobs).where(or_(*conditions))).rowcount or 0)


def _delete_installations(ctx: AppContext, team_id: str, enterprise_id: str | None) -> int:
    if not oauth_enabled(ctx.settings):
        return 0
    store = installation_store(ctx)
    with ctx.engine.connect() as conn:
        before = conn.execute(
            select(store.bots.c.id).where(store.bots.c.team_id == team_id, store.bots.c.client_id == store.client_id)
        ).all()
        before_i = conn.execute(
            select(store.installations.c.id).where(
                store.installations.c.team_id == team_id, store.installations.c.client_id == store.client_id
            )
        ).all()
    store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
    return len(before) + len(before_i)


def forget_team(ctx: AppContext, team_id: str, *, enterprise_id: str | None = None) -> TeamCleanup:
    """`app_uninstalled`: the workspace's tokens, camps and jobs, all gone."""
    event_ids = team_event_ids(ctx, team_id)
    installs = _delete_installations(ctx, team_id, enterprise_id)
    _delete_events(ctx, event_ids)  # first, so the scheduler's re-sync cannot plan them again
    jobs = remove_jobs(ctx.engine, event_ids)
    log.warning("workspace %s uninstalled campbot: removed %d camp(s), %d installation row(s), %d job(s)",
                team_id, len(event_ids), installs, jobs)
    return TeamCleanup(team_id, len(event_ids), installs, jobs)


def revoke_team_tokens(ctx: AppContext, team_id: str, *, enterprise_id: str | None = None) -> TeamCleanup:
    """`tokens_revoked` (bot token): the tokens and the jobs that would use them; data kept.
    The revocation is recorded first (campbot.slack.token_state), so the scheduler's re-sync plans
    nothing for these camps until the workspace installs campbot again."""
    # one workspace (SLACK_BOT_TOKEN): every camp sends with that one token, whatever its team_id
    event_ids = team_event_ids(ctx, team_id) if oauth_enabled(ctx.settings) else all_event_ids(ctx)
    record_revoked(ctx, team_id, event_ids)
    installs = _delete_installations(ctx, team_id, enterprise_id)
    jobs = remove_jobs(ctx.engine, event_ids)
    log.warning("workspace %s revoked campbot's tokens: removed %d installation row(s), %d job(s)",
                team_id, installs, jobs)
    return TeamCleanup(team_id, 0, installs, jobs)

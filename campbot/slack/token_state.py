"""Whether a camp's workspace has a bot token campbot may use, and why not.

After Slack's `tokens_revoked` (an admin revoked the bot token; the app may still be
installed) every call with that token fails. The camp's data stays, but nothing may be
scheduled or sent for it until the workspace installs campbot again: otherwise the
scheduler's minute-by-minute re-sync (campbot.jobs.scheduling) plans the reminders again and every one of
them fails and is retried.

The revocation is remembered as an audit entry per camp holding a fingerprint (the first
16 hex digits of a SHA-256; never the token) of the token the camp used. The camp can send
again as soon as the token it would use now is a different one: a new installation through
"Add to Slack" (multi-workspace) or a new SLACK_BOT_TOKEN (single workspace). In
multi-workspace mode a camp whose workspace has no installation at all cannot send either.
"""

from __future__ import annotations

import hashlib

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.slack.oauth import INSTALL_PATH, bot_token_for_team, oauth_enabled
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event

REVOKED = "slack.tokens_revoked"


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def current_token(ctx: AppContext, team_id: str | None) -> str | None:
    """The token a camp of this workspace sends with: its installation's, else SLACK_BOT_TOKEN
    (the same choice as campbot.slack.slack_client.client_for_event)."""
    installed = bot_token_for_team(ctx, team_id)
    if installed:
        return installed
    return ctx.settings.slack_bot_token.get_secret_value() if ctx.settings.slack_bot_token else None


def record_revoked(ctx: AppContext, team_id: str, event_ids: list[int]) -> None:
    """Remember, per camp, that the token it uses now was revoked (call before the
    installation rows are deleted, so the token can still be looked up)."""
    token = current_token(ctx, team_id)
    detail = {"team_id": team_id, "token": fingerprint(token) if token else ""}
    with session_scope(ctx.engine) as db:
        for event_id in event_ids:
            db.add(AuditLog(event_id=event_id, actor="slack", action=REVOKED, detail=detail))


def token_problem(ctx: AppContext, event: Event) -> str | None:
    """None when the camp can send to Slack; else a sentence saying why not and the fix."""
    install = f"{ctx.settings.public_url.rstrip('/')}{INSTALL_PATH}"
    token = current_token(ctx, event.team_id)
    with session_scope(ctx.engine) as db:
        revoked = db.exec(
            select(AuditLog).where(AuditLog.event_id == event.id, AuditLog.action == REVOKED)
            .order_by(col(AuditLog.id).desc()).limit(1)
        ).first()
    if revoked is not None and (token is None or fingerprint(token) == revoked.detail.get("token")):
        fix = f"add it again at {install}" if oauth_enabled(ctx.settings) else "set a new SLACK_BOT_TOKEN"
        when = revoked.created_at.strftime("%d %b %H:%M UTC")
        return (f"Slack revoked campbot's bot token for this workspace ({when}): no reminders or posts are "
                f"scheduled or sent until campbot is installed again ({fix}).")
    if token is None and oauth_enabled(ctx.settings):
        return (f"campbot is not installed in this camp's workspace: no reminders or posts are scheduled or "
                f"sent until it is (add it at {install}).")
    return None

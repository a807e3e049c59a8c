"""Multi-workspace install through Slack OAuth ("Add to Slack"), stored in our own database.

Enabled when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (HTTP mode). Then:

* GET /slack/install shows the "Add to Slack" page and GET /slack/oauth_redirect finishes the
  install (Bolt's OAuth flow; campbot.server.http_app routes both paths to Bolt);
* every installation (one bot token per workspace) is saved by slack_sdk's
  SQLAlchemyInstallationStore in the bot's own database (tables slack_installations,
  slack_bots, slack_oauth_states beside ours), so every worker process sees it at once;
* each request is authorised from that store (Bolt's InstallationStoreAuthorize): the
  listener's `client` carries *that* workspace's token, never another's;
* the single SLACK_BOT_TOKEN is not needed (nor used for Slack requests).

Without the two settings the bot is single-workspace, as before (SLACK_BOT_TOKEN).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from campbot.config.context import AppContext
from campbot.config.settings import Settings

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes of app.yaml (oauth_config.scopes.bot): what the install asks each workspace for.
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "im:history", "im:write", "pins:write", "users:read",
              "usergroups:read")
STATE_EXPIRY_SECONDS = 600

_stores: dict[int, tuple[SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore]] = {}


_lock = threading.Lock()


def oauth_enabled(settings: Settings) -> bool:
    """True when the app is set up for installing into many workspaces."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def _create_tables(engine: Engine, *stores: Any) -> None:
    """CREATE TABLE IF NOT EXISTS, tolerating another worker creating them at the same moment."""
    for attempt in range(3):
        try:
            for store in stores:
                store.metadata.create_all(engine)  # checkfirst
            return
        except DBAPIError:
            if attempt == 2:
                raise
            log.info("OAuth tables were being created by another process; checking again")


def stores_for(ctx: AppContext) -> tuple[SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore]:
    """The installation and OAuth-state stores on this context's engine (tables created once)."""
    assert ctx.settings.slack_client_id, "SLACK_CLIENT_ID is needed for the installation store"
    with _lock:
        found = _stores.get(id(ctx.engine))
        if found is None:
            installations = SQLAlchemyInstallationStore(
                client_id=ctx.settings.slack_client_id, engine=ctx.engine, logger=logging.getLogger("campbot.oauth")
            )
            states = SQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_EXPIRY_SECONDS, engine=ctx.engine, logger=logging.getLogger("campbot.oauth")
            )
            _create_tables(ctx.engine, installations, states)
            found = _stores[id(ctx.engine)] = (installations, states)
        return found


def installation_store(ctx: AppContext) -> SQLAlchemyInstallationStore:
    return stores_for(ctx)[0]


class ResilientAuthorize(InstallationStoreAuthorize):  # type: ignore[misc]
    """Bolt's installation-store authorize, that survives a database outage for known teams.

    Every request is authorised by reading the team's installation from the database. If the
    database is away that read fails, and Bolt would answer 500 before any of our code runs.
    Here the last token this process read for the team is used instead (only then: normally
    every request reads the store, so an uninstall or a revoked token takes effect at once),
    and the request goes on to campbot.slack.app, which tells the person the database is away
    (campbot.slack.outage). A team this process has never seen still fails.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last: dict[tuple[str | None, str | None], AuthorizeResult] = {}
        self._last_lock = threading.Lock()

    def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None, user_id: str | None,
                 **kwargs: Any) -> AuthorizeResult | None:
        key = (enterprise_id, team_id)
        try:
            result = super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id,
                                      user_id=user_id, **kwargs)
        except SQLAlchemyError as exc:
            with self._last_lock:
                cached = self._last.get(key)
            if cached is None:
                raise
            log.warning("installation store unavailable (%s); using team %s's last known token",
                        type(exc).__name__, team_id)
            return cached
        with self._last_lock:
            if result is None:
                self._last.pop(key, None)
            else:
                self._last[key] = result
        return result


def oauth_settings_for(ctx: AppContext) -> OAuthSettings | None:
    """Bolt's OAuthSettings for this context, or None for a single-workspace bot."""
    settings = ctx.settings
    if not oauth_enabled(settings):
        return None
    assert settings.slack_client_secret is not None and settings.slack_client_id is not None
    installations, states = stores_for(ctx)
    base = settings.public_url.rstrip("/")
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=f"{base}{REDIRECT_PATH}",
        install_page_rendering_enabled=True,
    )
    oauth.authorize = ResilientAuthorize(
        logger=logging.getLogger("campbot.oauth"),
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        installation_store=installations,
        bot_only=oauth.installation_store_bot_only,
        user_token_resolution=oauth.user_token_resolution,
    )
    return oauth


def bot_token_for_team(ctx: AppContext, team_id: str | None) -> str | None:
    """The installed bot token of a workspace, for sends that no Slack request carries
    (reminders, publishing from the CLI or a sweep); None outside OAuth mode or if not installed."""
    if not team_id or not oauth_enabled(ctx.settings):
        return None
    bot = installation_store(ctx).find_bot(enterprise_id=None, team_id=team_id)
    return bot.bot_token if bot is not None else None

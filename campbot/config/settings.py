"""Runtime configuration, read from the environment (and an optional `.env`).

Slack's own variable names are kept (`SLACK_BOT_TOKEN`...) so the usual deployment recipes
work; everything campbot-specific is prefixed `CAMPBOT_`. Secrets are `SecretStr` so they
never end up in a log line or a traceback by accident.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    socket = "socket"
    http = "http"



class Settings(BaseSettings):
    """Every knob of a running bot; README.md "Configuration" lists them with their env vars."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_client_id: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET")
    )

    database_url: str = "sqlite:///campbot.db"
    slack_api_url: str = "https://slack.com/api/"
    mode: Mode = Mode.socket
    http_host: str = "127.0.0.1"
    http_port: int = 3000
    # The HTTP front (campbot.server.http_front): deadlines for a request's head and body, sockets per process,
    # app threads per process.
    http_header_timeout: float = Field(default=10.0, gt=0)
    http_body_timeout: float = Field(default=10.0, gt=0)
    # an idle kept-alive connection stays open this long: longer than the 60 s a proxy (nginx's
    # upstream keepalive, a cloud load balancer) or a client's pool keeps one, so the server is
    # never the side that closes a connection just as the next request is sent on it (a reset click)
    http_keepalive_timeout: float = Field(default=75.0, gt=0)
    http_max_connections: int = Field(default=500, ge=1)
    http_threads: int = Field(default=16, ge=1)
    log_level: str = "INFO"
    event: str | None = None
    public_url: str = "http://localhost:3000"
    freeze_minutes: int = 10
    reminder_minutes: int = 10
    solve_seconds: float = 30.0
    solve_workers: int = 2
    # Abuse limits (campbot.services.pitching): a person's active pitches, and hosts named on one pitch.
    pitches_per_person: int = Field(default=10, ge=1)
    hosts_per_pitch: int = Field(default=6, ge=1)
    # Slack rate limits to pace under, over Slack's documented ones (campbot.slack.outbound.limits), e.g.
    # "chat.update=3/2,post-per-channel=2/1" (CALLS/SECONDS); tests and benchmarks use small ones.
    # Their format is Slack's business: checked at start-up by the command line and `campbot serve`
    # (campbot.slack.outbound.limits.parse_overrides), not here.
    slack_limits: str = ""
    # Attendee links (campbot.services.attendees): the key that signs them. Unset, campbot makes one
    # and keeps it in the database, so links survive restarts; setting it later changes every link.
    web_secret: SecretStr | None = None
    # Reverse proxies in front of campbot that add X-Forwarded-For (nginx, Caddy): the web face then
    # rate-limits by the client's address rather than the proxy's. 0 trusts no such header.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # Mailing attendee links (`campbot attendees send`, campbot.services.mailer): host and from are needed;
    # user and password go together (or neither, for a relay that takes mail without a login).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags, tests) on top."""
    return Settings(**overrides)  # type: ignore[arg-type]

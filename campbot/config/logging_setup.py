"""Logging for every entry point, with secrets scrubbed from every record.

slack_sdk logs request headers at DEBUG, and an exception message may quote a URL with a
token in it; rather than trusting every call site, a filter on the root handlers rewrites
anything that looks like a Slack token, plus the configured secrets themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from campbot.config.settings import Settings

TOKEN_PATTERN = re.compile(r"\b(xox[abposr]|xapp)-[0-9A-Za-z-]{6,}")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (with its args applied) so no secret survives formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_PATTERN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        clean = self.scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.msg, record.args = clean, ()
        return True


def settings_secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret,
              settings.slack_client_secret]
    return [v.get_secret_value() for v in values if v is not None]


def configure_logging(settings: Settings | None = None, level: str | None = None) -> RedactSecrets:
    """Set the root logger up once per process; returns the filter so tests can inspect it."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    root.setLevel((level or (settings.log_level if settings else "WARNING")).upper())
    redactor = RedactSecrets(settings_secrets(settings) if settings else ())
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    return redactor

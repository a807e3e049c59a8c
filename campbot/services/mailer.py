"""Sending email over SMTP: one job, used by `campbot attendees send`.

One connection carries every message (a camp's 1,300 links should not be 1,300 logins, which
providers throttle); a refused address is recorded and the next message goes on, and a dropped
connection is opened again once. The password is a SecretStr and is never printed or logged.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

from pydantic import SecretStr

from campbot.config.settings import Settings
from campbot.services.errors import ServiceError

TIMEOUT = 30.0


class MailError(ServiceError):
    """Nothing can be sent: settings missing, the server unreachable, or the login refused."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: SecretStr | None = None
    starttls: bool = True


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP settings, or a refusal naming the setting that is missing."""
    missing = [name for name, value in (("CAMPBOT_SMTP_HOST", settings.smtp_host),
                                        ("CAMPBOT_SMTP_FROM", settings.smtp_from)) if not value]
    has_password = settings.smtp_password is not None and bool(settings.smtp_password.get_secret_value())
    if settings.smtp_user and not has_password:
        missing.append("CAMPBOT_SMTP_PASSWORD (CAMPBOT_SMTP_USER is set)")
    if has_password and not settings.smtp_user:
        missing.append("CAMPBOT_SMTP_USER (CAMPBOT_SMTP_PASSWORD is set)")
    if missing:
        raise MailError("cannot send email: set " + ", ".join(missing) + " (and CAMPBOT_SMTP_PORT, default 587; "
                        "CAMPBOT_SMTP_STARTTLS, default true)")
    assert settings.smtp_host is not None and settings.smtp_from is not None
    return SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user or None,
                      settings.smtp_password if has_password else None, settings.smtp_starttls)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)  # recipient addresses
    failed: list[tuple[str, str]] = field(default_factory=list)  # (recipient, why)


def _recipient(message: EmailMessage) -> str:
    return str(message.get("To", ""))


class _Connection:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        c = self.config
        try:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot connect to the SMTP server {c.host}:{c.port} ({exc}); check CAMPBOT_SMTP_HOST "
                            "and CAMPBOT_SMTP_PORT") from None
        try:
            smtp.ehlo()
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if c.user and c.password is not None:
                smtp.login(c.user, c.password.get_secret_value())
        except smtplib.SMTPAuthenticationError:
            smtp.close()
            raise MailError(f"the SMTP server refused the login of {c.user}; check CAMPBOT_SMTP_USER and "
                            "CAMPBOT_SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError as exc:
            smtp.close()
            raise MailError(f"the SMTP server {c.host}:{c.port} does not offer {exc}; set CAMPBOT_SMTP_STARTTLS=false "
                            "only for a server on this machine or your own network") from None
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise MailError(f"the SMTP server {c.host}:{c.port} failed while starting the session ({exc})") from None
        self.smtp = smtp
        return smtp

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def quit(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self.smtp = None


def send_messages(
    config: SmtpConfig,
    messages: Iterable[EmailMessage],
    on_result: Callable[[EmailMessage, str | None], None] | None = None,
) -> SendReport:
    """Send each message over one connection. `on_result(message, None)` after each one sent,
    `on_result(message, why)` after each one refused, as it happens, so the caller can record
    progress even if the run is cut short. MailError only when nothing could be sent at all
    (no connection or login at the start)."""
    report = SendReport()
    connection = _Connection(config)
    connection.open()
    try:
        for message in messages:
            why = _send_one(connection, message)
            if why is None:
                report.sent.append(_recipient(message))
            else:
                report.failed.append((_recipient(message), why))
            if on_result is not None:
                on_result(message, why)
    finally:
        connection.quit()
    return report


def _send_one(connection: _Connection, message: EmailMessage) -> str | None:
    for attempt in (1, 2):
        try:
            refused = connection.open().send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            return "; ".join(f"refused by the server: {code} {_text(reply)}" for code, reply in exc.recipients.values())
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return f"refused by the server: {exc.smtp_code} {_text(exc.smtp_error)}"
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
            connection.drop()  # the server hung up (idle timeout, message limit): one fresh connection
            if attempt == 2:
                return f"the connection to the SMTP server was lost ({exc or type(exc).__name__})"
            try:
                connection.open()
            except MailError as again:
                return str(again)
            continue
        except smtplib.SMTPException as exc:
            return f"the SMTP server answered: {exc}"
        if refused:
            return "; ".join(f"refused by the server: {code} {_text(reply)}" for code, reply in refused.values())
        return None
    return "not sent"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply

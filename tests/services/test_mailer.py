"""campbot.services.mailer against a real SMTP server (aiosmtpd on a free local port): one
connection for many messages, a server that hangs up mid-run, and the errors an organiser sees
when nothing can be sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from campbot.config.settings import load_settings
from campbot.services.mailer import MailError, SmtpConfig, send_messages, smtp_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HangingUpSink:
    """Keeps messages; hangs up once, at the start of message number `hang_up_at` (1-based)."""

    hang_up_at: int = 0
    received: list[str] = field(default_factory=list)
    sessions: set[int] = field(default_factory=set)
    hung_up: bool = False

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.sessions.add(id(session))
        if not self.hung_up and len(self.received) + 1 == self.hang_up_at:
            self.hung_up = True
            server.transport.close()  # as a server does at its per-connection message limit
            return "421 4.7.0 closing connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[HangingUpSink, int]]:
    handler, port = HangingUpSink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def message(to: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "camp@example.org", to, "Your link"
    m.set_content("hello")
    return m


def test_many_messages_go_over_one_connection(sink: tuple[HangingUpSink, int]) -> None:
    handler, port = sink
    addresses = [f"p{i}@example.org" for i in range(5)]
    seen: list[tuple[str, str | None]] = []
    report = send_messages(SmtpConfig("127.0.0.1", port, "camp@example.org", starttls=False),
                           [message(a) for a in addresses], on_result=lambda m, why: seen.append((m["To"], why)))
    assert report.sent == addresses and report.failed == []
    assert handler.received == addresses and len(handler.sessions) == 1
    assert seen == [(a, None) for a in addresses]  # reported one by one, as they went


def test_a_server_that_hangs_up_gets_one_new_connection_and_nothing_is_lost(sink: tuple[HangingUpSink, int]) -> None:
    handler, port = sink
    handler.hang_up_at = 3
    addresses = [f"p{i}@example.org" for i in range(5)]
    report = send_messages(SmtpConfig("127.0.0.1", port, "camp@example.org", starttls=False),
                           [message(a) for a in addresses])
    assert handler.hung_up
    assert report.sent == addresses and report.failed == []
    assert handler.received == addresses and len(handler.sessions) == 2


def test_nothing_to_connect_to_or_no_tls_is_said_plainly(sink: tuple[HangingUpSink, int]) -> None:
    _handler, port = sink
    with pytest.raises(MailError, match=r"cannot connect to the SMTP server 127\.0\.0\.1:\d+ .*CAMPBOT_SMTP_HOST"):
        send_messages(SmtpConfig("127.0.0.1", free_port(), "camp@example.org"), [message("a@example.org")])
    with pytest.raises(MailError, match="does not offer .*CAMPBOT_SMTP_STARTTLS=false"):
        send_messages(SmtpConfig("127.0.0.1", port, "camp@example.org", starttls=True), [message("a@example.org")])


def test_the_settings_say_which_one_is_missing() -> None:
    with pytest.raises(MailError, match="set CAMPBOT_SMTP_FROM"):
        smtp_config(load_settings(smtp_host="smtp.example.org", smtp_from=None))
    with pytest.raises(MailError, match=r"CAMPBOT_SMTP_USER \(CAMPBOT_SMTP_PASSWORD is set\)"):
        smtp_config(load_settings(smtp_host="h", smtp_from="f@example.org", smtp_password="pw", smtp_user=None))
    config = smtp_config(load_settings(smtp_host="h", smtp_from="f@example.org", smtp_user="u", smtp_password="pw"))
    assert config.password is not None and "pw" not in repr(config)  # a SecretStr: never printed

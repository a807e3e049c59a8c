"""`campbot attendees ...` as an organiser runs it: a real process, a real database, the printable
sheet read back (its QR codes decoded by an independent decoder, zxing-cpp), and the links mailed
to a real SMTP server (aiosmtpd) listening on a free local port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import EXAMPLE_EVENT, ROOT

ROSTER = (
    "\ufeffFirst Name;Last Name;Email Address;Ticket Reference\r\n"
    "Ada;Lovelace;ada@example.org;T-1\r\n"
    "\r\n"
    "<img src=x onerror=alert(1)>;& Eve;eve@example.org;T-2\r\n"
    "Grace;Hopper;GRACE@example.org;T-3\r\n"
    "Bob;Jones;bob at example.org;T-4\r\n"
)
LINK = re.compile(r"http://camp\.test/me/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]{32}")


def campbot(*args: str, db: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CAMPBOT_DATABASE_URL": db, "CAMPBOT_PUBLIC_URL": "http://camp.test", "COLUMNS": "200",
            "CAMPBOT_LOG_LEVEL": "WARNING", **env}
    for name in ("CAMPBOT_SMTP_HOST", "CAMPBOT_SMTP_FROM", "CAMPBOT_SMTP_USER", "CAMPBOT_SMTP_PASSWORD"):
        if name not in env:
            full.pop(name, None)
    return subprocess.run([sys.executable, "-m", "campbot", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=120)


@pytest.fixture
def camp(database_url: str, tmp_path: Path) -> str:
    loaded = campbot("event", "load", str(EXAMPLE_EVENT), db=database_url)
    assert loaded.returncode == 0, loaded.stderr
    roster = tmp_path / "tickets.csv"
    roster.write_bytes(ROSTER.encode("utf-8"))
    imported = campbot("attendees", "import", str(roster), db=database_url)
    assert imported.returncode == 1, imported.stderr  # one row left out
    assert "3 added, 0 updated, 0 unchanged" in imported.stdout
    assert "line 6: 'bob at example.org' is not an email address" in imported.stderr
    return database_url


def links_by_email(db: str) -> dict[str, str]:
    listed = campbot("attendees", "links", db=db)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines() if line.strip()]
    assert all(len(r) == 3 and LINK.fullmatch(r[2]) for r in rows), listed.stdout
    return {email: link for _name, email, link in rows}


def test_import_again_and_refusals(camp: str, tmp_path: Path) -> None:
    again = tmp_path / "again.csv"
    again.write_bytes(ROSTER.encode("utf-8"))
    result = campbot("attendees", "import", str(again), db=camp)
    assert "0 added, 0 updated, 3 unchanged" in result.stdout

    sheet = tmp_path / "tickets.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    refused = campbot("attendees", "import", str(sheet), db=camp)
    assert refused.returncode == 2
    assert "tickets.xlsx: this is a spreadsheet file (.xlsx/.xls), not CSV" in refused.stderr
    assert "nothing was imported" in refused.stderr and "Traceback" not in refused.stderr
    missing = campbot("attendees", "import", str(tmp_path / "nope.csv"), db=camp)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


class _Sheet(HTMLParser):
    """The cards of the sheet: each card's name and the SVG paths inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, Any]] = []
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section" and attr.get("class") == "card":
            self.cards.append({"name": "", "svgs": 0, "paths": [], "size": 0})
        elif self.cards and tag == "h2":
            self._in_name = True
        elif self.cards and tag == "svg":
            self.cards[-1]["svgs"] += 1
            self.cards[-1]["size"] = int((attr.get("viewbox") or "0 0 0 0").split()[2])
        elif self.cards and tag == "path":
            self.cards[-1]["paths"].append(attr.get("d") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_name = False

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self.cards[-1]["name"] += data


def decode_qr(path: str, size: int) -> list[str]:
    """Draw the SVG path's modules into an image and read it with zxing-cpp."""
    image = np.full((size, size), 255, dtype=np.uint8)
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        image[int(y), int(x):int(x) + int(run)] = 0
    scaled = np.kron(image, np.ones((6, 6), dtype=np.uint8))
    return [found.text for found in zxingcpp.read_barcodes(scaled)]


def test_the_printable_sheet_has_one_escaped_card_and_scannable_code_each(camp: str, tmp_path: Path) -> None:
    sheet = tmp_path / "desk.html"
    result = campbot("attendees", "links", "--sheet", str(sheet), db=camp)
    assert result.returncode == 0, result.stderr
    assert f"wrote {sheet} (3 cards)" in result.stderr
    html = sheet.read_text(encoding="utf-8")
    assert "<img" not in html and "onerror=alert(1)&gt;" in html  # the name is text, not markup
    assert "@media print" in html and "break-inside: avoid" in html
    parser = _Sheet()
    parser.feed(html)
    names = [c["name"] for c in parser.cards]
    assert names == ["<img src=x onerror=alert(1)> & Eve", "Ada Lovelace", "Grace Hopper"]
    assert [c["svgs"] for c in parser.cards] == [1, 1, 1]
    links = links_by_email(camp)
    wanted = [links["eve@example.org"], links["ada@example.org"], links["grace@example.org"]]
    assert [decode_qr(c["paths"][0], c["size"]) for c in parser.cards] == [[link] for link in wanted]


@dataclass
class Sink:
    """An SMTP server's handler: keeps what it is given, refuses the addresses it is told to."""

    refuse: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret-pass-word", handled=False)  # False: the server answers 535


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=sink.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    return {"CAMPBOT_SMTP_HOST": "127.0.0.1", "CAMPBOT_SMTP_PORT": str(port), "CAMPBOT_SMTP_STARTTLS": "false",
            "CAMPBOT_SMTP_FROM": "LocalGovCamp <camp@example.org>", "CAMPBOT_SMTP_USER": "campbot",
            "CAMPBOT_SMTP_PASSWORD": "s3cret-pass-word"}


def sent_links(sink: Sink) -> dict[str, str]:
    found: dict[str, str] = {}
    for message in sink.messages:
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        (link,) = set(LINK.findall(text))
        assert f'href="{link}"' in html
        found[message["To"].addresses[0].addr_spec] = link
    return found


def test_send_mails_each_link_once_and_reports_a_refused_address(camp: str, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    sink.refuse = {"grace@example.org"}
    links = links_by_email(camp)

    dry = campbot("attendees", "send", "--dry-run", db=camp)
    assert dry.returncode == 0 and "3 email(s) would be sent (dry run: nothing sent)" in dry.stdout
    assert sink.messages == []

    first = campbot("attendees", "send", db=camp, **smtp_env(port))
    assert first.returncode == 1, first.stderr
    assert "sent 2 email(s), 1 failed" in first.stdout
    assert "grace@example.org" in first.stderr and "550 5.1.1 no such mailbox here" in first.stderr
    assert "s3cret-pass-word" not in first.stdout + first.stderr
    assert sink.logins == [("campbot", "s3cret-pass-word")]  # one connection, one login
    assert sent_links(sink) == {"ada@example.org": links["ada@example.org"],
                                "eve@example.org": links["eve@example.org"]}
    eve = next(m for m in sink.messages if "eve@example.org" in m["To"])
    assert eve["Subject"] == "Your personal link for LocalGovCamp 2026"
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; Eve" in eve.get_body(("html",)).get_content()  # type: ignore[union-attr]

    sink.refuse, sink.messages = set(), []
    second = campbot("attendees", "send", db=camp, **smtp_env(port))
    assert second.returncode == 0 and "sent 1 email(s)" in second.stdout
    assert sent_links(sink) == {"grace@example.org": links["grace@example.org"]}

    sink.messages = []
    revoked = campbot("attendees", "revoke", "T-1", db=camp)
    assert revoked.returncode == 0, revoked.stderr
    (new_link,) = LINK.findall(revoked.stdout)
    assert new_link != links["ada@example.org"]
    assert links_by_email(camp)["ada@example.org"] == new_link
    third = campbot("attendees", "send", db=camp, **smtp_env(port))
    assert third.returncode == 0 and "sent 1 email(s)" in third.stdout
    assert sent_links(sink) == {"ada@example.org": new_link}

    sink.messages = []
    nothing = campbot("attendees", "send", db=camp, **smtp_env(port))
    assert "nobody to mail" in nothing.stdout and sink.messages == []


def test_send_without_settings_names_what_is_missing(camp: str, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    bare = campbot("attendees", "send", db=camp)
    assert bare.returncode == 2
    assert "set CAMPBOT_SMTP_HOST, CAMPBOT_SMTP_FROM" in bare.stderr and "Traceback" not in bare.stderr
    half = campbot("attendees", "send", db=camp, CAMPBOT_SMTP_HOST="127.0.0.1", CAMPBOT_SMTP_FROM="c@example.org",
                   CAMPBOT_SMTP_USER="campbot")
    assert half.returncode == 2 and "CAMPBOT_SMTP_PASSWORD (CAMPBOT_SMTP_USER is set)" in half.stderr
    wrong = campbot("attendees", "send", db=camp, **{**smtp_env(port), "CAMPBOT_SMTP_PASSWORD": "wrong-password"})
    assert wrong.returncode == 2 and "refused the login of campbot" in wrong.stderr
    assert "wrong-password" not in wrong.stdout + wrong.stderr
    assert sink.messages == []


def test_revoke_an_unknown_attendee_says_how_to_find_them(camp: str) -> None:
    result = campbot("attendees", "revoke", "nobody@example.org", db=camp)
    assert result.returncode == 2
    assert "no attendee with the email or ticket reference 'nobody@example.org'" in result.stderr

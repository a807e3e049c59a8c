"""Personal links: each attendee's `{public_url}/me/{token}`, no account or password.

The token is the attendee's id and link version signed with HMAC-SHA256, so it cannot be
guessed or altered, and revoking bumps the version, which stops every earlier link of that
attendee. The signing key is CAMPBOT_WEB_SECRET, or one made once and kept in the database so
links survive restarts. Also the email that brings a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from html import escape

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from campbot.services.attendees import AttendeeView, attendee_view, locked_attendee
from campbot.services.errors import NotFound, ServiceError
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import Attendee, StoredSecret
from campbot.store.types import utcnow

SECRET_NAME = "web_secret"
MIN_SECRET_CHARS = 16


# --------------------------------------------------------------------------- personal links


def signing_key(engine: Engine, configured: SecretStr | None) -> bytes:
    """The master secret of attendee links: CAMPBOT_WEB_SECRET, or else one campbot made and
    keeps in the database (made once, race-safe), so links still work after a restart and in
    every worker process. Hold it for the process's life rather than reading it per request."""
    if configured is not None and configured.get_secret_value():
        value = configured.get_secret_value()
        if len(value) < MIN_SECRET_CHARS:
            raise ServiceError(f"CAMPBOT_WEB_SECRET is too short: use at least {MIN_SECRET_CHARS} random characters "
                               "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value.encode()
    with read_scope(engine) as db:
        row = db.get(StoredSecret, SECRET_NAME)
    if row is None:
        try:
            with session_scope(engine) as db:
                db.add(StoredSecret(name=SECRET_NAME, value=secrets.token_urlsafe(32)))
        except IntegrityError:
            pass  # another process made it first: use theirs
        with read_scope(engine) as db:
            row = db.get(StoredSecret, SECRET_NAME)
    assert row is not None
    return row.value.encode()


def derive_key(master: bytes, purpose: str) -> bytes:
    """A key for one purpose ("attendee-link", and e.g. the web face's cookies or CSRF) from the
    master secret, so that a value signed for one purpose is never accepted for another."""
    return hmac.new(master, f"campbot:{purpose}".encode(), hashlib.sha256).digest()


_TOKEN = re.compile(r"([0-9]{1,12})\.([0-9]{1,9})\.([A-Za-z0-9_-]{32})")


def _mac(master: bytes, event_id: int, attendee_id: int, version: int) -> str:
    message = f"{event_id}:{attendee_id}:{version}".encode()
    digest = hmac.new(derive_key(master, "attendee-link"), message, hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()  # 24 bytes: 32 characters, no padding


def make_token(master: bytes, attendee: AttendeeView) -> str:
    """`<attendee id>.<version>.<mac>`: short enough for a QR code, no state to store."""
    mac = _mac(master, attendee.event_id, attendee.id, attendee.token_version)
    return f"{attendee.id}.{attendee.token_version}.{mac}"


def personal_token(engine: Engine, master: bytes, attendee_id: int) -> str:
    """The attendee's current token (the same every time until it is revoked)."""
    with read_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
    if row is None:
        raise NotFound("no such attendee")
    return make_token(master, attendee_view(row))


def personal_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/me/{token}"


def attendee_for_token(engine: Engine, master: bytes, token: str) -> AttendeeView | None:
    """Whose link this is, or None for a token that was altered, made with another key, or
    revoked (the web face says one thing for all: this link no longer works, ask an organiser)."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    attendee_id, version, mac = int(match[1]), int(match[2]), match[3]
    with read_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
    if row is None:
        return None
    if not hmac.compare_digest(mac, _mac(master, row.event_id, attendee_id, version)):
        return None
    return attendee_view(row) if version == row.token_version else None


def revoke(engine: Engine, event_id: int, attendee_id: int) -> AttendeeView:
    """Stop every link this attendee was given; the next token is a new link (see `personal_token`)."""
    with session_scope(engine) as db:
        row = locked_attendee(db, attendee_id)
        if row is None or row.event_id != event_id:
            raise NotFound("no such attendee at this camp")
        row.token_version += 1
        row.updated_at = utcnow()
        db.add(row)
        db.flush()
        return attendee_view(row)


def mark_link_sent(engine: Engine, attendee_id: int, version: int) -> None:
    """Remember that this version of the link was mailed, so the next send skips it."""
    with session_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
        if row is not None:
            row.link_sent_version = version
            db.add(row)



# --------------------------------------------------------------------------- the email with the link


def link_email(*, event_name: str, attendee: AttendeeView, link: str, sender: str) -> EmailMessage:
    """The message that brings an attendee their link: plain text and HTML, names escaped."""
    message = EmailMessage()
    message["Subject"] = f"Your personal link for {event_name}"
    message["From"] = sender
    try:
        message["To"] = Address(display_name=attendee.name, addr_spec=attendee.email)
    except (ValueError, IndexError):  # an address the header parser will not quote: send to it bare
        message["To"] = attendee.email
    text = (
        f"Hello {attendee.name},\n\n"
        f"This is your personal link for {event_name}:\n\n{link}\n\n"
        "With it you can pitch sessions, vote for the ones you want to go to and see your day, in any web "
        "browser, with no password and no Slack needed.\n\n"
        "The link is yours alone: please don't share it. If someone else may have it, ask an organiser "
        "for a new one (the old one then stops working).\n"
    )
    message.set_content(text)
    safe_link = escape(link, quote=True)
    html = (
        "<!doctype html><html lang=\"en\"><body style=\"font-family: Arial, sans-serif; font-size: 16px\">"
        f"<p>Hello {escape(attendee.name)},</p>"
        f"<p>This is your personal link for {escape(event_name)}:</p>"
        f"<p><a href=\"{safe_link}\">{safe_link}</a></p>"
        "<p>With it you can pitch sessions, vote for the ones you want to go to and see your day, in any web "
        "browser, with no password and no Slack needed.</p>"
        "<p>The link is yours alone: please don't share it. If someone else may have it, ask an organiser "
        "for a new one (the old one then stops working).</p></body></html>"
    )
    message.add_alternative(html, subtype="html")
    return message


"""Attendees: the camp's ticket list, each person's personal link, and who they are on Slack.

Many people at a camp cannot use Slack on the day, so each attendee on the imported ticket
list gets a personal link (`{public_url}/me/{token}`), no account or password: the token is
the attendee's id and link version signed with HMAC-SHA256, so it cannot be guessed or
altered, and revoking bumps the version, which stops every earlier link of that attendee.

One person, one quota. Votes hang off a Person row (campbot.services.voting); a Slack user's
Person is found by their Slack user id. An attendee points at the Person they vote as
(`person_id`): their Slack user's once linked (by the email on their Slack profile, or by
linking themselves), else a Person of their own with no Slack id, made on first use. Linking
later moves what that web Person did (votes, hosting) onto the Slack Person, so the two faces
never count one human twice.

Import rule: a ticket list of hundreds should not be blocked by three typos, so rows that
cannot be used are skipped, each with its line and a reason the organiser can act on, and
every good row is written in one transaction (all of them or, on a database error, none);
re-importing the corrected file adds what was missing and changes nothing else.

Everything here takes plain values and returns plain dataclasses: no Slack, no HTTP.

For the web face, per request to `/me/<token>/...`:

    key = signing_key(engine, settings.web_secret)          # once per process, not per request
    attendee = attendee_for_token(engine, key, token)       # None: "this link no longer works"
    person_id = voter_person_id(engine, attendee.id)        # per request: linking changes it
    voting.toggle_vote_for_person(ctx, attendee.event_id, person_id, pitch_id)
    voting.votes_used(db, attendee.event_id, person_id)     # the quota left, as Slack counts it

A linked attendee's person_id is the Person Slack's `toggle_vote(ctx, event_id, user_id, ...)`
finds for that user id, so both faces count one set of votes against one quota.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from html import escape

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from campbot.services.errors import NotFound, ServiceError
from campbot.services.people import person_for_slack_user
from campbot.services.text_checks import text_problem
from campbot.store.db import read_scope, session_scope
from campbot.store.tables import Attendee, Event, Person, Pitch, PitchHost, StoredSecret, Vote
from campbot.store.types import utcnow

MAX_ROWS = 20_000  # ten times the largest camp; more is a wrong file, not a ticket list
MAX_NAME, MAX_EMAIL, MAX_TICKET = 200, 254, 100  # the column sizes (campbot.store.tables.Attendee)
SECRET_NAME = "web_secret"
MIN_SECRET_CHARS = 16


class ImportRefused(ServiceError):
    """The whole file cannot be used (not CSV, not UTF-8, no email column): nothing was written."""


class AlreadyLinked(ServiceError):
    pass


# --------------------------------------------------------------------------- the ticket list


@dataclass(frozen=True)
class AttendeeView:
    id: int
    event_id: int
    name: str
    email: str
    ticket_ref: str | None
    slack_user_id: str | None
    person_id: int | None
    token_version: int
    link_sent_version: int | None


def _view(row: Attendee) -> AttendeeView:
    assert row.id is not None
    return AttendeeView(row.id, row.event_id, row.name, row.email, row.ticket_ref, row.slack_user_id,
                        row.person_id, row.token_version, row.link_sent_version)


@dataclass(frozen=True)
class RowNote:
    """One line of the file and what became of it (a rejection's reason, an update's change)."""

    line: int
    text: str


@dataclass(frozen=True)
class ImportReport:
    columns: dict[str, str]  # what each field was read from: {"name": "First Name + Last Name", ...}
    added: list[RowNote] = field(default_factory=list)
    updated: list[RowNote] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[RowNote] = field(default_factory=list)  # a row repeated in the file: read once
    rejected: list[RowNote] = field(default_factory=list)
    not_in_file: int = 0  # attendees campbot has that this file does not list (kept)
    written: bool = True  # False for a dry run


def _header_key(cell: str) -> str:
    """"E-mail Address", "email_address", "EMAIL ADDRESS" -> "emailaddress"; "Order #" -> "ordernumber"."""
    text = unicodedata.normalize("NFKC", cell).replace("\ufeff", "").casefold().replace("#", "number")
    return re.sub(r"[^a-z0-9]", "", text)


# Header spellings of common ticketing exports (Eventbrite, Tito, Ticket Tailor, a Google Form),
# best first: a ticket holder's own column beats the buyer's or the order's.
_FULL_NAME = ("name", "fullname", "ticketfullname", "ticketname", "ticketholdername", "ticketholder", "attendeename",
              "attendeefullname", "participantname", "yourname", "delegatename", "guestname")
_FIRST_NAME = ("firstname", "ticketfirstname", "attendeefirstname", "givenname", "forename", "first")
_LAST_NAME = ("lastname", "ticketlastname", "attendeelastname", "surname", "familyname", "last")
_EMAIL = ("ticketemail", "ticketemailaddress", "attendeeemail", "attendeeemailaddress", "ticketholderemail",
          "email", "emailaddress", "mail", "youremail", "youremailaddress")
_TICKET = ("ticketreference", "ticketref", "ticketnumber", "ticketno", "ticketid", "ticketcode", "ticketbarcode",
           "attendeenumber", "attendeeid", "barcode", "barcodenumber", "reference", "ref", "ticket")
_ORDER = ("orderreference", "orderref", "ordernumber", "orderno", "orderid", "order")


def _pick(keys: list[str], wanted: tuple[str, ...]) -> int | None:
    for name in wanted:
        if name in keys:
            return keys.index(name)
    return None


@dataclass(frozen=True)
class _Columns:
    full: int | None
    first: int | None
    last: int | None
    email: int
    ticket: int | None
    header: list[str]

    def described(self) -> dict[str, str]:
        h = self.header
        if self.full is not None:
            name = h[self.full]
        else:
            name = " + ".join(h[i] for i in (self.first, self.last) if i is not None)
        found = {"name": name, "email": h[self.email]}
        if self.ticket is not None:
            found["ticket reference"] = h[self.ticket]
        return found


def _columns(header: list[str]) -> _Columns | None:
    keys = [_header_key(c) for c in header]
    email = _pick(keys, _EMAIL)
    full, first, last = _pick(keys, _FULL_NAME), _pick(keys, _FIRST_NAME), _pick(keys, _LAST_NAME)
    if email is None or (full is None and first is None and last is None):
        return None
    ticket = _pick(keys, _TICKET)
    if ticket is None:
        ticket = _pick(keys, _ORDER)
    return _Columns(full, first, last, email, ticket, [c.strip().replace("\ufeff", "") for c in header])


def decode_csv(data: bytes) -> str:
    """The text of an uploaded or read file: UTF-8 (with or without Excel's BOM), or a refusal
    that says how to save it (a spreadsheet's own format, or "CSV" in a Windows code page)."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("this is a spreadsheet file (.xlsx/.xls), not CSV: in the spreadsheet choose "
                            "File > Save as (or Download) > CSV UTF-8, and import that file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportRefused("the file starts like UTF-16 text but is not; save it as \"CSV UTF-8\"") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}): save it "
                            "as \"CSV UTF-8\" (Excel) or with UTF-8 encoding, and import it again") from None


def _read_rows(text: str) -> tuple[_Columns, list[tuple[int, list[str]]]]:
    """The header's columns and the data rows with their first line numbers, for whichever of
    comma, semicolon (Excel in much of Europe) or tab the header is written with."""
    if "\x00" in text:
        raise ImportRefused("the file has NUL bytes, so it is not CSV text: save it as \"CSV UTF-8\" and try again")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ImportRefused("the file is empty")
    head = "\n".join([line for line in text.splitlines() if line.strip()][:5])
    best: tuple[int, str] | None = None
    for delimiter in (",", ";", "\t"):
        for cells in csv.reader(io.StringIO(head), delimiter=delimiter):  # a title line may come first
            found = _columns(cells)
            if found is not None:
                score = sum(i is not None for i in (found.full, found.first, found.last, found.ticket)) + len(cells)
                if best is None or score > best[0]:
                    best = (score, delimiter)
                break
    if best is None:
        first = next(csv.reader(io.StringIO(head)), [])
        shown = ", ".join(repr(c.strip()[:40]) for c in first[:8]) or "nothing"
        raise ImportRefused(
            "no header row with a name and an email column in the first lines (the first row has "
            f"{shown}); the list needs a header such as: Name, Email, Ticket Reference "
            "(or First Name, Last Name, Email Address, Order)"
        )
    rows = _parse(text, best[1])
    for index, (_line, cells) in enumerate(rows[:5]):
        found = _columns(cells)
        if found is not None:
            return found, rows[index + 1:]
    raise ImportRefused("the header row could not be read again as CSV; save the file as \"CSV UTF-8\"")


def _parse(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every non-blank row with the line it starts on. Strict quoting: a stray or unclosed double
    quote is named by its line rather than silently swallowing the rows after it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise ImportRefused(f"line {previous_end + 1} cannot be read as CSV ({exc}): look for a double quote "
                                "that is not closed or stands inside a cell, fix it, and import again") from None
        start, previous_end = previous_end + 1, reader.line_num
        if cells and any(c.strip() for c in cells):
            rows.append((start, cells))
            if len(rows) > MAX_ROWS + 1:
                raise ImportRefused(f"the file has more than {MAX_ROWS:,} rows: is it the right file?")


_EMAIL_SHAPE = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]{2,}")


def normalise_email(text: str) -> str:
    """Lower-case and trimmed, `mailto:` dropped: the form an address is stored and matched in."""
    value = unicodedata.normalize("NFKC", text).strip().casefold()
    return value.removeprefix("mailto:").strip()


def email_problem(email: str) -> str | None:
    if not email:
        return "no email address: each attendee needs one for their link; add it and import again"
    shown = email if len(email) <= 60 else email[:57] + "..."
    if len(email) > MAX_EMAIL or not _EMAIL_SHAPE.fullmatch(email) or ".." in email or email.startswith("."):
        return f"'{shown}' is not an email address; correct it in the list and import again"
    return None


def _tidy(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    email: str
    ticket: str | None


def _row(columns: _Columns, line: int, cells: list[str]) -> _Row | str:
    """The usable row, or why it is not usable (said so the organiser can fix the list)."""

    def cell(index: int | None) -> str:
        return _tidy(cells[index]) if index is not None and index < len(cells) else ""

    name = cell(columns.full) or " ".join(p for p in (cell(columns.first), cell(columns.last)) if p)
    email = normalise_email(cells[columns.email]) if columns.email < len(cells) else ""
    ticket = cell(columns.ticket) or None
    if not name:
        named = columns.described()["name"]
        return f"no name (the {named} cell is empty); add the name and import again"
    for value, what, most in ((name, "name", MAX_NAME), (email, "email", MAX_EMAIL), (ticket, "ticket", MAX_TICKET)):
        if value is None:
            continue
        problem = text_problem(value, what, required=True)
        if problem is not None:
            return problem[0].lower() + problem[1:]
        if len(value) > most:
            return f"the {what} is {len(value)} characters long, more than {most}; shorten it"
    problem = email_problem(email)
    if problem is not None:
        return problem
    return _Row(line, name, email, ticket)


def import_attendees(engine: Engine, event_id: int, csv_text: str, *, dry_run: bool = False) -> ImportReport:
    """Add and update the event's attendees from a ticketing export (see the module's import rule).

    An attendee is found again by ticket reference, else by email. A ticket whose email changed
    was passed to someone else: its earlier link stops working and its Slack link is undone, so
    the new holder never acts as the old one. Attendees missing from the file are kept."""
    columns, rows = _read_rows(csv_text)
    rejected: list[RowNote] = []
    duplicates: list[RowNote] = []
    usable: list[_Row] = []
    by_email: dict[str, _Row] = {}
    by_ticket: dict[str, _Row] = {}
    for line, cells in rows:
        got = _row(columns, line, cells)
        if isinstance(got, str):
            rejected.append(RowNote(line, got))
            continue
        seen = by_email.get(got.email)
        if seen is not None:
            if seen.name == got.name and (seen.ticket == got.ticket or None in (seen.ticket, got.ticket)):
                duplicates.append(RowNote(line, f"same as line {seen.line}"))
            elif got.ticket is not None and seen.ticket is not None and got.ticket != seen.ticket:
                rejected.append(RowNote(line, f"{got.email} is also on line {seen.line} (ticket {seen.ticket}): "
                                              "each attendee needs their own email address for their own link; "
                                              "ask for this guest's address, or leave one row out"))
            else:
                rejected.append(RowNote(line, f"{got.email} is also on line {seen.line} under the name "
                                              f"'{seen.name}'; keep one of the two rows"))
            continue
        if got.ticket is not None and got.ticket in by_ticket:
            other = by_ticket[got.ticket]
            rejected.append(RowNote(line, f"ticket reference {got.ticket} is also on line {other.line} "
                                          f"(for {other.email}); if that column is an order number shared by "
                                          "several tickets, export one reference per ticket"))
            continue
        by_email[got.email] = got
        if got.ticket is not None:
            by_ticket[got.ticket] = got
        usable.append(got)
    try:
        return _write_import(engine, event_id, columns, usable, rejected, duplicates, dry_run)
    except IntegrityError:  # only if the event lock below was bypassed; said plainly, nothing kept
        raise ImportRefused("another change to the attendee list was saved at the same moment; nothing from "
                            "this import was written: run it again") from None


def _write_import(
    engine: Engine, event_id: int, columns: _Columns, usable: list[_Row], rejected: list[RowNote],
    duplicates: list[RowNote], dry_run: bool,
) -> ImportReport:
    added: list[RowNote] = []
    updated: list[RowNote] = []
    unchanged = 0
    with session_scope(engine) as db:
        if _lock_event(db, event_id) is None:
            raise NotFound("that event no longer exists")
        existing = list(db.exec(select(Attendee).where(Attendee.event_id == event_id)))
        emails = {a.email: a for a in existing}
        tickets = {a.ticket_ref: a for a in existing if a.ticket_ref is not None}
        touched: set[int] = set()
        for row in usable:
            outcome = _upsert(db, event_id, row, emails, tickets)
            if isinstance(outcome, RowNote):
                rejected.append(outcome)
                continue
            kind, attendee, change = outcome
            if attendee.id is not None:
                touched.add(attendee.id)
            if kind == "added":
                added.append(RowNote(row.line, f"{row.name} <{row.email}>"))
            elif kind == "updated":
                updated.append(RowNote(row.line, f"{row.name}: {change}"))
            else:
                unchanged += 1
        db.flush()
        not_in_file = sum(1 for a in existing if a.id not in touched)
        if dry_run:
            db.rollback()
    rejected.sort(key=lambda n: n.line)
    return ImportReport(columns.described(), added, updated, unchanged, duplicates, rejected, not_in_file,
                        written=not dry_run)


def _upsert(
    db: Session, event_id: int, row: _Row, emails: dict[str, Attendee], tickets: dict[str, Attendee]
) -> tuple[str, Attendee, str] | RowNote:
    by_ticket = tickets.get(row.ticket) if row.ticket is not None else None
    by_email = emails.get(row.email)
    now = utcnow()
    if by_ticket is None and by_email is None:
        new = Attendee(event_id=event_id, name=row.name, email=row.email, ticket_ref=row.ticket,
                       created_at=now, updated_at=now)
        db.add(new)
        db.flush()
        emails[row.email] = new
        if row.ticket is not None:
            tickets[row.ticket] = new
        return "added", new, ""
    if by_ticket is not None and by_email is not None and by_ticket is not by_email:
        return RowNote(row.line, f"{row.email} already belongs to ticket {by_email.ticket_ref or '(none)'} in "
                                 f"campbot, so ticket {row.ticket} cannot take it; one email is one attendee")
    attendee = by_ticket or by_email
    assert attendee is not None
    changes: list[str] = []
    if by_ticket is None and row.ticket is not None:
        if attendee.ticket_ref is not None:  # this email holds another ticket in campbot
            return RowNote(row.line, f"{row.email} has ticket {attendee.ticket_ref} in campbot, and this line "
                                     f"gives ticket {row.ticket}; one email is one attendee: correct the list")
        attendee.ticket_ref = row.ticket
        tickets[row.ticket] = attendee
        changes.append(f"ticket reference {row.ticket} added")
    if attendee.email != row.email:  # the ticket was passed on: the old holder's link and Slack link end
        emails.pop(attendee.email, None)
        changes.append(f"email {attendee.email} -> {row.email}; the earlier link no longer works")
        attendee.email = row.email
        emails[row.email] = attendee
        attendee.token_version += 1
        attendee.slack_user_id = None
        attendee.person_id = None
    if attendee.name != row.name:
        changes.append(f"name was '{attendee.name}'")
        attendee.name = row.name
    if not changes:
        return "unchanged", attendee, ""
    attendee.updated_at = now
    db.add(attendee)
    db.flush()
    return "updated", attendee, "; ".join(changes)


def list_attendees(engine: Engine, event_id: int) -> list[AttendeeView]:
    """The event's attendees, by name (as a registration desk looks them up)."""
    with read_scope(engine) as db:
        rows = db.exec(select(Attendee).where(Attendee.event_id == event_id)).all()
    return sorted((_view(a) for a in rows), key=lambda a: (a.name.casefold(), a.email))


def find_attendee(engine: Engine, event_id: int, email_or_ticket: str) -> AttendeeView:
    """The attendee with this email (any case) or ticket reference."""
    wanted = email_or_ticket.strip()
    with read_scope(engine) as db:
        row: Attendee | None = db.exec(select(Attendee).where(Attendee.event_id == event_id,
                                                              Attendee.email == normalise_email(wanted))).first()
        row = row or db.exec(select(Attendee).where(Attendee.event_id == event_id,
                                                    Attendee.ticket_ref == wanted)).first()
    if row is None:
        raise NotFound(f"no attendee with the email or ticket reference '{wanted[:80]}'; "
                       "`campbot attendees links` lists them")
    return _view(row)


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
    return make_token(master, _view(row))


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
    return _view(row) if version == row.token_version else None


def revoke(engine: Engine, event_id: int, attendee_id: int) -> AttendeeView:
    """Stop every link this attendee was given; the next token is a new link (see `personal_token`)."""
    with session_scope(engine) as db:
        row = _locked(db, attendee_id)
        if row is None or row.event_id != event_id:
            raise NotFound("no such attendee at this camp")
        row.token_version += 1
        row.updated_at = utcnow()
        db.add(row)
        db.flush()
        return _view(row)


def mark_link_sent(engine: Engine, attendee_id: int, version: int) -> None:
    """Remember that this version of the link was mailed, so the next send skips it."""
    with session_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
        if row is not None:
            row.link_sent_version = version
            db.add(row)


def _lock_event(db: Session, event_id: int) -> Event | None:
    """The event row, locked on PostgreSQL so that two imports or email matches of one camp run
    one after the other (each reads the list, then writes); SQLite's IMMEDIATE transactions
    already do that."""
    query = select(Event).where(Event.id == event_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.exec(query).first()


def _locked(db: Session, attendee_id: int) -> Attendee | None:
    query = select(Attendee).where(Attendee.id == attendee_id)
    if db.get_bind().dialect.name == "postgresql":  # SQLite: the transaction began IMMEDIATE already
        query = query.with_for_update()
    return db.exec(query).first()


# --------------------------------------------------------------------------- one person, one quota


@dataclass(frozen=True)
class LinkResult:
    attendee: AttendeeView
    changed: bool  # False when it was linked to this Slack user already
    votes_moved: int = 0  # web votes now counted as the Slack user's
    votes_dropped: list[str] = field(default_factory=list)  # pitch titles: past the one quota, newest first
    pitch_ids: list[int] = field(default_factory=list)  # pitches whose count changed (cards to redraw)


def voter_person_id(engine: Engine, attendee_id: int) -> int:
    """The Person id this attendee votes, pitches and hosts as: the one to pass to
    `voting.toggle_vote_for_person` and `voting.votes_used`. A linked attendee's is their Slack
    user's Person (the one `toggle_vote` finds by Slack id); an unlinked one gets a Person of
    their own, with no Slack id, on first use. Look it up per request: linking changes it."""
    with session_scope(engine) as db:
        row = _locked(db, attendee_id)
        if row is None:
            raise NotFound("no such attendee")
        if row.person_id is not None:
            return row.person_id
        if row.slack_user_id is not None:
            person = person_for_slack_user(db, row.event_id, row.slack_user_id)
        else:
            person = Person(event_id=row.event_id, display_name=row.name[:100], feed_token=secrets.token_urlsafe(24))
            db.add(person)
            db.flush()
        assert person.id is not None
        row.person_id = person.id
        db.add(row)
        return person.id


def link_slack_user(engine: Engine, attendee_id: int, slack_user_id: str) -> LinkResult:
    """Make this attendee and this Slack user one person (a person linking themselves)."""
    try:
        with session_scope(engine) as db:
            row = _locked(db, attendee_id)
            if row is None:
                raise NotFound("no such attendee")
            return _link(db, row, slack_user_id)
    except IntegrityError as exc:  # the same Slack user linked to another attendee at the same moment
        if "slack_user" not in str(exc.orig):
            raise
        raise AlreadyLinked("that Slack account is already linked to another attendee on the ticket list") from None


def _link(db: Session, row: Attendee, slack_user_id: str) -> LinkResult:
    if row.slack_user_id == slack_user_id:
        return LinkResult(_view(row), changed=False)
    if row.slack_user_id is not None:
        raise AlreadyLinked(f"{row.name} is already linked to another Slack account")
    taken = db.exec(select(Attendee).where(Attendee.event_id == row.event_id, Attendee.slack_user_id == slack_user_id,
                                           Attendee.id != row.id)).first()
    if taken is not None:
        raise AlreadyLinked("that Slack account is already linked to another attendee on the ticket list")
    slack_person = person_for_slack_user(db, row.event_id, slack_user_id)
    assert slack_person.id is not None
    web_person = db.get(Person, row.person_id) if row.person_id not in (None, slack_person.id) else None
    row.slack_user_id = slack_user_id
    row.person_id = slack_person.id
    row.updated_at = utcnow()
    db.add(row)
    db.flush()
    moved, dropped, pitch_ids = 0, list[str](), list[int]()
    if web_person is not None and web_person.slack_user_id is None:
        moved, dropped, pitch_ids = _merge(db, row.event_id, web_person, slack_person)
    return LinkResult(_view(row), True, moved, dropped, pitch_ids)


def _merge(db: Session, event_id: int, source: Person, target: Person) -> tuple[int, list[str], list[int]]:
    """Move the web Person's votes and hosting onto the Slack Person, then delete it.

    A pitch voted for on both counts once. Past the quota, the newest of the moved votes go
    (the ones cast in Slack stay), and the caller is told which, to tell the person."""
    assert source.id is not None and target.id is not None
    if db.get_bind().dialect.name == "postgresql":  # the same lock a vote takes (campbot.services.voting)
        for pid in sorted((source.id, target.id)):
            db.exec(select(Person).where(Person.id == pid).with_for_update()).one()
    event = db.get(Event, event_id)
    assert event is not None
    target_pitches = set(db.exec(select(Vote.pitch_id).where(Vote.person_id == target.id)).all())
    changed: set[int] = set()
    moved: list[Vote] = []
    for vote in db.exec(select(Vote).where(Vote.person_id == source.id).order_by(col(Vote.created_at), col(Vote.id))):
        if vote.pitch_id in target_pitches:
            db.delete(vote)
            changed.add(vote.pitch_id)
        else:
            vote.person_id = target.id
            db.add(vote)
            moved.append(vote)
    db.flush()
    used = int(db.exec(select(func.count()).select_from(Vote).join(Pitch, col(Pitch.id) == Vote.pitch_id)
                       .where(Vote.person_id == target.id, Pitch.status == "active")).one())
    dropped: list[str] = []
    for vote in reversed(moved):
        if used <= event.vote_quota:
            break
        pitch = db.get(Pitch, vote.pitch_id)
        if pitch is None or pitch.status != "active":
            continue
        dropped.append(pitch.title)
        changed.add(vote.pitch_id)
        db.delete(vote)
        used -= 1
    hosted = set(db.exec(select(PitchHost.pitch_id).where(PitchHost.person_id == target.id)).all())
    for host in db.exec(select(PitchHost).where(PitchHost.person_id == source.id)).all():
        if host.pitch_id not in hosted:
            db.add(PitchHost(pitch_id=host.pitch_id, person_id=target.id))
        db.delete(host)
    for pitch in db.exec(select(Pitch).where(Pitch.created_by_id == source.id)).all():
        pitch.created_by_id = target.id
        db.add(pitch)
    if not target.display_name:
        target.display_name = source.display_name
        db.add(target)
    db.flush()
    db.delete(source)
    db.flush()
    return len(moved) - len(dropped), dropped, sorted(changed)


@dataclass(frozen=True)
class SlackMatchReport:
    linked: list[tuple[str, str]]  # (attendee name, Slack user id) linked now
    already: int  # pairs that were linked before
    unmatched: int  # Slack users whose email is on no attendee (or who show no email)
    problems: list[str]  # matches that could not be made, and why


def link_slack_by_email(engine: Engine, event_id: int, users: Iterable[tuple[str, str | None]]) -> SlackMatchReport:
    """Link attendees to Slack users whose profile email is theirs: `users` is (Slack user id,
    profile email) pairs, as `users.list` gives them with the users:read.email scope. An
    attendee already linked to someone else is left as it is and reported."""
    linked: list[tuple[str, str]] = []
    problems: list[str] = []
    already = unmatched = 0
    with session_scope(engine) as db:
        _lock_event(db, event_id)
        query = select(Attendee).where(Attendee.event_id == event_id)
        if db.get_bind().dialect.name == "postgresql":  # no one links these attendees meanwhile
            query = query.with_for_update()
        by_email = {a.email: a for a in db.exec(query)}
        for user_id, email in users:
            attendee = by_email.get(normalise_email(email or ""))
            if attendee is None:
                unmatched += 1
                continue
            if attendee.slack_user_id == user_id:
                already += 1
                continue
            try:
                with db.begin_nested():
                    _link(db, attendee, user_id)
            except AlreadyLinked as exc:
                problems.append(f"{attendee.email}: {exc}")
                continue
            linked.append((attendee.name, user_id))
    return SlackMatchReport(linked, already, unmatched, problems)


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


def get_attendee(engine: Engine, attendee_id: int) -> AttendeeView | None:
    """One attendee as they are now (None when gone): the web face reads it on every request
    to see whether the link a session was opened with has since been revoked."""
    with read_scope(engine) as db:
        row = db.get(Attendee, attendee_id)
    return _view(row) if row is not None else None

"""The ticket list: a ticketing export's CSV read into attendees (campbot.services.attendees).

Import rule: a ticket list of hundreds should not be blocked by three typos, so rows that
cannot be used are skipped, each with its line and a reason the organiser can act on, and
every good row is written in one transaction (all of them or, on a database error, none);
re-importing the corrected file adds what was missing and changes nothing else.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from campbot.services.attendees import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_TICKET,
    email_problem,
    lock_event,
    normalise_email,
)
from campbot.services.errors import NotFound, ServiceError
from campbot.services.text_checks import text_problem
from campbot.store.db import session_scope
from campbot.store.tables import Attendee
from campbot.store.types import utcnow

MAX_ROWS = 20_000  # ten times the largest camp; more is a wrong file, not a ticket list


class ImportRefused(ServiceError):
    """The whole file cannot be used (not CSV, not UTF-8, no email column): nothing was written."""



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
        if lock_event(db, event_id) is None:
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


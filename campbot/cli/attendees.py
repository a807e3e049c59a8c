"""`campbot attendees ...`: the ticket list and the personal links, from the command line.

import reads a ticketing export; links prints every link (and writes the printable sheet for
the registration desk); send mails them; revoke stops one person's link and prints the new one.
The work is in campbot.services.attendees, campbot.web.exports.link_sheet and campbot.services.mailer; this module only
reads arguments and prints. Known failures (bad file, no event, no SMTP settings, database
unreachable) are one plain message and exit code 2, like every other campbot command.

Like every command module it takes the shared error handling and options from campbot.cli.common.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import typer

from campbot.cli.common import DatabaseOption, EventOption, err, with_context
from campbot.config.context import AppContext
from campbot.services.attendee_links import link_email, make_token, mark_link_sent, personal_link, revoke, signing_key
from campbot.services.attendee_list import ImportRefused, decode_csv, import_attendees
from campbot.services.attendees import find_attendee, list_attendees
from campbot.services.errors import ServiceError
from campbot.services.events import get_event
from campbot.services.mailer import send_messages, smtp_config
from campbot.web.exports.link_sheet import link_sheet_html

app = typer.Typer(no_args_is_help=True, help="The attendee list and everyone's personal link (for the web).")

MAX_FILE_BYTES = 20 * 1024 * 1024



def say(text: str) -> None:
    """Print as is (no markup, no wrapping, tabs kept): names and emails come from a ticket list,
    and `links` output is read by scripts."""
    typer.echo(text)


def _event_id(ctx: AppContext, slug: str | None) -> tuple[int, str]:
    event = get_event(ctx, slug)
    assert event.id is not None
    return event.id, event.name


@app.command("import")
def import_cmd(
    file: Path,
    event: str = EventOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and say what would change; write nothing."),
    database_url: str = DatabaseOption,
) -> None:
    """Add or update attendees from a CSV (a ticketing export: name, email, ticket reference).

    Rows that cannot be used are listed with their line and the fix, and the others are
    imported; import the corrected file again to add the rest (nothing is ever doubled).
    Exit code 1 when some rows were left out."""

    def run(ctx: AppContext) -> int:
        try:
            size = file.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImportRefused(f"{file} is {size // (1024 * 1024)} MB; a ticket list is far smaller")
            data = file.read_bytes()
        except OSError as exc:
            raise ImportRefused(f"cannot read {file}: {exc.strerror or exc}") from None
        event_id, _name = _event_id(ctx, event)
        try:
            report = import_attendees(ctx.engine, event_id, decode_csv(data), dry_run=dry_run)
        except ImportRefused as exc:
            raise ImportRefused(f"{file.name}: {exc}; nothing was imported") from None
        columns = ", ".join(f"{field} from '{column}'" for field, column in report.columns.items())
        say(f"read {columns}")
        verb = "would be" if dry_run else "were"
        say(f"{len(report.added)} added, {len(report.updated)} updated, {report.unchanged} unchanged, "
            f"{len(report.duplicates)} repeated row(s) read once, {len(report.rejected)} left out"
            + (" (dry run: nothing written)" if dry_run else ""))
        for note in report.updated:
            say(f"  line {note.line}: updated {note.text}")
        for note in report.duplicates:
            say(f"  line {note.line}: {note.text}")
        if report.not_in_file:
            say(f"{report.not_in_file} attendee(s) in campbot are not in this file: kept "
                "(`campbot attendees revoke EMAIL` stops someone's link)")
        if report.rejected:
            err.print(f"{len(report.rejected)} row(s) {verb} left out; fix them and import the file again:",
                      markup=False, highlight=False)
            for note in report.rejected:
                err.print(f"  line {note.line}: {note.text}", markup=False, highlight=False, soft_wrap=True)
            return 1
        return 0

    raise typer.Exit(with_context(database_url, run))


@app.command("links")
def links_cmd(
    event: str = EventOption,
    sheet: Path = typer.Option(None, "--sheet", help="Also write a printable HTML page: a card with a QR code each."),
    database_url: str = DatabaseOption,
) -> None:
    """Print every attendee's name, email and personal link (tab-separated)."""

    def run(ctx: AppContext) -> None:
        event_id, event_name = _event_id(ctx, event)
        key = signing_key(ctx.engine, ctx.settings.web_secret)
        people = list_attendees(ctx.engine, event_id)
        if not people:
            raise ServiceError("no attendees yet; import the ticket list first: campbot attendees import FILE")
        rows = [(a, personal_link(ctx.settings.public_url, make_token(key, a))) for a in people]
        for attendee, link in rows:
            say(f"{attendee.name}\t{attendee.email}\t{link}")
        if sheet is not None:
            html = link_sheet_html(event_name, [(a.name, a.ticket_ref, link) for a, link in rows])
            try:
                sheet.write_text(html, encoding="utf-8")
            except OSError as exc:
                raise ServiceError(f"cannot write {sheet}: {exc.strerror or exc}") from None
            err.print(f"wrote {sheet} ({len(rows)} cards). It holds everyone's personal link: print it for the "
                      "registration desk and keep it there.", markup=False, highlight=False)

    with_context(database_url, run)


@app.command("send")
def send_cmd(
    event: str = EventOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say who would get an email; send nothing."),
    again: bool = typer.Option(False, "--again", help="Also mail people whose current link was mailed before."),
    to: str = typer.Option(None, "--to", help="Only this attendee (email or ticket reference)."),
    database_url: str = DatabaseOption,
) -> None:
    """Email each attendee their personal link over SMTP (CAMPBOT_SMTP_* settings).

    Each current link is mailed once: running it again mails only those not reached yet (a new
    attendee, a revoked link, an address that failed). Exit code 1 when some could not be sent."""


    def run(ctx: AppContext) -> int:
        config = None if dry_run else smtp_config(ctx.settings)  # a missing setting is said before any work
        event_id, event_name = _event_id(ctx, event)
        key = signing_key(ctx.engine, ctx.settings.web_secret)
        people = [find_attendee(ctx.engine, event_id, to)] if to else list_attendees(ctx.engine, event_id)
        due = [a for a in people if again or to or a.link_sent_version != a.token_version]
        if not due:
            say("nobody to mail: every current link was mailed already (--again mails them all again)"
                if people else "no attendees yet; import the ticket list first: campbot attendees import FILE")
            return 0
        sender = ctx.settings.smtp_from or "campbot <campbot@localhost>"
        messages: list[tuple[EmailMessage, int, int]] = []
        for a in due:
            link = personal_link(ctx.settings.public_url, make_token(key, a))
            messages.append((link_email(event_name=event_name, attendee=a, link=link, sender=sender), a.id,
                             a.token_version))
        if config is None:
            for message, _id, _version in messages:
                say(f"would send to {message['To']}: {message['Subject']}")
            say(f"{len(messages)} email(s) would be sent (dry run: nothing sent)")
            return 0
        sent_ids = {id(m): (aid, version) for m, aid, version in messages}

        def record(message: EmailMessage, why: str | None) -> None:
            aid, version = sent_ids[id(message)]
            if why is None:
                mark_link_sent(ctx.engine, aid, version)

        report = send_messages(config, [m for m, _a, _v in messages], on_result=record)
        say(f"sent {len(report.sent)} email(s)" + (f", {len(report.failed)} failed:" if report.failed else ""))
        for address, why in report.failed:
            err.print(f"  {address}: {why}", markup=False, highlight=False, soft_wrap=True)
        return 1 if report.failed else 0

    raise typer.Exit(with_context(database_url, run))


@app.command("revoke")
def revoke_cmd(
    who: str = typer.Argument(..., metavar="EMAIL|TICKET", help="The attendee's email or ticket reference."),
    event: str = EventOption,
    database_url: str = DatabaseOption,
) -> None:
    """Stop an attendee's link (lost, shared, or sent to the wrong person) and print their new one."""

    def run(ctx: AppContext) -> None:
        event_id, _name = _event_id(ctx, event)
        attendee = revoke(ctx.engine, event_id, find_attendee(ctx.engine, event_id, who).id)
        link = personal_link(ctx.settings.public_url, make_token(signing_key(ctx.engine, ctx.settings.web_secret),
                                                                  attendee))
        say(f"revoked the earlier link of {attendee.name} <{attendee.email}>; the new one is:")
        say(link)
        say("`campbot attendees send` mails it to them.")

    with_context(database_url, run)

"""The demo's attendees off Slack: the ticket list imported, the printable link sheet written, and
a few people pitching and voting through the real web face (its WSGI app, driven by Werkzeug's
test client over https, the way a phone's browser would), their votes counted with Slack's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from werkzeug.test import Client

from campbot.config.context import AppContext
from campbot.services.attendee_links import personal_link, personal_token, signing_key
from campbot.services.attendee_list import import_attendees
from campbot.services.attendees import AttendeeView, list_attendees
from campbot.services.notifier import NotifierFactory
from campbot.services.pitching import get_pitch_card
from campbot.web.app import create_web_app
from campbot.web.exports.link_sheet import link_sheet_html

SITE = "https://camp.example"  # the session cookie is Secure: the test client sends it over https only
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" value="([^"]*)"')


@dataclass
class Browser:
    """One attendee's phone: a cookie jar and the page's form token."""

    client: Client
    name: str

    def page(self, path: str) -> str:
        answer = self.client.get(path, base_url=SITE)
        return answer.get_data(as_text=True)

    def post(self, path: str, form: dict[str, str]) -> int:
        page = self.page(path if path.endswith("/new") else "/pitches")
        found, submission = CSRF.search(page), SUBMISSION.search(page)
        data = {**form, "csrf_token": found.group(1) if found else ""}
        if submission:
            data["submission"] = submission.group(1)
        return self.client.post(path, data=data, base_url=SITE).status_code


def attendees_on_the_web(ctx: AppContext, event_id: int, event_name: str, examples: Path, out_dir: Path,
                         notifiers: NotifierFactory, pitch_ids: list[int], console: Console) -> Path:
    """Import the example ticket list, write the link sheet, and let three attendees use the web.
    Returns the sheet's path."""
    report = import_attendees(ctx.engine, event_id, (examples / "localgovcamp-attendees.csv").read_text())
    console.print(f"{len(report.added)} attendees imported from the ticket list; "
                  f"{len(report.rejected)} row(s) refused, each with its reason:")
    for note in report.rejected:
        console.print(f"  line {note.line}: {note.text}", markup=False, highlight=False)
    key = signing_key(ctx.engine, ctx.settings.web_secret)
    people = list_attendees(ctx.engine, event_id)
    links = {a.id: personal_link(ctx.settings.public_url, personal_token(ctx.engine, key, a.id)) for a in people}
    sheet = out_dir / "link-sheet.html"
    sheet.write_text(link_sheet_html(event_name, [(a.name, a.ticket_ref, links[a.id]) for a in people]),
                     encoding="utf-8")
    console.print(f"wrote {sheet}: a card with a QR code for each attendee, for the registration desk")
    app = create_web_app(ctx, notifiers)
    for n, attendee in enumerate(people[:3]):
        _visit(Browser(Client(app), attendee.name), attendee, links[attendee.id], pitch_ids[n::7][:3], ctx,
               event_id, console, pitch_a_session=n == 0)
    return sheet


def _visit(browser: Browser, attendee: AttendeeView, link: str, picks: list[int], ctx: AppContext, event_id: int,
           console: Console, *, pitch_a_session: bool) -> None:
    browser.page("/me/" + link.split("/me/", 1)[1])  # opening the link signs them in
    said = [f"{attendee.name} (on the web) opened their link"]
    if pitch_a_session:
        status = browser.post("/pitches/new", {"title": "Paper forms people can actually fill in",
                                               "description": "Bring a form you hate.", "format": "discussion",
                                               "length": "1", "tags": "design, forms"})
        said.append("pitched “Paper forms people can actually fill in”" if status == 303
                    else f"could not pitch (HTTP {status})")
    for pitch_id in picks:
        if browser.post(f"/pitches/{pitch_id}/vote", {"want": "1"}) == 303:
            card = get_pitch_card(ctx, event_id, pitch_id)
            said.append(f"is interested in #{pitch_id} “{card.title}” (now {card.votes} interested)")
    console.print("; ".join(said), markup=False, highlight=False)

"""The printable sheet of personal links for the registration desk (`campbot attendees links --sheet`).

One card per attendee: their name and a QR code of their link, so someone without the email
(or without email on their phone) scans it at the desk. The QR code is drawn as inline SVG from
the `qrcode` package's module matrix: no image files beside the page, sharp at any print size.
Names are escaped: a ticket list is typed by the public.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import qrcode
import qrcode.constants


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules (True is dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_svg(text: str, label: str) -> str:
    """An inline SVG of the QR code: one path, a horizontal run of dark modules per segment."""
    matrix = qr_matrix(text)
    size = len(matrix)
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                run = 1
                while x + run < size and row[x + run]:
                    run += 1
                parts.append(f"M{x} {y}h{run}v1h-{run}z")
                x += run
            else:
                x += 1
    return (f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
            f'aria-label="{escape(label, quote=True)}" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(parts)}"/></svg>')


_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; margin: 1cm; color: #0b0c0c; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.note { margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(6cm, 1fr)); gap: .5cm; }
.card { border: 1px dashed #505a5f; padding: .4cm; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.card h2 { font-size: 1.1rem; margin: 0 0 .2cm; overflow-wrap: anywhere; }
.card .qr { width: 4.5cm; height: 4.5cm; }
.card .ticket { font-size: .8rem; color: #505a5f; margin: .2cm 0 0; overflow-wrap: anywhere; }
@page { size: A4; margin: 1cm; }
@media print { body { margin: 0; } .note { display: none; } .cards { grid-template-columns: repeat(3, 1fr); } }
"""


def link_sheet_html(event_name: str, cards: Iterable[tuple[str, str | None, str]]) -> str:
    """The whole page for (name, ticket reference, link) cards, in the order given."""
    body = []
    for name, ticket, link in cards:
        ticket_line = f'<p class="ticket">Ticket {escape(ticket)}</p>' if ticket else ""
        body.append(f'<section class="card"><h2>{escape(name)}</h2>'
                    f'{qr_svg(link, f"QR code of the personal link for {name}")}{ticket_line}</section>')
    title = f"Personal links: {event_name}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        '<p class="note">Each code opens one person\'s own link: hand a card only to that person, and keep '
        "this sheet at the desk.</p>"
        f'<main class="cards">{"".join(body)}</main></body></html>\n'
    )

"""The web face's shared parts: what every page handler needs (`WebFace`, found on the Flask
app as `app.extensions["campbot"]`), who is asking (for the rate limits), and the 429 answer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response, current_app, g, render_template, request

from campbot.config.context import AppContext
from campbot.services.attendees import AttendeeView
from campbot.services.notifier import NotifierFactory
from campbot.web.guard import RateLimiter

log = logging.getLogger(__name__)


@dataclass
class WebFace:
    """What the page handlers need: the context, the notifiers, the limiters."""

    ctx: AppContext
    notifiers: NotifierFactory
    master: bytes  # the attendee links' master secret (campbot.services.attendee_links.signing_key)
    sign_in_limiter: RateLimiter  # openings of one good link, per attendee
    write_limiter: RateLimiter  # POSTs, per attendee (else per address)
    sign_in_failures: RateLimiter  # links that do not work, per client address

    def refresh_cards(self, event_id: int, pitch_ids: Iterable[int]) -> None:
        """Tell the event's other face (Slack) that these pitches' cards are out of date. A
        notifier that fails must not undo what the person just did: it is logged, and the
        cards converge on the next refresh."""
        try:
            notifier = self.notifiers(event_id)
            if notifier is not None:
                notifier.refresh_cards(event_id, list(pitch_ids))
        except Exception:
            log.exception("could not ask for card refreshes of event %s", event_id)

    def post_new_card(self, event_id: int, pitch_id: int) -> None:
        try:
            notifier = self.notifiers(event_id)
            if notifier is not None:
                notifier.post_new_card(event_id, pitch_id)
        except Exception:
            log.exception("could not ask for the card of pitch %s", pitch_id)


def client_key() -> str:
    """Who is asking, for the rate limits: the signed-in attendee, else the client address."""
    attendee: AttendeeView | None = g.get("attendee")
    if attendee is not None:
        return f"attendee:{attendee.id}"
    return f"addr:{request.remote_addr or '?'}"


def too_many(wait: float) -> Response:
    seconds = max(1, round(wait + 0.5))
    response = Response(render_template("message.html", title="Too many tries",
                                        message=f"That was a lot of requests in a short time. Please wait "
                                                f"{seconds} second{'s' if seconds != 1 else ''} and try again."),
                        status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def current_face() -> WebFace:
    face = current_app.extensions["campbot"]
    assert isinstance(face, WebFace)
    return face

"""The one small interface through which services tell people: a `Notifier`.

Why a protocol: publishing, reminders and the voting window are use cases shared by Slack,
the scheduled jobs and the command line, and a second face (the web, e-mail) must be able
to carry them without inheriting Slack's shapes. The services keep the ledger (every send
keyed in SentNotification, done once, retried when it failed); a notifier only sends one
thing when asked and says where it went. campbot.slack.notifier is the Slack one: Block Kit,
pacing under Slack's limits, DMs through conversations.open, pins, and the pitch cards'
single update path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from campbot.services.notices import Notice


class SendFailed(Exception):
    """A notifier could not send: `reason` is the face's own word for why (Slack's error code),
    recorded on the ledger row; the send is retried by the next publish or sweep."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Notifier(Protocol):
    """Sends one notice at a time to one place. A receipt is the face's address of what it sent
    ("C123 1712345.678" for a Slack message), kept on the ledger so a later send can refer to it
    (pin it, unpin it). Every method raises SendFailed when the face refuses."""

    def pieces(self, notice: Notice) -> int:
        """How many messages `notice` takes on this face (a long grid takes several)."""
        ...

    def post(self, channel: str, notice: Notice, piece: int = 1) -> str:
        """Post piece `piece` (1-based) of `notice` to a channel; returns its receipt."""
        ...

    def direct(self, user: str, notice: Notice) -> str:
        """A private message to one person; returns its receipt."""
        ...

    def pin(self, receipt: str) -> str:
        """Pin a message posted earlier (already pinned is fine)."""
        ...

    def unpin(self, receipt: str) -> str:
        """Unpin a message (gone or not pinned is fine)."""
        ...

    def refresh_cards(self, event_id: int, pitch_ids: Iterable[int] | None = None) -> None:
        """The pitches' cards (all of the event's with None) no longer show the truth: redraw them.
        Returns at once; the face converges in its own time and keeps trying."""
        ...

    def post_new_card(self, event_id: int, pitch_id: int) -> None:
        """A pitch made on another face (the web) has no card yet: post it where pitches go.
        Returns at once; a pitch that has a card already is left alone."""
        ...

    def seconds_to_send(self, posts: int, cards: int, dms: int) -> float:
        """About how long this many sends take within the face's rate limits."""
        ...


# event id -> the notifier that reaches that event's people, or None when nobody can be reached
# now (its Slack installation was revoked: nothing is sent, and nothing is lost, until it is back)
NotifierFactory = Callable[[int], "Notifier | None"]

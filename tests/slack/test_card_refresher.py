"""The card refresher's thread ends with its database, so it never claims cards in the next one."""

from __future__ import annotations

from campbot.config.context import AppContext
from campbot.slack.listeners.cards import refresher_for, stop_refresher


def test_a_stopped_refresher_forgets_its_cards_and_its_thread_ends(ctx: AppContext) -> None:
    first = refresher_for(ctx)
    assert refresher_for(ctx) is first  # one per database and process
    first.mark(1, 1, None)  # no such pitch: it will not be sent, but it is pending until tried
    stop_refresher(ctx.engine)
    first.thread.join(timeout=10)
    assert not first.thread.is_alive()
    first.mark(1, 2, None)
    assert first.pending() == 0
    second = refresher_for(ctx)
    assert second is not first and second.thread.is_alive()
    stop_refresher(ctx.engine)

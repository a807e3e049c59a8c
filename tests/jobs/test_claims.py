"""The SentNotification claim protocol on its own: insert wins once, stale claims and failures
are taken over, a slow loser cannot undo the winner, and repeated failure gives up loudly."""

from __future__ import annotations

import logging

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services import ledger
from campbot.services.ledger import ALREADY, BUSY, CLAIMED, GAVE_UP, claim, claim_attempt, finish
from campbot.store.db import session_scope
from campbot.store.tables import Event, SentNotification
from tests.jobs.helpers import Clock

KEY = "remind-dm:1:t3:U1"


def _row(ctx: AppContext) -> SentNotification:
    with session_scope(ctx.engine) as db:
        return db.exec(select(SentNotification).where(SentNotification.key == KEY)).one()


def _claim_it(ctx: AppContext, event_id: int) -> tuple[str, int]:
    return claim_attempt(ctx, event_id=event_id, key=KEY, kind="remind-dm", target="U1",
                         timeout=ledger.CLAIM_TIMEOUT, max_attempts=ledger.MAX_ATTEMPTS)


def test_a_slow_sender_whose_claim_was_taken_over_cannot_undo_the_winner(
        jctx: AppContext, event: Event, clock: Clock) -> None:
    eid = event.id or 0
    slow = _claim_it(jctx, eid)
    assert slow == (CLAIMED, 1)
    assert _claim_it(jctx, eid)[0] == BUSY
    clock.advance(minutes=3)  # the first sender looks dead
    fast = _claim_it(jctx, eid)
    assert fast == (CLAIMED, 2)
    finish(jctx, KEY, "sent", "D1 1.1", attempt=fast[1])
    finish(jctx, KEY, "failed", "timeout", attempt=slow[1])  # the slow one finally gives up
    assert _row(jctx).status == "sent"
    assert claim(jctx, event_id=eid, key=KEY, kind="remind-dm", target="U1") == ALREADY


def test_repeated_failures_give_up_and_say_so(jctx: AppContext, event: Event, caplog) -> None:
    eid = event.id or 0
    for n in range(1, ledger.MAX_ATTEMPTS + 1):
        outcome, attempt = _claim_it(jctx, eid)
        assert (outcome, attempt) == (CLAIMED, n)
        finish(jctx, KEY, "failed", "channel_not_found", attempt=attempt)
    assert _claim_it(jctx, eid)[0] == GAVE_UP
    row = _row(jctx)
    assert (row.status, row.attempts, row.detail) == ("failed", ledger.MAX_ATTEMPTS, "channel_not_found")

    def never() -> str:
        raise AssertionError("must not send after giving up")

    with caplog.at_level(logging.ERROR, logger="campbot.services.ledger"):
        assert ledger.deliver(jctx, event_id=eid, key=KEY, kind="remind-dm", target="U1", send=never) == GAVE_UP
    assert any("failed 8 times" in r.getMessage() for r in caplog.records)

"""Publishing interrupted: the database failing inside the numbering transaction, and the
process dying between that commit and the sends (and again in the middle of the sends).

Publishing is one transaction (the draft gets its number, status and changelog, plus an
audit row) followed by keyed sends, so: a failure inside the transaction leaves the draft a
draft with nothing sent; a death after it leaves a published version whose sends the next
start-up (or the scheduler's sweep: `resume_publications`) finishes, each message once.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services import ledger, publishing
from campbot.slack.listeners.cards import wait_idle
from campbot.slack.notifier import slack_notifiers
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion
from tests.e2e.conftest import CampClock
from tests.support.fake_slack import FakeSlack
from tests.support.grid_camp import add_pitch, make_draft


def _announcements(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "#lgc-announce"]


def _version(ctx: AppContext, version_id: int) -> GridVersion:
    with session_scope(ctx.engine) as db:
        row = db.get(GridVersion, version_id)
        assert row is not None
        return row


def test_a_database_failure_inside_the_publish_transaction_leaves_a_draft_and_sends_nothing(
    ctx: AppContext, event: Event, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    ids = [add_pitch(ctx, event, f"Talk {i}", f"U0H{i}") for i in range(3)]
    draft = make_draft(ctx, event, {pid: (f"r{i + 1}", "t1") for i, pid in enumerate(ids)})
    failing: dict[str, Any] = {"on": True, "writes": []}

    @sa_event.listens_for(ctx.engine, "before_cursor_execute")
    def _die_on_second_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """The first write of the publish transaction goes through; the second one dies."""
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if failing["on"] and verb in ("INSERT", "UPDATE"):
            failing["writes"].append(statement.split("(")[0][:40])
            if len(failing["writes"]) == 2:
                raise OperationalError(statement, None, Exception("connection lost mid-transaction (test)"))

    with pytest.raises(OperationalError):
        publishing.publish_with_report(ctx, event.id, draft, actor="U0ORGANISE1",
                notifier=slack_notifiers(ctx)(event.id))
    assert len(failing["writes"]) == 2, failing["writes"]  # one write had been made inside the transaction
    assert any("gridversion" in w.lower() for w in failing["writes"]), failing["writes"]
    row = _version(ctx, draft)
    assert (row.status, row.number, row.published_at) == ("draft", None, None)
    assert fake_slack.calls == []

    failing["on"] = False
    version, report = publishing.publish_with_report(ctx, event.id, draft, actor="U0ORGANISE1",
            notifier=slack_notifiers(ctx)(event.id))
    assert version.number == 1 and not report.failed
    assert len(_announcements(fake_slack)) == 1
    assert wait_idle(ctx, 30)  # the cards, on their one path
    assert sorted(c.params["ts"] for c in fake_slack.calls_to("chat.update")) == sorted(
        f"1600000000.{pid:06d}" for pid in ids
    )


def test_death_after_the_commit_and_again_mid_sends_resumes_each_message_once(
    ctx: AppContext, event: Event, fake_slack: FakeSlack
) -> None:
    assert event.id is not None
    ids = [add_pitch(ctx, event, f"Talk {i}", f"U0H{i}") for i in range(4)]
    draft = make_draft(ctx, event, {pid: (f"r{i + 1}", "t1") for i, pid in enumerate(ids)})
    # the process dies right after the numbering commit: published, nothing sent yet
    publishing.publish_with_report(ctx, event.id, draft, actor="U0ORGANISE1", notifier=None)
    assert _version(ctx, draft).status == "published" and fake_slack.calls == []

    # start-up resumes it, and Slack refuses one host's DM (the process "dies" with it unsent)
    fake_slack.fail("conversations.open", error="internal_error", times=1)
    (first,) = publishing.resume_publications(ctx, slack_notifiers(ctx))
    assert len(first.failed) == 1 and first.failed[0].startswith(f"host-dm:{event.id}:1:")
    # the next start-up (or the scheduler's sweep) sends only what is missing
    (second,) = publishing.resume_publications(ctx, slack_notifiers(ctx))
    assert second.sent == first.failed and not second.failed
    assert publishing.resume_publications(ctx, slack_notifiers(ctx)) == []  # complete: nothing more to do

    assert len(_announcements(fake_slack)) == 1
    opened = [c.params["users"] for c in fake_slack.calls_to("conversations.open")]
    assert sorted(opened) == [f"U0H{i}" for i in range(4)]  # each host once
    assert wait_idle(ctx, 30)
    updated = [c.params["ts"] for c in fake_slack.calls_to("chat.update")]
    assert sorted(updated) == sorted(f"1600000000.{pid:06d}" for pid in ids)  # each card once
    with session_scope(ctx.engine) as db:
        published = db.exec(select(GridVersion).where(GridVersion.status == "published")).all()
    assert [v.number for v in published] == [1]


def test_a_claim_left_by_a_killed_publisher_expires_and_the_sweep_reports_nothing_stuck(
    ctx: AppContext, event: Event, fake_slack: FakeSlack, clock: CampClock, caplog: pytest.LogCaptureFixture
) -> None:
    """kill -9 in the middle of publishing: the send being made stays "claimed" (issue 15, point 6).
    The sweep must not call the publication done while that claim is fresh, must send the message
    once the claim has expired, and must leave no row "claimed"."""
    from campbot.jobs import scheduling as jobs
    from campbot.store.tables import SentNotification

    assert event.id is not None
    ids = [add_pitch(ctx, event, f"Talk {i}", f"U0H{i}") for i in range(3)]
    draft = make_draft(ctx, event, {pid: (f"r{i + 1}", "t1") for i, pid in enumerate(ids)})
    publishing.publish_with_report(ctx, event.id, draft, actor="U0ORGANISE1", notifier=None)
    killed = f"host-dm:{event.id}:1:U0H1"  # the send the killed process had claimed, and never finished
    with session_scope(ctx.engine) as db:
        db.add(SentNotification(event_id=event.id, key=killed, kind="host-dm", target="U0H1", status="claimed",
                                attempts=1, sent_at=clock()))

    jobs._bind(ctx, slack_notifiers(ctx))  # what the scheduler's executor threads do
    try:
        jobs.sweep()  # at once after the restart: the claim is fresh, so the publication stays open
        assert _row(ctx, killed).status == "claimed"  # not sent twice while its claim may be alive
        assert not (_version(ctx, draft).figures or {}).get("sends_complete")
        clock.advance(minutes=4)  # past every claim lease
        caplog.clear()
        with caplog.at_level("WARNING"):
            jobs.sweep()
        assert "expired" in caplog.text and "stuck" not in caplog.text
    finally:
        jobs._bind(None, None)  # type: ignore[arg-type]
    assert ledger.stuck_claims(ctx) == []
    with session_scope(ctx.engine) as db:
        assert db.exec(select(SentNotification).where(SentNotification.status == "claimed")).all() == []
        dms = db.exec(select(SentNotification).where(col(SentNotification.key).like("host-dm:%"))).all()
    assert sorted(r.key for r in dms) == [f"host-dm:{event.id}:1:U0H{i}" for i in range(3)]
    assert all(r.status == "sent" for r in dms)  # each host's DM sent, the killed one too
    assert _row(ctx, killed).attempts == 2  # claimed by the dead process (expired), then sent by the sweep
    assert publishing.resume_publications(ctx, slack_notifiers(ctx)) == []  # complete now


def _row(ctx: AppContext, key: str) -> Any:
    from campbot.store.tables import SentNotification

    with session_scope(ctx.engine) as db:
        return db.exec(select(SentNotification).where(SentNotification.key == key)).one()

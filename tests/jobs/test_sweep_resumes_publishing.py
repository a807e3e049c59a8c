"""The leader's sweep finishes a publication that Slack cut short, once."""

from __future__ import annotations

from campbot.config.context import AppContext
from campbot.jobs import scheduling as jobs
from campbot.services import publishing
from campbot.services.notifier import NotifierFactory
from campbot.slack.listeners.cards import wait_idle
from campbot.slack.notifier import slack_notifiers
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack
from tests.support.grid_camp import add_pitch, make_draft


def test_sweep_resends_only_what_failed(jctx: AppContext, camp: Event, fake_slack: FakeSlack,
                                       sender: NotifierFactory) -> None:
    assert camp.id is not None
    ids = [add_pitch(jctx, camp, f"Talk {i}", f"U0HOST{i}") for i in range(3)]
    draft = make_draft(jctx, camp, {pid: (f"r{i + 1}", "t1") for i, pid in enumerate(ids)})
    fake_slack.fail("chat.postMessage", error="not_in_channel", times=1)  # the grid post is refused once
    _, report = publishing.publish_with_report(jctx, camp.id, draft, actor="U0ORGANISE1",
                                               notifier=slack_notifiers(jctx)(camp.id))
    announce = lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "#lgc-announce"]  # noqa: E731
    assert report.failed == ["grid:1:1:part1"] and not announce()
    hosts_told = len(fake_slack.calls_to("chat.postMessage"))  # every host's DM went out (issue 14)
    assert hosts_told == 3
    assert wait_idle(jctx, 30)  # the cards, on their one path
    updates = len(fake_slack.calls_to("chat.update"))
    assert updates == 3

    jobs._bind(jctx, sender)  # what the scheduler's executor threads do
    try:
        jobs.sweep()
        assert wait_idle(jctx, 30)
        grid_posts = len(fake_slack.calls_to("chat.postMessage"))
        assert len(announce()) >= 1 and grid_posts == hosts_told + len(announce())
        assert len(fake_slack.calls_to("chat.update")) == updates  # the cards were not sent again
        jobs.sweep()  # nothing left: nothing more is sent
        assert len(fake_slack.calls_to("chat.postMessage")) == grid_posts
    finally:
        jobs._bind(None, None)  # type: ignore[arg-type]

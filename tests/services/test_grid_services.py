"""Service-level tests of solve, publish and re-plan: a real database and a real solver process,
Slack's Web API played by FakeSlack. No Slack requests here (that is tests/e2e/test_grid_flow.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services import pins, publishing, solver_runner, solving
from campbot.services.errors import NotFound, ServiceError
from campbot.services.grid_queries import load_grid, published_grid
from campbot.services.problem_builder import build_problem
from campbot.services.replanning import close_room, find_person, host_gone, remaining_slot_keys, start_replan
from campbot.slack.listeners.cards import wait_idle
from campbot.slack.notifier import slack_notifiers
from campbot.store.db import session_scope
from campbot.store.tables import Event, GridVersion, Person, Pitch, Placement, Room, SentNotification, Slot, SolveRun
from scheduler.problem_file import parse_problem
from tests.support.fake_slack import FakeSlack
from tests.support.grid_camp import add_pitch, at, make_draft, vote


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def sctx(ctx: AppContext, fake: FakeSlack) -> AppContext:
    """The context with Slack pointed at the fake and the clock on the camp's morning."""
    settings = ctx.settings.model_copy(update={"slack_api_url": fake.url, "solve_workers": 1})
    return AppContext(settings=settings, engine=ctx.engine, clock=lambda: at("08:00"))


def _person_id(ctx: AppContext, event: Event, user: str) -> int:
    with session_scope(ctx.engine) as db:
        person = db.exec(select(Person).where(Person.event_id == event.id, Person.slack_user_id == user)).one()
        assert person.id is not None
        return person.id


# --------------------------------------------------------------------------- the problem


def test_problem_holds_active_pitches_votes_pins_and_closures(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "Open data", "U1")
    b = add_pitch(sctx, event, "Projectors", "U2", needs=["projector"], unavailable_slots=["t1"],
                  pin_room_key="r1", pin_slot_key=None, length=2)
    excluded = add_pitch(sctx, event, "Left out on purpose", "U3", excluded=True)
    withdrawn = add_pitch(sctx, event, "Withdrawn", "U3", status="withdrawn")
    paper = add_pitch(sctx, event, "Paper pitch", "U4", paper_votes=7)
    vote(sctx, event, "U5", a, excluded, withdrawn)
    vote(sctx, event, "U6", b, paper)
    with session_scope(sctx.engine) as db:
        room = db.exec(select(Room).where(Room.event_id == event.id, Room.key == "r3")).one()
        room.closed_slots = ["t5"]
        db.add(room)

    problem = build_problem(sctx, event.id)

    assert [s["id"] for s in problem["sessions"]] == [f"p{a}", f"p{b}", f"p{paper}"]
    by_id = {s["id"]: s for s in problem["sessions"]}
    assert by_id[f"p{a}"]["hosts"] == [f"u{_person_id(sctx, event, 'U1')}"]
    assert by_id[f"p{b}"] | {"hosts": None} == {
        "id": f"p{b}", "title": "Projectors", "hosts": None, "length": 2, "needs": ["projector"],
        "unavailable": ["t1"], "tags": [], "pin": {"room": "r1"}}
    assert problem["votes"] == {f"v{_person_id(sctx, event, 'U5')}": [f"p{a}"],
                                f"v{_person_id(sctx, event, 'U6')}": [f"p{b}", f"p{paper}"]}
    assert problem["extra_demand"] == {f"p{paper}": 7}
    assert {r["id"]: r["unavailable"] for r in problem["rooms"]}["r3"] == ["t5"]
    assert [s["id"] for s in problem["slots"]] == ["t1", "t2", "t3", "t4", "t5"]
    assert problem["slots"][0]["block"] == "am"
    assert "previous" not in problem and "frozen" not in problem
    parsed = parse_problem(problem)  # the solver's own reader accepts it
    assert len(parsed.sessions) == 3


def test_nothing_to_solve_is_a_plain_refusal(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    with pytest.raises(ServiceError, match="no pitches"):
        solving.start_solve(sctx, event.id, seconds=1, background=False)
    with session_scope(sctx.engine) as db:
        assert db.exec(select(SolveRun)).first() is None


def test_replan_problem_has_previous_and_clock_frozen_slots(sctx: AppContext, event: Event, fake: FakeSlack) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "A", "U1")
    b = add_pitch(sctx, event, "B", "U2")
    gone = add_pitch(sctx, event, "Withdrawn later", "U3")
    with pytest.raises(ServiceError, match="Nothing is published"):
        build_problem(sctx, event.id, replan=True)
    publishing.publish(sctx, event.id, make_draft(sctx, event, {a: ("r1", "t1"), b: ("r2", "t3"),
                                                                gone: ("r3", "t4")}), actor="U0ORGANISE1",
                                                                        notifier=slack_notifiers(sctx)(event.id))
    with session_scope(sctx.engine) as db:
        row = db.get(Pitch, gone)
        assert row is not None
        row.status = "withdrawn"
        db.add(row)

    problem = build_problem(sctx, event.id, replan=True, at=at("10:55"))

    assert problem["previous"] == {f"p{a}": {"room": "r1", "slot": "t1"}, f"p{b}": {"room": "r2", "slot": "t3"}}
    assert problem["frozen"] == ["t1", "t2"]  # t2 starts 11:00, within the 10 freeze minutes
    assert build_problem(sctx, event.id, replan=True, at=at("10:49"))["frozen"] == ["t1"]
    parse_problem(problem)


# --------------------------------------------------------------------------- solving


def _small_camp(ctx: AppContext, event: Event) -> dict[str, int]:
    ids = {name: add_pitch(ctx, event, name, f"UH{i}") for i, name in enumerate(
        ["Open data", "Digital inclusion", "Agile", "Low-code", "Climate", "Research", "FOI", "Bins"])}
    ids["Never"] = add_pitch(ctx, event, "Host can never come", "UH9",
                             unavailable_slots=["t1", "t2", "t3", "t4", "t5"])
    names = list(ids)
    for v in range(24):
        vote(ctx, event, f"UV{v}", *(ids[names[(v + k) % 8]] for k in range(3)))
    return ids


def test_solve_leaves_a_draft_with_figures_baseline_and_reasons(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    ids = _small_camp(sctx, event)

    run_id = solving.start_solve(sctx, event.id, seconds=2, requested_by="U0ORGANISE1", background=False)

    result = solving.solve_result(sctx, run_id)
    assert result.status == "done", result.error
    assert result.grid_version_id is not None
    f = result.figures
    assert f["scheduled"] == 8 and f["sessions"] == 9
    assert 0 < f["coverage"] <= 100
    assert f["baseline"] is not None and 0 < f["baseline"]["coverage"] <= f["coverage"] + 1e-6
    from scheduler.baseline import baseline
    from scheduler.problem_file import parse_problem

    with session_scope(sctx.engine) as db:
        run = db.get(SolveRun, run_id)
        assert run is not None
    by_hand = baseline(parse_problem(run.problem)).metrics  # the same figures the preview shows
    assert f["baseline"]["coverage"] == pytest.approx(by_hand.coverage, abs=0.01)
    assert f["baseline"]["scheduled"] == by_hand.scheduled
    assert [x["pitch_id"] for x in f["left_out"]] == [ids["Never"]]
    assert f["left_out"][0]["title"] == "Host can never come" and f["left_out"][0]["reason"]
    grid = load_grid(sctx, result.grid_version_id)
    assert grid.status == "draft" and grid.number is None
    assert {e.pitch_id for e in grid.entries} == {v for k, v in ids.items() if k != "Never"}
    cells = {(e.room_key, e.slot_keys[0]) for e in grid.entries}
    assert len(cells) == 8  # one session per room and slot
    assert published_grid(sctx, event.id) is None  # nothing public until published


def test_solve_runs_in_the_background_and_refuses_a_second_one(sctx: AppContext, event: Event,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert event.id is not None
    _small_camp(sctx, event)
    monkeypatch.setattr(solver_runner, "SOLVER_COMMAND", [sys.executable, "-c", "import time; time.sleep(30)"])
    monkeypatch.setattr(solver_runner, "default_grace", lambda limit: 0.5)
    began = time.monotonic()
    run_id = solving.start_solve(sctx, event.id, seconds=1)
    assert time.monotonic() - began < 1.0  # returned before the solver could finish
    with pytest.raises(ServiceError, match="already running"):
        solving.start_solve(sctx, event.id, seconds=1)
    deadline = time.monotonic() + 20
    while solving.solve_result(sctx, run_id).status == "running":
        assert time.monotonic() < deadline, "the hung solver was never stopped"
        time.sleep(0.05)
    result = solving.solve_result(sctx, run_id)
    assert result.status == "failed"
    assert "ran over its time" in result.error and result.grid_version_id is None


def test_a_run_orphaned_by_a_restart_is_marked_failed_and_does_not_block(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    add_pitch(sctx, event, "A", "U1")
    with session_scope(sctx.engine) as db:
        orphan = SolveRun(event_id=event.id, status="running", seconds=5, started_at=at("07:00"))
        db.add(orphan)
        db.flush()
        orphan_id = orphan.id
    run_id = solving.start_solve(sctx, event.id, seconds=1, background=False)  # the clock says 08:00
    assert solving.solve_result(sctx, run_id).status == "done"
    assert orphan_id is not None
    orphaned = solving.solve_result(sctx, orphan_id)
    assert orphaned.status == "failed" and "bot stopped" in orphaned.error


@pytest.mark.parametrize(("code", "expected"), [
    ("import sys; sys.stderr.write('Traceback: boom\\n'); raise SystemExit(3)", "crashed (exit code 3)"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "crashed (stopped by signal 9)"),
    ("import sys; print('error: rooms: the list is empty', file=sys.stderr); raise SystemExit(2)",
     "refused the problem: rooms: the list is empty"),
    ("pass", "wrote no readable solution"),
])
def test_a_broken_solver_marks_the_run_failed_in_plain_words(sctx: AppContext, event: Event,
                                                             monkeypatch: pytest.MonkeyPatch, code: str,
                                                             expected: str) -> None:
    assert event.id is not None
    add_pitch(sctx, event, "A", "U1")
    monkeypatch.setattr(solver_runner, "SOLVER_COMMAND", [sys.executable, "-c", code])
    run_id = solving.start_solve(sctx, event.id, seconds=1, background=False)
    result = solving.solve_result(sctx, run_id)
    assert result.status == "failed"
    assert expected in result.error
    assert "Traceback" not in result.error
    with session_scope(sctx.engine) as db:
        assert db.exec(select(GridVersion)).first() is None


def test_infeasible_setup_fails_with_the_solvers_explanation(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "A", "U1", pin_room_key="r2", pin_slot_key="t4")
    b = add_pitch(sctx, event, "B", "U2", pin_room_key="r2", pin_slot_key="t4")
    run_id = solving.start_solve(sctx, event.id, seconds=1, background=False)
    result = solving.solve_result(sctx, run_id)
    assert result.status == "failed"
    assert f"#{a}" in result.error and f"#{b}" in result.error


def test_pin_and_exclude_are_kept_by_the_next_solve(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "Pinned talk", "U1")
    b = add_pitch(sctx, event, "Excluded talk", "U2")
    add_pitch(sctx, event, "Other", "U3")
    assert "Library" in pins.pin_pitch(sctx, event.id, f"p{a}", ["Library", "14:00"])
    assert "left out" in pins.set_excluded(sctx, event.id, "excluded talk", True)
    with pytest.raises(ServiceError, match="neither a room nor a slot"):
        pins.pin_pitch(sctx, event.id, f"p{a}", ["Narnia"])
    with pytest.raises(NotFound):
        pins.pin_pitch(sctx, event.id, "no such thing", ["r1"])

    run_id = solving.start_solve(sctx, event.id, seconds=1, background=False)

    result = solving.solve_result(sctx, run_id)
    assert result.grid_version_id is not None
    grid = load_grid(sctx, result.grid_version_id).by_pitch()
    assert (grid[a].room_key, grid[a].slot_keys) == ("r5", ("t4",))
    assert b not in grid
    pins.unpin_pitch(sctx, event.id, f"p{a}")
    pins.set_excluded(sctx, event.id, f"p{b}", False)
    problem = build_problem(sctx, event.id)
    assert f"p{b}" in {s["id"] for s in problem["sessions"]}
    assert all("pin" not in s for s in problem["sessions"])


# --------------------------------------------------------------------------- publishing


def test_changelog_lists_moves_additions_and_drops_in_time_order(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "Stays", "U1")
    b = add_pitch(sctx, event, "Moves", "U2")
    c = add_pitch(sctx, event, "Dropped", "U3")
    d = add_pitch(sctx, event, "Added", "U4")
    publishing.publish(sctx, event.id, make_draft(sctx, event, {a: ("r1", "t1"), b: ("r2", "t1"), c: ("r3", "t2")}),
                       actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))
    v2 = publishing.publish(sctx, event.id, make_draft(sctx, event, {a: ("r1", "t1"), b: ("r5", "t4"),
                                                                     d: ("r4", "t3")}, based_on=1), actor="U0ORGANISE1",
                                                                             notifier=slack_notifiers(sctx)(event.id))
    assert v2.number == 2
    assert v2.changelog == [
        "dropped: Dropped, was Committee room A 11:00",
        "added: Added, Committee room B 13:00",
        "moved: Moves, Council chamber 10:00 -> Library 14:00",
    ]


def _announce(fake: FakeSlack) -> list[dict]:
    return [c.params for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "#lgc-announce"]


def test_publish_v1_posts_pins_and_updates_every_card_once(sctx: AppContext, event: Event, fake: FakeSlack) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "<!channel> & <@U1> <http://evil|click>", "U1")
    b = add_pitch(sctx, event, "Second", "U2")
    unplaced = add_pitch(sctx, event, "Not placed", "U3")
    add_pitch(sctx, event, "No card yet", "U4", channel=None)
    draft = make_draft(sctx, event, {a: ("r1", "t1"), b: ("r2", "t3")})

    version, report = publishing.publish_with_report(sctx, event.id, draft, actor="U0ORGANISE1",
            notifier=slack_notifiers(sctx)(event.id))

    assert version.number == 1 and version.status == "published" and not report.failed
    posts = _announce(fake)
    assert len(posts) == 1
    text = "\n".join(b["text"]["text"] for b in posts[0]["blocks"] if b["type"] == "section")
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://evil|click&gt;" in text
    assert "<!channel>" not in str(posts[0]) and "<@U1>" not in str(posts[0])
    sections = [b for b in posts[0]["blocks"] if b["type"] == "section"]
    assert len(sections) == 5  # one per slot, readable on a phone
    assert "*Main hall*" in sections[0]["text"]["text"] and "Host U1" in sections[0]["text"]["text"]
    assert "*Council chamber* · Second" in sections[2]["text"]["text"]
    pins = fake.calls_to("pins.add")
    assert len(pins) == 1 and pins[0].params["timestamp"].startswith("1700000000.")
    assert wait_idle(sctx, 30)  # cards go through the refresher (one path for every card update)
    updates = {c.params["ts"]: c.params for c in fake.calls_to("chat.update")}
    with session_scope(sctx.engine) as db:
        ts = {p.id: p.message_ts for p in db.exec(select(Pitch))}
    assert set(updates) == {ts[a], ts[b], ts[unplaced]}
    assert "Main hall" in str(updates[ts[a]]["blocks"]) and "Sat 10:00" in str(updates[ts[a]]["blocks"])
    assert "Not in the grid" in str(updates[ts[unplaced]]["blocks"])
    # version 1 DMs each placed host once with where and when (issue 14); the unplaced host, nobody
    assert sorted(c.params["users"] for c in fake.calls_to("conversations.open")) == ["U1", "U2"]
    dms = {c.params["channel"]: str(c.params["blocks"]) for c in fake.calls_to("chat.postMessage")
           if str(c.params["channel"]).startswith("D")}
    assert "Your session *Second*: Council chamber, " in dms["D2"] and "<!channel>" not in dms["D1"]
    assert report.plan.startswith("sending 1 announcement message(s), 3 card update(s), 2 DM(s)")

    calls = len(fake.calls)
    again, report2 = publishing.publish_with_report(sctx, event.id, draft, actor="U0ORGANISE2",
                                                    notifier=slack_notifiers(sctx)(event.id))
    assert wait_idle(sctx, 30)
    assert again.number == 1 and not report2.sent and len(fake.calls) == calls  # nothing sent twice


def test_publish_resumes_after_a_failure_and_a_crash_without_double_sends(sctx: AppContext, event: Event,
                                                                        fake: FakeSlack) -> None:
    assert event.id is not None
    ids = [add_pitch(sctx, event, f"Talk {i}", f"U{i}") for i in range(4)]
    draft = make_draft(sctx, event, {pid: (f"r{i + 1}", "t1") for i, pid in enumerate(ids)})
    key = {user: f"host-dm:{event.id}:1:{user}" for user in ("U0", "U1", "U2", "U3")}
    # a crash mid-publish: one host's DM was claimed long ago and never finished; another is
    # being sent right now by a second worker
    with session_scope(sctx.engine) as db:
        db.add(SentNotification(event_id=event.id, key=key["U0"], kind="host-dm", target="U0",
                                status="claimed", attempts=1, sent_at=at("07:50")))
        db.add(SentNotification(event_id=event.id, key=key["U1"], kind="host-dm", target="U1",
                                status="claimed", attempts=1, sent_at=at("07:59")))
    fake.fail("conversations.open", error="internal_error", times=1)

    _, first = publishing.publish_with_report(sctx, event.id, draft, actor="U0ORGANISE1",
                                              notifier=slack_notifiers(sctx)(event.id))

    assert first.failed == [key["U0"]]  # the stale claim was retried; Slack refused it once
    assert key["U1"] in first.busy  # the fresh claim belongs to someone else: not done yet
    assert sorted(c.params["users"] for c in fake.calls_to("conversations.open")) == ["U2", "U3"]  # U0's refused
    with session_scope(sctx.engine) as db:  # the other worker finishes its send
        row = db.exec(select(SentNotification).where(SentNotification.key == key["U1"])).one()
        row.status = "sent"
        db.add(row)

    # e.g. at start-up: only the failed DM goes
    (resumed,) = publishing.resume_publications(sctx, slack_notifiers(sctx))

    assert resumed.number == 1 and not resumed.failed and resumed.sent == [key["U0"]]
    assert publishing.resume_publications(sctx, slack_notifiers(sctx)) == []  # everything is out now
    _, again = publishing.publish_with_report(sctx, event.id, draft, actor="U0ORGANISE1",
                                              notifier=slack_notifiers(sctx)(event.id))
    assert again.sent == [] and not again.failed
    assert len(_announce(fake)) == 1 and len(fake.calls_to("pins.add")) == 1
    assert [c.params["users"] for c in fake.calls_to("conversations.open")].count("U0") == 1  # sent once, at last
    with session_scope(sctx.engine) as db:
        row = db.exec(select(SentNotification).where(SentNotification.key == key["U0"])).one()
        assert row.status == "sent" and row.attempts == 3
    assert wait_idle(sctx, 30)  # and every card shows its room, each updated once
    updates = [c.params["ts"] for c in fake.calls_to("chat.update")]
    assert sorted(updates) == sorted(f"1600000000.{pid:06d}" for pid in ids)


def test_a_card_slack_refuses_once_still_shows_its_room(sctx: AppContext, event: Event, fake: FakeSlack) -> None:
    """Cards go on the refresher's one path: a passing refusal is retried, not reported and dropped."""
    assert event.id is not None
    ids = [add_pitch(sctx, event, f"Talk {i}", f"U{i}") for i in range(2)]
    fake.fail("chat.update", error="internal_error", times=1)

    publishing.publish(sctx, event.id, make_draft(sctx, event, {ids[0]: ("r1", "t1"), ids[1]: ("r2", "t1")}),
                       actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))

    assert wait_idle(sctx, 30)
    last = {c.params["ts"]: str(c.params["blocks"]) for c in fake.calls_to("chat.update")}
    assert len(last) == 2  # the refused update was sent again, not dropped
    assert "Main hall" in last[f"1600000000.{ids[0]:06d}"] and "Council chamber" in last[f"1600000000.{ids[1]:06d}"]


def test_grid_is_split_within_slack_limits(sctx: AppContext, event: Event, fake: FakeSlack) -> None:
    assert event.id is not None
    long = "x" * 190
    ids = [add_pitch(sctx, event, f"{long} {i}", f"U{i}") for i in range(35)]
    cells = {pid: (f"r{i % 7 + 1}", f"t{i // 7 + 1}") for i, pid in enumerate(ids)}
    from campbot.slack.blocks import grid as grid_blocks

    monkey = pytest.MonkeyPatch()
    monkey.setattr(grid_blocks, "MESSAGE_CHARS", 3000)
    try:
        _, report = publishing.publish_with_report(sctx, event.id, make_draft(sctx, event, cells), actor="U0",
                notifier=slack_notifiers(sctx)(event.id))
    finally:
        monkey.undo()
    posts = _announce(fake)
    assert len(posts) >= 2 and not report.failed
    assert all(len(p["blocks"]) <= 50 for p in posts)
    sections = [b["text"]["text"] for p in posts for b in p["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert sum(s.count("\n") for s in sections) == 35  # every session once, no line cut
    assert posts[0]["blocks"][0]["text"]["text"].endswith(f"(part 1 of {len(posts)})")
    assert len(fake.calls_to("pins.add")) == 1


def test_v2_changelog_and_dms_only_to_affected_hosts_and_voters(sctx: AppContext, event: Event,
                                                                fake: FakeSlack) -> None:
    assert event.id is not None
    a = add_pitch(sctx, event, "Stays", "UHOSTA")
    b = add_pitch(sctx, event, "Moves", "UHOSTB")
    c = add_pitch(sctx, event, "Dropped", "UHOSTC")
    d = add_pitch(sctx, event, "Added", "UHOSTD")
    vote(sctx, event, "UVOTEA", a)
    vote(sctx, event, "UVOTEB", b, a)
    vote(sctx, event, "UVOTEC", c)
    vote(sctx, event, "UVOTED", d)
    vote(sctx, event, "UHOSTA", b)  # a host who also voted for a changed session
    publishing.publish(sctx, event.id, make_draft(sctx, event, {a: ("r1", "t1"), b: ("r2", "t1"), c: ("r3", "t2")}),
                       actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))
    v1_pin = fake.calls_to("pins.add")[0].params
    assert wait_idle(sctx, 30)  # version 1's cards are out before we watch version 2's
    fake.reset()
    stale = make_draft(sctx, event, {a: ("r1", "t1")})  # made before v1 was published

    version, report = publishing.publish_with_report(
        sctx, event.id, make_draft(sctx, event, {a: ("r1", "t1"), b: ("r5", "t4"), d: ("r4", "t3")}, based_on=1),
        actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))

    assert version.number == 2 and not report.failed
    opened = sorted(c.params["users"] for c in fake.calls_to("conversations.open"))
    assert opened == sorted(["UHOSTB", "UHOSTC", "UHOSTD", "UVOTEB", "UVOTEC", "UVOTED", "UHOSTA"])
    dms = {c.params["channel"]: c.params for c in fake.calls_to("chat.postMessage")
           if str(c.params["channel"]).startswith("D")}
    assert len(dms) == 7
    assert "Your session: moved: Moves, Council chamber 10:00 -&gt; Library 14:00" in str(dms["DHOSTB"]["blocks"])
    assert "A session you're interested in: dropped: Dropped" in str(dms["DVOTEC"]["blocks"])
    assert "interested in: moved: Moves" in str(dms["DHOSTA"]["blocks"])
    announce = _announce(fake)
    assert len(announce) == 2  # the grid, then the changelog
    assert "What changed in version 2" in str(announce[1]["blocks"])
    assert "dropped: Dropped" in str(announce[1]["blocks"]) and "added: Added" in str(announce[1]["blocks"])
    assert wait_idle(sctx, 30)
    updated = sorted(c.params["ts"] for c in fake.calls_to("chat.update"))
    assert updated == sorted(f"1600000000.{p:06d}" for p in (b, c, d))
    assert len(fake.calls_to("pins.add")) == 1  # version 2 pinned, version 1 unpinned
    assert [c.params["timestamp"] for c in fake.calls_to("pins.remove")] == [v1_pin["timestamp"]]

    with pytest.raises(ServiceError, match="out of date"):
        publishing.publish(sctx, event.id, stale, actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))


# --------------------------------------------------------------------------- re-planning


def test_close_room_and_host_gone_touch_only_the_remaining_slots(sctx: AppContext, event: Event) -> None:
    assert event.id is not None
    p1 = add_pitch(sctx, event, "Hosted by Sam", "USAM", unavailable_slots=["t5"])
    add_pitch(sctx, event, "Someone else", "UOTHER")
    assert remaining_slot_keys(sctx, event.id, at("12:55")) == ["t4", "t5"]
    assert [s.key for s in close_room(sctx, event.id, "r3", at=at("12:00")).changed] == ["t3", "t4", "t5"]
    # t1 frozen, t3-t5 done
    assert [s.key for s in close_room(sctx, event.id, "Committee room A", at=at("10:00")).changed] == ["t2"]
    assert host_gone(sctx, event.id, "USAM", "sam", at=at("12:00")).titles == ["Hosted by Sam"]
    with session_scope(sctx.engine) as db:
        room = db.exec(select(Room).where(Room.event_id == event.id, Room.key == "r3")).one()
        pitch = db.get(Pitch, p1)
        assert pitch is not None
    assert room.closed_slots == ["t3", "t4", "t5", "t2"]
    assert sorted(pitch.unavailable_slots) == ["t3", "t4", "t5"]
    with pytest.raises(NotFound, match="No room"):
        close_room(sctx, event.id, "r99")
    with pytest.raises(NotFound, match="Nobody called"):
        host_gone(sctx, event.id, None, "Nobody Here")
    with pytest.raises(ServiceError, match="nothing left"):
        close_room(sctx, event.id, "r1", at=at("18:00"))


def test_find_person_by_id_then_name_then_loosely() -> None:
    people = [Person(id=1, event_id=1, slack_user_id="U0GONE", display_name="gone.host", feed_token="a"),
              Person(id=2, event_id=1, slack_user_id=None, display_name="Sam  Jones", feed_token="b"),
              Person(id=3, event_id=1, slack_user_id="U0SAM2", display_name="sam_jones", feed_token="c")]
    ids = lambda user_id, name: [p.id for p in find_person(people, user_id, name)]  # noqa: E731
    assert ids("U0GONE", "someone else") == [1]  # the id wins over the label
    assert ids("U0LEFT", "gone.host") == [1]  # an id we do not know: the label still finds them
    assert ids(None, "GONE.HOST") == [1]
    assert ids(None, "Gone Host") == [1]  # display name vs. username
    assert ids(None, "sam jones") == [2]  # exact (spaces, case) before loose
    assert ids(None, "Sam-Jones") == [2, 3]  # loosely two people: the caller asks which
    assert ids(None, "...") == []


def test_replan_moves_only_what_closing_a_room_forces(sctx: AppContext, event: Event, fake: FakeSlack) -> None:
    assert event.id is not None
    _small_camp(sctx, event)
    run = solving.start_solve(sctx, event.id, seconds=2, background=False)
    v1_id = solving.solve_result(sctx, run).grid_version_id
    assert v1_id is not None
    publishing.publish(sctx, event.id, v1_id, actor="U0ORGANISE1", notifier=slack_notifiers(sctx)(event.id))
    v1 = load_grid(sctx, v1_id)
    victims = {e.pitch_id for e in v1.entries if e.room_key == "r1" and e.slot_keys[0] in ("t3", "t4", "t5")}
    noon = at("12:00")
    close_room(sctx, event.id, "r1", at=noon)

    replan = start_replan(sctx, event.id, seconds=2, at=noon, background=False)

    result = solving.solve_result(sctx, replan)
    assert result.status == "done", result.error
    assert result.figures["frozen"] == ["t1", "t2"] and result.figures["moves"] == len(victims)
    assert result.grid_version_id is not None
    v2 = publishing.publish(sctx, event.id, result.grid_version_id, actor="U0ORGANISE1",
            notifier=slack_notifiers(sctx)(event.id))
    with session_scope(sctx.engine) as db:
        placed = db.exec(select(Placement).where(Placement.grid_version_id == result.grid_version_id)).all()
        assert len(placed) == 8
    moved = {c["pitch_id"] for c in v2.figures["changes"]}
    assert moved == victims
    assert all(line.startswith("moved: ") for line in v2.changelog)


def test_by_hand_figures_are_read_from_the_solver_summary_or_left_to_the_fallback() -> None:
    lines = ["status      FEASIBLE", "coverage    88.69%   (by hand 83.03%)   bound 99.43%",
             "seats short 1.5   (by hand 12.0)", "scheduled   33 of 38   (by hand 32)   left out 5",
             "moves       2   (by hand 7)"]
    assert solver_runner.by_hand_figures(lines) == {"coverage": 83.03, "seats_short": 12.0, "scheduled": 32,
                                                    "moves": 7}
    assert solver_runner.by_hand_figures(lines[:2]) is None  # incomplete: the bot computes it itself


def test_pin_takes_the_weekday_and_time_the_solvers_reasons_suggest(sctx: AppContext, event: Event) -> None:
    """Over two days the solver suggests `/camp pin p5 r1 Sun 10:00`: that must pin, to that day."""
    assert event.id is not None
    a = add_pitch(sctx, event, "Sunday talk", "U1")
    with session_scope(sctx.engine) as db:
        last = max(db.exec(select(Slot).where(Slot.event_id == event.id)), key=lambda s: s.start)
        last.start, last.end = last.start + timedelta(days=1), last.end + timedelta(days=1)
        db.add(last)
        key, clock = last.key, last.start.astimezone(ZoneInfo(event.timezone))
    day, time_of_day = clock.strftime("%a"), clock.strftime("%H:%M")
    said = pins.pin_pitch(sctx, event.id, f"p{a}", ["r1", day, time_of_day])
    assert "Pinned" in said and "Main hall" in said
    with session_scope(sctx.engine) as db:
        pitch = db.get(Pitch, a)
        assert pitch is not None and (pitch.pin_room_key, pitch.pin_slot_key) == ("r1", key)
    with pytest.raises(ServiceError, match="neither a room nor a slot"):
        pins.pin_pitch(sctx, event.id, f"p{a}", ["r1", "Mon", time_of_day])  # no such day at this camp

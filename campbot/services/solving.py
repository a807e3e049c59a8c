"""Solving: build the problem, run the solver out of process, keep the result as a draft grid.

A solve is a SolveRun row with a lifecycle (running -> done | failed), so whatever happens to the
solver (a crash, a hang, an overrun, an infeasible set-up) the organiser sees a plain reason and
the bot keeps answering. The work runs in a background thread that drives the child process
(campbot/services/solver_runner.py); Slack's 3-second ack is long gone by then.

On success the run leaves a draft GridVersion (Placement rows plus figures: coverage, seats
short, moves, scheduled, bound, the by-hand baseline's figures and every left-out pitch with its
reason). Nothing is shown to attendees until an organiser publishes it (publishing.py).
Pins and exclusions, which only change what the next solve is given, are campbot.services.pins.
Some 415 lines on purpose: one run's whole life (start, the child process, the drafts and their
figures, the reasons a run failed) reads top to bottom in one place.

Who hears about it is up to the caller's `SolveNotifier`: the Slack one
(campbot.slack.solve_progress.SlackSolveNotifier) keeps a progress message in the organisers'
channel up to date with chat.update and then posts the private preview to the organiser who
asked (an ephemeral message, or a DM if they cannot see that channel); the CLI prints.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services import solver_runner
from campbot.services.errors import NotFound, ServiceError
from campbot.services.problem_builder import build_problem, latest_published, pitch_id_of
from campbot.services.times import slot_time
from campbot.store.db import session_scope
from campbot.store.tables import AuditLog, Event, GridVersion, Pitch, Placement, Room, Slot, SolveRun
from scheduler.baseline import baseline
from scheduler.problem_file import parse_problem

log = logging.getLogger(__name__)

MIN_SECONDS, MAX_SECONDS = 1.0, 600.0
COVERAGE, SEATS = "coverage", "seats"  # the solver's --objective values
OBJECTIVE_NAMES = {COVERAGE: "Highest coverage", SEATS: "Room for everyone"}
PROGRESS_EVERY = 1.0  # seconds between progress writes / notifications


class SolveNotifier(Protocol):
    """Told about one run as it goes; every method must be quick and must not raise."""
    def started(self, run_id: int) -> None: ...
    def progress(self, run_id: int, fraction: float, note: str) -> None: ...
    def finished(self, run_id: int) -> None: ...


@dataclass(frozen=True)
class SolveResult:
    """A finished run as the CLI and the preview see it."""

    run_id: int
    status: str  # done | failed
    kind: str
    error: str
    grid_version_id: int | None  # the highest-coverage grid
    figures: dict[str, Any]
    room_for_everyone: GridChoice | None = None  # the other grid, when it differs and was made

    @property
    def choices(self) -> tuple[GridChoice, ...]:
        """The grids an organiser may publish from this run, highest coverage first."""
        first = () if self.grid_version_id is None else (GridChoice(COVERAGE, self.grid_version_id, self.figures),)
        return first + ((self.room_for_everyone,) if self.room_for_everyone is not None else ())


@dataclass(frozen=True)
class GridChoice:
    """One draft grid of a run and what it is for: "coverage" (most wishes served) or "seats"
    (room for everyone: seats short no worse than the by-hand grid's)."""

    objective: str
    grid_version_id: int
    figures: dict[str, Any]


def clamp_seconds(ctx: AppContext, seconds: float | None) -> float:
    value = ctx.settings.solve_seconds if seconds is None else float(seconds)
    if not MIN_SECONDS <= value <= MAX_SECONDS:
        raise ServiceError(f"Give the solver between {MIN_SECONDS:g} and {MAX_SECONDS:g} seconds "
                           f"(you asked for {value:g}).")
    return value


def start_solve(ctx: AppContext, event_id: int, *, kind: str = "solve", requested_by: str | None = None,
                seconds: float | None = None, at: datetime | None = None, channel: str | None = None,
                notifier: SolveNotifier | None = None, background: bool = True) -> int:
    """Start a solve (or, with kind="replan", a re-plan from the published grid); returns the SolveRun id.

    The problem is built here, so "nothing to solve" is refused at once (ServiceError) rather than
    as a failed run. With `background` (the default) the solver runs in a thread and this returns
    straight away; without, it returns once the run has finished (the CLI).
    """
    if kind not in ("solve", "replan"):
        raise ValueError(f"unknown solve kind {kind!r}")
    limit = clamp_seconds(ctx, seconds)
    problem = build_problem(ctx, event_id, replan=kind == "replan", at=at)
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("That event no longer exists.")
        if db.get_bind().dialect.name == "postgresql":
            db.exec(select(Event).where(Event.id == event_id).with_for_update()).one()
        busy = _running(db, event_id, ctx.now())
        if busy is not None:
            raise ServiceError(f"A {busy.kind} is already running (started {_ago(ctx.now(), busy.started_at)}); "
                               "its preview will follow. Try again when it has finished.")
        published = latest_published(db, event_id)
        run = SolveRun(event_id=event_id, kind=kind, status="running", requested_by=requested_by,
                       progress=0.0, progress_note="starting", seconds=limit, problem=problem,
                       channel=channel, started_at=ctx.now())
        db.add(run)
        db.flush()
        assert run.id is not None
        run_id = run.id
        db.add(AuditLog(event_id=event_id, actor=requested_by or "", action=f"{kind}.start",
                        detail={"run": run_id, "seconds": limit, "sessions": len(problem["sessions"]),
                                "based_on": published.number if published else None}))
    if notifier is not None:
        _safely(notifier.started, run_id)
    if background:
        threading.Thread(target=run_solve, args=(ctx, run_id, notifier), name=f"solve-{run_id}", daemon=True).start()
    else:
        run_solve(ctx, run_id, notifier)
    return run_id


def _running(db: Any, event_id: int, now: datetime) -> SolveRun | None:
    """A run still within its time. One past it died with the bot that ran it (a restart, a
    crash): it is marked failed here, so its row does not say "running" for ever."""
    busy = None
    for run in db.exec(select(SolveRun).where(SolveRun.event_id == event_id, SolveRun.status == "running")):
        limit = 2 * (run.seconds + solver_runner.default_grace(run.seconds)) + 30  # up to two solver runs
        if run.started_at + timedelta(seconds=limit) > now:
            busy = run
        else:
            run.status, run.finished_at = "failed", now
            run.error = "the bot stopped while this solve was running; it was never finished"
            db.add(run)
    return busy


def _ago(now: datetime, then: datetime) -> str:
    secs = max(0, int((now - then).total_seconds()))
    return f"{secs} s ago" if secs < 120 else f"{secs // 60} min ago"


def run_solve(ctx: AppContext, run_id: int, notifier: SolveNotifier | None = None) -> SolveResult:
    """Drive one run to its end; never raises (a bug here still marks the run failed)."""
    try:
        result = _run(ctx, run_id, notifier)
    except Exception as exc:  # noqa: BLE001 - the run must end as failed, not as "running" forever
        log.exception("solve run %s failed", run_id)
        result = _fail(ctx, run_id, f"something went wrong while saving the grid ({type(exc).__name__})")
    if notifier is not None:
        _safely(notifier.finished, run_id)
    return result


def _run(ctx: AppContext, run_id: int, notifier: SolveNotifier | None) -> SolveResult:
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        if run is None:
            raise NotFound(f"no solve run {run_id}")
        problem, limit = run.problem, run.seconds
    last = [0.0]

    def progress(fraction: float, note: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        with session_scope(ctx.engine) as db:
            row = db.get(SolveRun, run_id)
            if row is not None and row.status == "running":
                row.progress, row.progress_note = round(fraction, 3), note[:200]
                db.add(row)
        if notifier is not None:
            notifier.progress(run_id, fraction, note)

    def phase(start: float, name: str) -> solver_runner.Progress:
        return lambda fraction, note: progress(start + fraction / 2, f"{name}: {note}")

    outcome = solver_runner.run_solver(problem, time_limit=limit, workers=ctx.settings.solve_workers,
                                       progress=phase(0.0, "highest coverage"))
    failed = _no_grid(problem, outcome)
    if failed:
        return _fail(ctx, run_id, failed, solution=outcome.solution)
    solution = outcome.solution
    assert solution is not None
    by_hand = solver_runner.by_hand_figures(outcome.stderr_lines) or _baseline(problem)
    first = _store(ctx, run_id, problem, solution, by_hand, outcome.seconds, objective=COVERAGE)
    if not _short_of_seats(first.figures, by_hand):
        return _finish(ctx, run_id, first, solution, by_hand, "same")
    second = solver_runner.run_solver(problem, time_limit=limit, workers=ctx.settings.solve_workers,
                                      objective=SEATS, progress=phase(0.5, "room for everyone"))
    failed = _no_grid(problem, second)
    if failed:
        return _finish(ctx, run_id, first, solution, by_hand, f"not made: {failed}")
    assert second.solution is not None
    other = _store(ctx, run_id, problem, second.solution, by_hand, second.seconds, objective=SEATS)
    assert other.grid_version_id is not None
    return _finish(ctx, run_id, first, solution, by_hand, "made",
                   GridChoice(SEATS, other.grid_version_id, other.figures))


def _no_grid(problem: dict[str, Any], outcome: solver_runner.RunResult) -> str:
    """Why a solver run gave no usable grid, in organisers' words; "" when it gave one."""
    if not outcome.ok:
        return outcome.error
    solution = outcome.solution or {}
    if solution.get("status") == "INFEASIBLE" or not solution.get("placements"):
        said = organiser_words("; ".join(str(s) for s in solution.get("explanation") or [])) or "no reason was given"
        verdict = "cannot work as set up" if solution.get("status") == "INFEASIBLE" else "found no grid in time"
        return f"the grid {verdict}: {said}"
    return ""


def _short_of_seats(figures: dict[str, Any], by_hand: dict[str, Any] | None) -> bool:
    """Does this grid leave more people standing than the by-hand grid would? Only then is a
    "room for everyone" grid worth a second solver run: otherwise this grid already is one."""
    if by_hand is None or by_hand.get("seats_short") is None or figures.get("seats_short") is None:
        return False
    return float(figures["seats_short"]) > float(by_hand["seats_short"]) + 0.05


_SESSION_REF = re.compile(r"\bp(\d+)\b")


def slot_time_labels(problem: dict[str, Any]) -> dict[str, str]:
    """Slot key -> "10:00–10:45" in the camp's clock, from a campbot.problem/1 dict."""
    tz = ZoneInfo(str((problem.get("event") or {}).get("timezone") or "UTC"))
    return {str(s["id"]): slot_time(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), tz)
            for s in problem.get("slots") or []}


def organiser_words(text: str) -> str:
    """The solver's words as organisers know things: a pitch is "#12", not "p12". (Slots the
    solver already names by their local clock time: scheduler/wording.py.)"""
    return _SESSION_REF.sub(r"#\1", text)


def _baseline(problem: dict[str, Any]) -> dict[str, Any] | None:
    """The by-hand grid's figures, for the preview; a fault here only loses the comparison."""
    try:
        m = baseline(parse_problem(problem)).metrics
        return {"coverage": m.coverage, "seats_short": m.seats_short, "moves": m.moves, "scheduled": m.scheduled}
    except Exception:  # noqa: BLE001
        log.exception("baseline failed")
        return None


def _store(ctx: AppContext, run_id: int, problem: dict[str, Any], solution: dict[str, Any],
           by_hand: dict[str, Any] | None, seconds: float, *, objective: str) -> SolveResult:
    """Keep one solution as a draft GridVersion of the run (the run itself is still running)."""
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        assert run is not None
        event_id = run.event_id
        rooms = {r.key: r for r in db.exec(select(Room).where(Room.event_id == event_id))}
        slots = {s.key: s for s in db.exec(select(Slot).where(Slot.event_id == event_id))}
        sessions = {s["id"]: s for s in problem["sessions"]}
        titles = {s["id"]: s["title"] for s in problem["sessions"]}
        published = latest_published(db, event_id)
        metrics = solution.get("metrics") or {}
        labels = slot_time_labels(problem)
        left_out = [{"pitch_id": pitch_id_of(u["session"]), "title": titles.get(u["session"], u["session"]),
                     "reason": organiser_words(str(u.get("reason", "")))}
                    for u in solution.get("unscheduled") or []]
        excluded = db.exec(select(Pitch).where(Pitch.event_id == event_id, Pitch.status == "active",
                                               Pitch.excluded == True).order_by(col(Pitch.id)))  # noqa: E712
        left_out += [{"pitch_id": p.id, "title": p.title,
                      "reason": f"left out by an organiser (/camp include {p.id} takes it back)"} for p in excluded]
        figures = {
            "kind": run.kind,
            "objective": objective,
            "status": solution.get("status"),
            "coverage": metrics.get("coverage"),
            "seats_short": metrics.get("seats_short"),
            "moves": metrics.get("moves", 0),
            "scheduled": metrics.get("scheduled", len(solution["placements"])),
            "sessions": len(problem["sessions"]),
            "bound": solution.get("bound"),
            "seconds": round(float(solution.get("seconds") or seconds), 1),
            "wall_seconds": round(seconds, 1),
            "baseline": by_hand,
            "left_out": left_out,
            "left_out_with_room": [pitch_id_of(s) for s in metrics.get("left_out_with_room") or []],
            "frozen": list(problem.get("frozen") or []),
            "frozen_times": [labels.get(k, k) for k in problem.get("frozen") or []],  # keys as the camp's times
            "based_on": published.number if published else None,
        }
        version = GridVersion(event_id=event_id, solve_run_id=run_id, status="draft", figures=figures,
                              created_at=ctx.now())
        db.add(version)
        db.flush()
        assert version.id is not None
        live = {p.id for p in db.exec(select(Pitch).where(col(Pitch.id).in_(
            [pitch_id_of(p["session"]) for p in solution["placements"]])))}
        for p in solution["placements"]:
            pid = pitch_id_of(p["session"])
            if pid not in live:
                continue  # deleted while solving; it simply is not in this grid
            room_id, slot_id = rooms[p["room"]].id, slots[p["slot"]].id
            assert room_id is not None and slot_id is not None
            db.add(Placement(grid_version_id=version.id, pitch_id=pid, room_id=room_id, slot_id=slot_id,
                             length=int(sessions[p["session"]].get("length", 1))))
        return SolveResult(run_id, "running", run.kind, "", version.id, figures)


def _finish(ctx: AppContext, run_id: int, first: SolveResult, solution: dict[str, Any],
            by_hand: dict[str, Any] | None, room_for_everyone: str,
            other: GridChoice | None = None) -> SolveResult:
    """Mark the run done. `room_for_everyone` says what became of the second grid: "same" (the
    highest-coverage grid already seats everyone as well as by hand), "made", or "not made: why";
    the highest-coverage grid's figures keep it, for the preview and the CLI."""
    assert first.grid_version_id is not None
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        version = db.get(GridVersion, first.grid_version_id)
        assert run is not None and version is not None
        figures = {**version.figures, "room_for_everyone": room_for_everyone,
                   "alternative_id": other.grid_version_id if other is not None else None}
        version.figures = figures
        db.add(version)
        run.status, run.progress, run.progress_note = "done", 1.0, "done"
        run.solution, run.baseline, run.finished_at = solution, by_hand, ctx.now()
        db.add(run)
        db.add(AuditLog(event_id=run.event_id, actor=run.requested_by or "", action=f"{run.kind}.done",
                        detail={"run": run_id, "grid_version": version.id, "coverage": figures.get("coverage"),
                                "room_for_everyone": other.grid_version_id if other is not None
                                else room_for_everyone[:200]}))
        return SolveResult(run_id, "done", run.kind, "", version.id, figures, other)


def _fail(ctx: AppContext, run_id: int, error: str, *, solution: dict[str, Any] | None = None) -> SolveResult:
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        if run is None:
            return SolveResult(run_id, "failed", "solve", error, None, {})
        run.status, run.error, run.finished_at = "failed", error[:2000], ctx.now()
        run.progress_note = "failed"
        if solution is not None:
            run.solution = solution
        db.add(run)
        db.add(AuditLog(event_id=run.event_id, actor=run.requested_by or "", action=f"{run.kind}.failed",
                        detail={"run": run_id, "error": error[:300]}))
        return SolveResult(run_id, "failed", run.kind, error, None, {})


def solve_result(ctx: AppContext, run_id: int) -> SolveResult:
    """Where a run stands now (status "running" while it runs)."""
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        if run is None:
            raise NotFound("That solve no longer exists.")
        versions = list(db.exec(select(GridVersion).where(GridVersion.solve_run_id == run_id)
                                .order_by(col(GridVersion.id))))
        if run.status != "done" or not versions:
            return SolveResult(run_id, run.status, run.kind, run.error, None, {})
        by_objective = {str((v.figures or {}).get("objective") or COVERAGE): v for v in versions}
        first = by_objective.get(COVERAGE, versions[0])
        other = by_objective.get(SEATS)
        return SolveResult(run_id, run.status, run.kind, run.error, first.id, dict(first.figures),
                           GridChoice(SEATS, other.id, dict(other.figures))
                           if other is not None and other.id is not None else None)


def last_run_seconds(ctx: AppContext, event_id: int, kind: str) -> float | None:
    """How long the solver took on this event's last finished run of this kind, both grids
    together (None if none has finished): what an organiser can expect, rather than the limit."""
    with session_scope(ctx.engine) as db:
        run = db.exec(select(SolveRun).where(SolveRun.event_id == event_id, SolveRun.kind == kind,
                                             SolveRun.status == "done").order_by(col(SolveRun.id).desc())).first()
        if run is None:
            return None
        grids = db.exec(select(GridVersion).where(GridVersion.solve_run_id == run.id))
        took = sum(float((v.figures or {}).get("wall_seconds") or 0) for v in grids)
        return max(1.0, took) if took else None


def set_progress_message(ctx: AppContext, run_id: int, channel: str, ts: str) -> None:
    """Remember the message that follows this run, so a restarted bot could still update it."""
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
        if run is not None:
            run.channel, run.message_ts = channel[:64], ts[:32]
            db.add(run)


def get_run(ctx: AppContext, run_id: int) -> SolveRun:
    with session_scope(ctx.engine) as db:
        run = db.get(SolveRun, run_id)
    if run is None:
        raise NotFound("That solve no longer exists.")
    return run


def _safely(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - telling people is best effort; the run's row is the truth
        log.exception("solve notifier failed")


# --------------------------------------------------------------------------- pins and exclusions

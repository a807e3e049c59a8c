"""Run the solver in its own process, through the file contract (campbot.problem/1 -> solution/1).

Why a subprocess and not a function call: CP-SAT holds the GIL in places, can use every core and
a lot of memory, and a bug in it (or in a model) can crash or hang. In a child process none of that
reaches the bot: the child is killed when it overruns `time_limit + grace`, and any exit that is
not a clean solution becomes a plain sentence for the organiser.

`SOLVER_COMMAND` is the argv prefix; tests point it at a child that crashes or hangs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SOLVER_COMMAND: list[str] = [sys.executable, "-m", "scheduler"]
POLL_SECONDS = 0.25

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RunResult:
    """What came back: a solution dict, or `error` (a sentence fit for an organiser)."""

    solution: dict[str, Any] | None
    error: str
    seconds: float
    returncode: int | None
    stderr_tail: str = ""
    stderr_lines: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.solution is not None and not self.error


def default_grace(time_limit: float) -> float:
    """Extra time beyond the limit before the child is killed: start-up, model build, writing out."""
    return 15.0 + 0.25 * time_limit


def _child_env() -> dict[str, str]:
    """The child must import `scheduler` whatever the current directory is."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_solver(problem: dict[str, Any], *, time_limit: float, workers: int = 2, seed: int = 1,
               grace: float | None = None, progress: Progress | None = None,
               command: list[str] | None = None, objective: str | None = None) -> RunResult:
    """Solve `problem` in a child process; never raises for anything the child does.

    `objective` is the solver's --objective ("coverage", its default, or "seats": room for
    everyone); None leaves the solver's default. `progress(fraction, note)` is called about
    every POLL_SECONDS with the share of the time limit used (the solver writes its figures
    only at the end); exceptions in it are logged and ignored so a Slack hiccup cannot kill a
    solve.
    """
    grace = default_grace(time_limit) if grace is None else grace
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="campbot-solve-") as tmp:
        problem_path = Path(tmp) / "problem.json"
        out_path = Path(tmp) / "solution.json"
        problem_path.write_text(json.dumps(problem), encoding="utf-8")
        argv = [*(command or SOLVER_COMMAND), str(problem_path), "--time-limit", f"{time_limit:g}",
                "--seed", str(seed), "--workers", str(max(1, workers)), "--out", str(out_path)]
        if objective is not None:
            argv += ["--objective", objective]
        try:
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=_child_env(), text=True,
                                     encoding="utf-8", errors="replace")
        except OSError as exc:
            return RunResult(None, f"the solver could not be started ({exc.strerror or exc})", 0.0, None)
        lines: list[str] = []
        reader = threading.Thread(target=_drain, args=(child, lines), daemon=True)
        reader.start()
        deadline = began + time_limit + grace
        killed = False
        while child.poll() is None:
            now = time.monotonic()
            if now >= deadline:
                child.kill()
                killed = True
                break
            if progress is not None:
                _report(progress, min(0.99, (now - began) / max(time_limit, 1e-6)),
                        f"searching: {now - began:.0f} of {time_limit:.0f} seconds")
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=POLL_SECONDS)
        child.wait()
        reader.join(timeout=2)
        seconds = time.monotonic() - began
        tail = "\n".join(lines[-20:])
        if killed:
            return RunResult(None, f"the solver ran over its time ({time_limit:g} s plus {grace:g} s grace) "
                                   "and was stopped; try again, or with fewer seconds", seconds, child.returncode,
                             tail)
        if child.returncode != 0:
            return RunResult(None, _exit_reason(child.returncode, lines), seconds, child.returncode, tail)
        try:
            solution = json.loads(out_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return RunResult(None, "the solver finished but wrote no readable solution", seconds, 0, tail)
        if not isinstance(solution, dict) or solution.get("format") != "campbot.solution/1":
            return RunResult(None, "the solver wrote something that is not a campbot.solution/1 file",
                             seconds, 0, tail)
        return RunResult(solution, "", seconds, 0, tail, tuple(lines))


_BY_HAND = {
    "coverage": re.compile(r"^coverage\s.*\(by hand ([\d.]+)%\)"),
    "seats_short": re.compile(r"^seats short\s.*\(by hand ([\d.]+)\)"),
    "scheduled": re.compile(r"^scheduled\s.*\(by hand (\d+)\)"),
    "moves": re.compile(r"^moves\s.*\(by hand (\d+)\)"),
}


def by_hand_figures(lines: tuple[str, ...] | list[str]) -> dict[str, Any] | None:
    """The by-hand baseline's figures from the solver's summary on stderr ("coverage 88.69%
    (by hand 83.03%)"), so the bot need not build the baseline again; None when not all there."""
    found: dict[str, Any] = {"moves": 0}
    for line in lines:
        for key, pattern in _BY_HAND.items():
            m = pattern.match(line)
            if m:
                found[key] = int(m.group(1)) if key in ("scheduled", "moves") else float(m.group(1))
    return found if {"coverage", "seats_short", "scheduled"} <= found.keys() else None


def _drain(child: subprocess.Popen[str], lines: list[str]) -> None:
    assert child.stderr is not None
    for line in child.stderr:
        line = line.rstrip()
        if line:
            if len(lines) < 2000:
                lines.append(line[:500])
            log.debug("solver: %s", line)


def _report(progress: Progress, fraction: float, note: str) -> None:
    try:
        progress(fraction, note)
    except Exception:  # noqa: BLE001 - a progress display must never stop the solve
        log.exception("progress callback failed")


def _exit_reason(code: int, lines: list[str]) -> str:
    if code == 2:
        said = next((ln.removeprefix("error: ") for ln in reversed(lines) if ln.startswith("error:")), "")
        return f"the solver refused the problem: {said}" if said else "the solver refused the problem"
    if code < 0:
        return f"the solver crashed (stopped by signal {-code})"
    return f"the solver crashed (exit code {code})"

#!/usr/bin/env python3
"""Solver benchmark (not a test): campbot's two grids vs the by-hand baseline (vs conference-scheduler).

    .venv/bin/python bench/solver.py [--instances DIR] [--time-limit S] [--quick] [--only NAME ...]
                                     [--papers] [--solvers ...] [--bound-seconds S]

For every instance in bench/instances (the project's copies of the shared instances) each solver
runs in its own subprocess, which reports its wall time and peak memory (ru_maxrss of the child
itself): campbot's default grid ("coverage"), its "room for everyone" grid ("seats"), and the
organisers' by-hand method. Every grid is judged by the project's own validator and figures
(scheduler.validate.report) and, when `--check FILE` names an independent reference checker, by
it too (its figures are then the ones printed, and they must agree). A per-run table
goes to stdout, then one line per instance with the three grids side by side, the proven bound,
the gap and the targets of issue 13; the raw results go to bench/results/solver.json.

`--papers DIR` adds real conferences' `*.problem.json` files from DIR (kept outside the project:
their README asks not to copy them in), whose best coverage is proven for four.

conference-scheduler (PyCon UK's PuLP/CBC model, `--solvers ... conference-scheduler`) needs every
event scheduled and knows nothing of votes per voter, so it gets the most-voted single-slot
sessions that fit the cells, demand = votes, host clashes as event unavailability, missing
features and closed rooms as slot unavailability, CBC with the same time limit. It builds a dense
x[event, room-slot] model in Python, so on the large instances it may not finish: that is
reported as such, not hidden.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCES = REPO / "bench" / "instances"
LIMITS = {"localgovcamp": 10.0, "ukgovcamp": 20.0, "minnebar": 60.0, "mega": 120.0, "ukgovcamp-replan": 10.0}
PAPER_LIMIT = 20.0
TARGETS = {"localgovcamp": 91.2, "ukgovcamp": 78.5, "minnebar": 81.0}
GAP_TARGET = {"localgovcamp": 5.0, "ukgovcamp": 5.0}  # proven gap between grid and bound, points
ORDER = ["localgovcamp", "ukgovcamp", "minnebar", "mega", "ukgovcamp-replan"]


# --------------------------------------------------------------------------- child side


def _campbot(objective: str) -> Any:
    def run(path: Path, limit: float, workers: int, seed: int, bound_seconds: float = 0.0) -> dict[str, Any]:
        from scheduler.problem_file import load_problem
        from scheduler.solution_file import solution_to_dict
        from scheduler.solve import SolveConfig, solve

        config = SolveConfig(time_limit=limit, seed=seed, workers=workers, objective=objective,
                             bound_seconds=bound_seconds)
        return solution_to_dict(solve(load_problem(path), config))
    return run


def _run_baseline(path: Path, limit: float, workers: int, seed: int, bound_seconds: float = 0.0) -> dict[str, Any]:
    from scheduler.baseline import baseline
    from scheduler.problem_file import load_problem
    from scheduler.solution_file import solution_to_dict

    return solution_to_dict(baseline(load_problem(path)))


def _run_conference_scheduler(path: Path, limit: float, workers: int, seed: int,
                              bound_seconds: float = 0.0) -> dict[str, Any]:
    from datetime import datetime

    import pulp
    from conference_scheduler import scheduler as cs
    from conference_scheduler.lp_problem import objective_functions as of
    from conference_scheduler.resources import Event, Slot

    data = json.loads(path.read_text())
    rooms = data["rooms"]
    slots = sorted(data["slots"], key=lambda s: s["start"])
    votes: dict[str, int] = {}
    for vs in data["votes"].values():
        for sid in set(vs):
            votes[sid] = votes.get(sid, 0) + 1
    cells: list[tuple[dict[str, Any], dict[str, Any], Slot]] = []
    for r in rooms:
        for s in slots:
            start = datetime.fromisoformat(s["start"])
            minutes = int((datetime.fromisoformat(s["end"]) - start).total_seconds() // 60)
            cells.append((r, s, Slot(venue=r["id"], starts_at=start.replace(tzinfo=None), duration=minutes,
                                     capacity=r["capacity"], session=s.get("block", s["start"][:10]))))
    frozen = set(data.get("frozen", []))
    previous = data.get("previous", {})
    known = {s["id"] for s in data["sessions"]}
    stay = {sid: c for sid, c in previous.items() if c["slot"] in frozen and sid in known}
    open_cells = [c for c in cells if c[1]["id"] not in frozen and c[1]["id"] not in c[0].get("unavailable", [])]
    # it schedules every event it is given and has no double sessions: give it the most-voted
    # single-slot sessions the open cells can take (plus the frozen part of a re-plan, held in place
    # by unavailability), and fewer when that set proves infeasible
    singles = [s for s in data["sessions"] if s.get("length", 1) == 1 and s["id"] not in stay]
    singles.sort(key=lambda s: (-votes.get(s["id"], 0), s["id"]))
    fixed = [s for s in data["sessions"] if s["id"] in stay]
    began = time.perf_counter()
    deadline = began + limit
    items: list[tuple[int, int]] = []
    sessions: list[dict[str, Any]] = []
    status = "UNKNOWN"
    n = len(open_cells)
    while n > 0 and time.perf_counter() < deadline:
        sessions = fixed + singles[:n]
        events = [Event(name=s["id"], duration=min(c[2].duration for c in cells), demand=votes.get(s["id"], 0))
                  for s in sessions]
        for ev, s in zip(events, sessions, strict=True):
            if s["id"] in stay:
                here = (stay[s["id"]]["room"], stay[s["id"]]["slot"])
                bad = [slot for r, sl, slot in cells if (r["id"], sl["id"]) != here]
            else:
                pin = s.get("pin") or {}
                bad = [slot for r, sl, slot in cells
                       if set(s.get("needs", [])) - set(r.get("features", []))
                       or sl["id"] in s.get("unavailable", []) or sl["id"] in r.get("unavailable", [])
                       or sl["id"] in frozen or pin.get("room", r["id"]) != r["id"]
                       or pin.get("slot", sl["id"]) != sl["id"]]
            ev.add_unavailability(*bad)
        for i, a in enumerate(sessions):
            for j in range(i + 1, len(sessions)):
                if set(a["hosts"]) & set(sessions[j]["hosts"]):
                    events[i].add_unavailability(events[j])
                    events[j].add_unavailability(events[i])
        left = max(1, int(deadline - time.perf_counter()))
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=left, threads=workers)
        try:
            items = cs.solution(events, [c[2] for c in cells],
                                objective_function=of.efficiency_capacity_demand_difference, solver=solver)
            status = "FEASIBLE"
            break
        except ValueError:
            n = int(n * 0.9)
    placements = [{"session": sessions[e]["id"], "room": cells[c][0]["id"], "slot": cells[c][1]["id"]}
                  for e, c in items]
    placed = {p["session"] for p in placements}
    return {"format": "campbot.solution/1", "status": status, "seconds": time.perf_counter() - began,
            "placements": placements,
            "unscheduled": [{"session": s["id"], "reason": "not scheduled"} for s in data["sessions"]
                            if s["id"] not in placed],
            "metrics": {}, "explanation": []}


RUNNERS = {"campbot": _campbot("coverage"), "campbot-seats": _campbot("seats"), "baseline": _run_baseline,
           "conference-scheduler": _run_conference_scheduler}
DEFAULT_SOLVERS = ["baseline", "campbot", "campbot-seats"]


def child(solver: str, path: str, limit: float, workers: int, seed: int, bound_seconds: float) -> None:
    sys.path.insert(0, str(REPO))
    began = time.perf_counter()  # includes the solver's imports: counted in "wall", not "sec"
    solution = RUNNERS[solver](Path(path), limit, workers, seed, bound_seconds)
    seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"solution": solution, "seconds": seconds, "peak_mb": peak_kb / 1024}))


# --------------------------------------------------------------------------- parent side


class Referee:
    """The project's own validator and figures, and the reference check.py as well when it is there
    (then its figures are printed, and they must agree with ours)."""

    def __init__(self, check_py: Path | None) -> None:
        self.reference: ModuleType | None = None
        if check_py is not None and check_py.is_file():
            spec = importlib.util.spec_from_file_location("campbot_reference_check", check_py)
            if spec is None or spec.loader is None:
                raise SystemExit(f"cannot load {check_py}")
            self.reference = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(self.reference)
        self.name = f"check.py ({check_py}) and scheduler.validate" if self.reference else "scheduler.validate"

    def __call__(self, problem: dict[str, Any], solution: dict[str, Any]) -> dict[str, Any]:
        sys.path.insert(0, str(REPO))
        from scheduler.problem_file import parse_problem
        from scheduler.solution_file import parse_solution
        from scheduler.validate import report

        sol = parse_solution(solution)
        mine = report(parse_problem(problem), sol.placements, [u.session for u in sol.unscheduled])
        if self.reference is None:
            return mine
        theirs: dict[str, Any] = self.reference.check(problem, solution)
        for key in ("coverage", "seats_short", "scheduled", "moves"):
            if theirs[key] != mine[key]:
                theirs.setdefault("disagreements", []).append(f"{key}: check.py {theirs[key]}, ours {mine[key]}")
        if bool(theirs["violations"]) != bool(mine["violations"]):
            theirs.setdefault("disagreements", []).append("violations")
        return theirs


def run(solver: str, path: Path, limit: float, workers: int, seed: int, grace: float,
        bound_seconds: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", solver, str(path), str(limit),
           str(workers), str(seed), str(bound_seconds)]
    began = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + bound_seconds + grace, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {limit + grace:.0f} s (killed)",
                "seconds": time.perf_counter() - began}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {done.returncode}: {tail}", "seconds": time.perf_counter() - began}
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _instances(args: argparse.Namespace) -> list[tuple[str, Path, float]]:
    """(name, file, time limit) for every instance of the run."""
    names = [p.stem for p in sorted(args.instances.glob("*.json"))]
    names = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    out = [(n, args.instances / f"{n}.json", LIMITS.get(n, 10.0)) for n in names]
    if args.papers:
        papers = args.papers
        if not papers.is_dir():
            raise SystemExit(f"--papers: {papers} is not a folder")
        out += [(p.name.removesuffix(".problem.json"), p, PAPER_LIMIT) for p in sorted(papers.glob("*.problem.json"))]
    if args.only:
        out = [o for o in out if o[0] in args.only]
    if args.time_limit or args.quick:
        out = [(n, p, args.time_limit or 5.0) for n, p, _ in out]
    return out


def _summary(rows: list[dict[str, Any]]) -> list[str]:
    """One line per instance: the grids side by side, the bound and gap, and issue 13's targets."""
    lines = [f"{'instance':17} {'by hand cov/seats/placed':>26} {'coverage grid':>24} {'seats grid':>24} "
             f"{'bound':>7} {'gap':>5}  targets"]
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        if "error" not in r:
            by.setdefault(r["instance"], {})[r["solver"]] = r
    for name, got in by.items():
        hand, cov, seats = got.get("baseline"), got.get("campbot"), got.get("campbot-seats")

        def fig(r: dict[str, Any] | None) -> str:
            return "-" if r is None else f"{r['coverage']:.2f} / {r['seats_short']:.1f} / {r['scheduled']}"

        bounds = [r["bound"] for r in (cov, seats) if r is not None and r.get("bound") is not None]
        bound = min(bounds) if bounds else None
        gap = bound - cov["coverage"] if bound is not None and cov is not None else None
        verdicts = []
        replan = any(r.get("moves") for r in got.values()) or "replan" in name
        if hand and seats and not replan:
            ok = seats["seats_short"] <= hand["seats_short"] and seats["coverage"] >= hand["coverage"] + 5
            verdicts.append(f"room for everyone {'ok' if ok else 'MISSED'}")
        if hand and cov and not replan:
            ok = cov["seats_short"] <= 2 * hand["seats_short"] + 5
            verdicts.append(f"default seats <= 2x+5 {'ok' if ok else 'MISSED'}")
            best = max(r["coverage"] for r in (cov, seats) if r is not None)
            verdicts.append(f"within 0.3 of best {'ok' if cov['coverage'] >= best - 0.3 else 'MISSED'}")
        if name in GAP_TARGET:
            ok = gap is not None and gap < GAP_TARGET[name]
            verdicts.append(f"gap < {GAP_TARGET[name]:g} {'ok' if ok else 'MISSED'}")
        lines.append(f"{name:17} {fig(hand):>26} {fig(cov):>24} {fig(seats):>24} "
                     f"{'-' if bound is None else f'{bound:.2f}':>7} {'-' if gap is None else f'{gap:.2f}':>5}  "
                     + "; ".join(verdicts))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES)
    ap.add_argument("--papers", type=Path, help="also the real conferences' *.problem.json in this folder")
    ap.add_argument("--check", type=Path, help="an independent reference checker (check.py), used as well")
    ap.add_argument("--time-limit", type=float, help="one limit for every instance (default: the targets')")
    ap.add_argument("--bound-seconds", type=float, default=0.0,
                    help="extra seconds for campbot's bound after each limit (default 0)")
    ap.add_argument("--quick", action="store_true", help="short limits (5 s) and no conference-scheduler "
                                                         "on the large instances")
    ap.add_argument("--only", nargs="*", help="instance names (without .json)")
    ap.add_argument("--solvers", nargs="*", default=DEFAULT_SOLVERS, choices=list(RUNNERS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "solver.json")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        solver, path, limit, workers, seed, bound_seconds = args.child
        child(solver, path, float(limit), int(workers), int(seed), float(bound_seconds))
        return 0

    referee = Referee(args.check)
    print(f"referee: {referee.name}; {args.workers} workers, seed {args.seed}\n")
    results: list[dict[str, Any]] = []
    header = (f"{'instance':17} {'solver':21} {'status':10} {'coverage':>8} {'bound':>7} {'seats':>8} "
              f"{'sched':>9} {'LOwR':>4} {'moves':>5} {'sec':>6} {'wall':>6} {'MB':>6}  check")
    print(header)
    print("-" * len(header))
    for name, path, limit in _instances(args):
        problem = json.loads(path.read_text())
        for solver in args.solvers:
            if solver == "conference-scheduler" and args.quick and len(problem["sessions"]) > 100:
                continue
            bound_seconds = args.bound_seconds if solver.startswith("campbot") else 0.0
            grace = 30.0 if solver.startswith("campbot") else 120.0
            res = run(solver, path, limit, args.workers, args.seed, grace, bound_seconds)
            # seconds: the solve call itself (what the time limit governs, plus the bound's extra
            # seconds); wall: the whole subprocess, with Python start-up, imports and reading the file
            row: dict[str, Any] = {"instance": name, "solver": solver, "time_limit": limit,
                                   "bound_seconds": bound_seconds, "wall": round(res.get("seconds", 0.0), 2),
                                   "peak_mb": round(res.get("peak_mb", 0.0), 1)}
            if "error" in res:
                row["error"] = res["error"]
                print(f"{name:17} {solver:21} {'-':10} {res['error']}")
                results.append(row)
                continue
            sol = res["solution"]
            row["seconds"] = round(float(sol.get("seconds", row["wall"])), 2)
            rep = referee(problem, sol)
            row.update(status=sol["status"], bound=sol.get("bound"), check=rep,
                       coverage=rep["coverage"], seats_short=rep["seats_short"], scheduled=rep["scheduled"],
                       sessions=rep["sessions"], left_out_with_room=len(rep["left_out_with_room"]),
                       moves=rep["moves"], violations=len(rep["violations"]))
            if solver == "campbot" and name in TARGETS:
                row["target"] = TARGETS[name]
            bound = f"{row['bound']:.2f}" if row["bound"] is not None else "-"
            verdict = "ok" if not rep["violations"] else f"{len(rep['violations'])} VIOLATIONS"
            if rep.get("disagreements"):
                verdict += " DISAGREE: " + ", ".join(rep["disagreements"])
            print(f"{name:17} {solver:21} {sol['status']:10} {rep['coverage']:8.3f} {bound:>7} "
                  f"{rep['seats_short']:8.1f} {rep['scheduled']:>4}/{rep['sessions']:<4} "
                  f"{len(rep['left_out_with_room']):>4} {rep['moves']:>5} {row['seconds']:6.1f} {row['wall']:6.1f} "
                  f"{row['peak_mb']:6.0f}  {verdict}", flush=True)
            results.append(row)
    print()
    for line in _summary(results):
        print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"workers": args.workers, "seed": args.seed, "referee": referee.name,
                                    "results": results}, indent=1))
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Solver benchmark (not a test): campbot vs the by-hand baseline vs PyPI's conference-scheduler.

    .venv/bin/python bench/solver.py [--instances DIR] [--time-limit S] [--quick] [--only NAME ...]

For every instance in bench/instances (the project's own copies) each solver runs in its own
subprocess, which reports its wall time and peak memory (ru_maxrss of the child itself). Every grid
is judged by a referee whose figures are the ones printed: the independent check.py when it is
beside the repository (../shared/bench, as in CI) or given with --check, else the project's own
scheduler.validate.report (same report, same figures). One table goes to stdout, the raw results
to bench/results/solver.json.

conference-scheduler (PyCon UK's PuLP/CBC model) needs every event scheduled and knows nothing of
votes per voter, so it gets the most-voted single-slot sessions that fit the cells, demand = votes,
host clashes as event unavailability, missing features and closed rooms as slot unavailability,
CBC with the same time limit. It builds a dense x[event, room-slot] model in Python, so on the
large instances it may not finish: that is reported as such, not hidden.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCES = REPO / "bench" / "instances"
REFERENCE_CHECK = REPO.parent / "shared" / "bench" / "check.py"  # used when it is there
LIMITS = {"localgovcamp": 10.0, "ukgovcamp": 20.0, "minnebar": 60.0, "mega": 120.0, "ukgovcamp-replan": 10.0}
TARGETS = {"localgovcamp": 91.2, "ukgovcamp": 78.5, "minnebar": 81.0}
ORDER = ["localgovcamp", "ukgovcamp", "minnebar", "mega", "ukgovcamp-replan"]


# --------------------------------------------------------------------------- child side


def _run_campbot(path: Path, limit: float, workers: int, seed: int) -> dict[str, Any]:
    from scheduler.problem import load_problem, solution_to_dict
    from scheduler.solve import SolveConfig, solve

    problem = load_problem(path)
    return solution_to_dict(solve(problem, SolveConfig(time_limit=limit, seed=seed, workers=workers)))


def _run_baseline(path: Path, limit: float, workers: int, seed: int) -> dict[str, Any]:
    from scheduler.baseline import baseline
    from scheduler.problem import load_problem, solution_to_dict

    return solution_to_dict(baseline(load_problem(path)))


def _run_conference_scheduler(path: Path, limit: float, workers: int, seed: int) -> dict[str, Any]:
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


RUNNERS = {"campbot": _run_campbot, "baseline": _run_baseline, "conference-scheduler": _run_conference_scheduler}


def child(solver: str, path: str, limit: float, workers: int, seed: int) -> None:
    sys.path.insert(0, str(REPO))
    began = time.perf_counter()  # includes the solver's imports: counted in "wall", not "sec"
    solution = RUNNERS[solver](Path(path), limit, workers, seed)
    seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"solution": solution, "seconds": seconds, "peak_mb": peak_kb / 1024}))


# --------------------------------------------------------------------------- parent side


def referee(check_py: Path | None) -> tuple[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]]:
    """(name, judge(problem dict, solution dict) -> report): check.py if given or beside the
    repository, else the project's own validator, which needs nothing outside the repository."""
    path = check_py or (REFERENCE_CHECK if REFERENCE_CHECK.is_file() else None)
    if path is None:
        from scheduler.problem import parse_problem, parse_solution
        from scheduler.validate import report

        def own(problem: dict[str, Any], solution: dict[str, Any]) -> dict[str, Any]:
            sol = parse_solution(solution)
            return report(parse_problem(problem), sol.placements, [u.session for u in sol.unscheduled])

        return "scheduler.validate", own
    spec = importlib.util.spec_from_file_location("campbot_reference_check", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(path), module.check


def run(solver: str, path: Path, limit: float, workers: int, seed: int, grace: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", solver, str(path), str(limit),
           str(workers), str(seed)]
    began = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + grace, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {limit + grace:.0f} s (killed)",
                "seconds": time.perf_counter() - began}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {done.returncode}: {tail}", "seconds": time.perf_counter() - began}
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES)
    ap.add_argument("--check", type=Path, default=None, help="a reference check.py to judge with")
    ap.add_argument("--time-limit", type=float, help="one limit for every instance (default: the targets')")
    ap.add_argument("--quick", action="store_true", help="short limits (5 s) and no conference-scheduler "
                                                         "on the large instances")
    ap.add_argument("--only", nargs="*", help="instance names (without .json)")
    ap.add_argument("--solvers", nargs="*", default=list(RUNNERS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "solver.json")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        solver, path, limit, workers, seed = args.child
        child(solver, path, float(limit), int(workers), int(seed))
        return 0

    judge_name, judge = referee(args.check)
    print(f"referee: {judge_name}")
    names = [p.stem for p in sorted(args.instances.glob("*.json"))]
    names = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    if args.only:
        names = [n for n in names if n in args.only]
    results: list[dict[str, Any]] = []
    header = (f"{'instance':17} {'solver':21} {'status':10} {'coverage':>8} {'bound':>7} {'seats':>8} "
              f"{'sched':>9} {'LOwR':>4} {'moves':>5} {'sec':>6} {'wall':>6} {'MB':>6}  check")
    print(header)
    print("-" * len(header))
    for name in names:
        path = args.instances / f"{name}.json"
        problem = json.loads(path.read_text())
        limit = args.time_limit or (5.0 if args.quick else LIMITS.get(name, 10.0))
        for solver in args.solvers:
            if solver == "conference-scheduler" and args.quick and len(problem["sessions"]) > 100:
                continue
            grace = 30.0 if solver == "campbot" else 120.0
            res = run(solver, path, limit, args.workers, args.seed, grace)
            # seconds: the solve call itself (what the time limit governs); wall: the whole
            # subprocess, with Python start-up, imports and reading the file
            row: dict[str, Any] = {"instance": name, "solver": solver, "time_limit": limit,
                                   "wall": round(res.get("seconds", 0.0), 2),
                                   "peak_mb": round(res.get("peak_mb", 0.0), 1)}
            if "error" in res:
                row["error"] = res["error"]
                print(f"{name:17} {solver:21} {'-':10} {res['error']}")
                results.append(row)
                continue
            sol = res["solution"]
            row["seconds"] = round(float(sol.get("seconds", row["wall"])), 2)
            rep = judge(problem, sol)
            row.update(status=sol["status"], bound=sol.get("bound"), check=rep,
                       coverage=rep["coverage"], seats_short=rep["seats_short"], scheduled=rep["scheduled"],
                       sessions=rep["sessions"], left_out_with_room=len(rep["left_out_with_room"]),
                       moves=rep["moves"], violations=len(rep["violations"]))
            if solver == "campbot" and name in TARGETS:
                row["target"] = TARGETS[name]
            bound = f"{row['bound']:.2f}" if row["bound"] is not None else "-"
            verdict = "ok" if not rep["violations"] else f"{len(rep['violations'])} VIOLATIONS"
            print(f"{name:17} {solver:21} {sol['status']:10} {rep['coverage']:8.3f} {bound:>7} "
                  f"{rep['seats_short']:8.1f} {rep['scheduled']:>4}/{rep['sessions']:<4} "
                  f"{len(rep['left_out_with_room']):>4} {rep['moves']:>5} {row['seconds']:6.1f} {row['wall']:6.1f} "
                  f"{row['peak_mb']:6.0f}  {verdict}", flush=True)
            results.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"workers": args.workers, "seed": args.seed, "results": results}, indent=1))
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""python -m scheduler PROBLEM.json [--time-limit S] [--seed N] [--workers W] [--objective O] [--bound-seconds S]
                      [--out FILE]

Writes the campbot.solution/1 JSON (stdout without --out) and a short summary on stderr, with the
by-hand baseline's figures beside the solver's. `campbot solve` calls main(argv) with the same
options. Bad input is a message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from scheduler.baseline import baseline
from scheduler.problem import ProblemError
from scheduler.problem_file import load_problem
from scheduler.solution_file import dump_solution
from scheduler.solve import OBJECTIVES, SolveConfig, solve

MAX_WORKERS = 64
MAX_SEED = 2**31 - 1  # CP-SAT's random seed is a 32-bit integer


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m scheduler", description="Build a session grid for an unconference.")
    p.add_argument("problem", help="a campbot.problem/1 JSON file")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds for the whole solve (default 10)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--workers", type=int, default=2, help="solver threads (default 2)")
    p.add_argument("--objective", choices=OBJECTIVES, default="coverage",
                   help="coverage: the highest-coverage grid (default); seats: room for everyone (seats "
                        "short no worse than the by-hand grid's), then as much coverage as possible")
    p.add_argument("--bound-seconds", type=float, default=0.0,
                   help="extra seconds after the limit to prove a tighter bound on coverage (default 0)")
    p.add_argument("--out", help="write the solution here instead of stdout")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    if not math.isfinite(args.time_limit) or not 0 < args.time_limit <= 86400:
        print("error: --time-limit must be a number of seconds above 0 (at most a day, 86400)", file=sys.stderr)
        return 2
    if not math.isfinite(args.bound_seconds) or not 0 <= args.bound_seconds <= 86400:
        print("error: --bound-seconds must be 0 or more seconds (at most a day, 86400)", file=sys.stderr)
        return 2
    if not 1 <= args.workers <= MAX_WORKERS:
        print(f"error: --workers must be 1 to {MAX_WORKERS}", file=sys.stderr)
        return 2
    if not 0 <= args.seed <= MAX_SEED:
        print(f"error: --seed must be 0 to {MAX_SEED}", file=sys.stderr)
        return 2
    try:
        problem = load_problem(args.problem)
    except ProblemError as exc:
        print(f"error: {args.problem}: {exc}", file=sys.stderr)
        return 2
    solution = solve(problem, SolveConfig(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                                              objective=args.objective, bound_seconds=args.bound_seconds))
    text = dump_solution(solution)
    if args.out:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text + "\n")
    by_hand = baseline(problem)
    m, b = solution.metrics, by_hand.metrics
    bound = f"{solution.bound:.2f}%" if solution.bound is not None else "none"
    print(f"status      {solution.status}", file=sys.stderr)
    print(f"coverage    {m.coverage:.2f}%   (by hand {b.coverage:.2f}%)   bound {bound}", file=sys.stderr)
    print(f"seats short {m.seats_short:.1f}   (by hand {b.seats_short:.1f})", file=sys.stderr)
    print(f"scheduled   {m.scheduled} of {len(problem.sessions)}   (by hand {b.scheduled})   "
          f"left out {len(solution.unscheduled)}", file=sys.stderr)
    if problem.previous:
        print(f"moves       {m.moves}   (by hand {b.moves})", file=sys.stderr)
    print(f"seconds     {solution.seconds:.1f}", file=sys.stderr)
    for line in solution.explanation:
        print(f"  - {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

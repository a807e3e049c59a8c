"""`campbot solve | publish | replan | export`: the organisers' grid commands on the command line.

They call the same services as the Slack commands do.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def solve(
        problem: Path = typer.Option(None, "--problem", help="Solve a campbot.problem/1 JSON file (no database)."),
        time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds the solver may run."),
        seed: int = typer.Option(1, "--seed", help="Random seed; same seed and workers give the same grid."),
        workers: int = typer.Option(2, "--workers", help="Solver threads."),
        out: Path = typer.Option(None, "--out", help="Write the solution JSON here (stdout if not given)."),
    ) -> None:
        """Solve a problem file and write the solution (see ../shared/bench/FORMAT.md)."""
        from scheduler.__main__ import main as scheduler_main

        argv = [str(problem), "--time-limit", str(time_limit), "--seed", str(seed), "--workers", str(workers)]
        if out:
            argv += ["--out", str(out)]
        raise typer.Exit(scheduler_main(argv))

"""campbot's allocation engine: pure Python + OR-Tools, no Slack, no database.

Public API (import from the modules, so that reading a problem does not load OR-Tools):
    scheduler.problem   Problem, Solution, ProblemError, load_problem, parse_problem,
                        problem_to_dict, solution_to_dict, parse_solution, dump_solution
    scheduler.solve     solve(problem, config=SolveConfig(), progress=None) -> Solution
    scheduler.baseline  baseline(problem) -> Solution
    scheduler.metrics   measure(problem, placements) -> Metrics
    scheduler.validate  violations(problem, placements) -> list[str]
    python -m scheduler PROBLEM.json [--time-limit S] [--seed N] [--workers W] [--out FILE]
"""

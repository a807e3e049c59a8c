"""The user documentation stays true: its examples are files the solver reads and the grid it
shows is the grid the solver writes; and the project's docs point only inside the project."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scheduler.problem_file import load_problem, parse_problem
from scheduler.solution_file import parse_solution
from scheduler.solve import SolveConfig, solve
from scheduler.validate import violations

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "docs" / "file-formats.md"


def _json_blocks(path: Path) -> list[object]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", path.read_text(encoding="utf-8"), re.S)]


def test_the_docs_problem_is_the_example_file_and_the_solver_writes_the_docs_solution() -> None:
    problem_json, solution_json = _json_blocks(FORMATS)
    problem = parse_problem(problem_json)
    assert problem == load_problem(ROOT / "examples" / "problem.json")
    shown = parse_solution(solution_json)
    got = solve(problem, SolveConfig(time_limit=5, seed=1, workers=1))
    assert violations(problem, got.placements) == []
    assert sorted(got.placements, key=lambda p: p.session) == sorted(shown.placements, key=lambda p: p.session)
    assert (got.status, got.metrics.coverage, got.metrics.seats_short, got.bound) == (
        shown.status, shown.metrics.coverage, shown.metrics.seats_short, shown.bound)


def test_readme_links_the_formats_page_and_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/file-formats.md)" in readme
    for page in [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # a web address
                continue
            found = (page.parent / target).resolve()
            assert found.is_relative_to(ROOT.resolve()), f"{page.name} sends readers outside the project: {target}"
            assert found.exists(), f"{page.name} links to {target}, which the repository does not have"

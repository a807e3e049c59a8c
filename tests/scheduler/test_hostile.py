"""Problem files that used to crash the solver CLI (issue 15, point 4): every input either loads
and solves, or is refused with a message and exit code 2; never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.__main__ import main
from scheduler.problem_file import parse_problem
from scheduler.validate import violations
from tests.scheduler.helpers import raw, session


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def _with(mutate: Any) -> str:
    data = raw(rooms=2, slots=2, sessions=2, votes={"u1": ["p1"]})
    mutate(data)
    return _text(data)


HOSTILE: dict[str, str | bytes] = {
    "capacity 10^30": _with(lambda d: d["rooms"][0].update(capacity=10**30)),
    "capacity 2^63": _with(lambda d: d["rooms"][0].update(capacity=2**63)),
    "capacity 1e30 as a float": _with(lambda d: d["rooms"][0].update(capacity=1e30)),
    "extra_demand Infinity": _with(lambda d: d.update(extra_demand={"p1": "INF"})).replace('"INF"', "Infinity"),
    "extra_demand -Infinity": _with(lambda d: d.update(extra_demand={"p1": "INF"})).replace('"INF"', "-Infinity"),
    "extra_demand NaN": _with(lambda d: d.update(extra_demand={"p1": "INF"})).replace('"INF"', "NaN"),
    "extra_demand 10^30": _with(lambda d: d.update(extra_demand={"p1": 10**30})),
    "extra_demand 1e400": _with(lambda d: d.update(extra_demand={"p1": "INF"})).replace('"INF"', "1e400"),
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "nested 100,000 deep inside votes": _with(lambda d: d.update(votes={"u1": "DEEP"})).replace(
        '"DEEP"', "[" * 100_000 + "]" * 100_000),
    "an integer of 5,000 digits": _with(lambda d: d.update(votes="BIG")).replace('"BIG"', "1" * 5000),
    "latin-1 bytes": _with(lambda d: session(d, "p1").update(title="Caf\u00e9")).encode("latin-1"),
    "a lone surrogate in a title": _with(lambda d: session(d, "p1").update(title="x")).replace(
        '"title": "x"', '"title": "\\ud800"'),
    "year 0001": _with(lambda d: d["slots"][0].update(start="0001-01-01T10:00:00+01:00",
                                                      end="0001-01-01T10:45:00+01:00")),
    "year 9999": _with(lambda d: d["slots"][1].update(start="9999-12-31T10:00:00+01:00",
                                                      end="9999-12-31T10:45:00+01:00")),
    "a list as a pinned room": _with(lambda d: session(d, "p1").update(pin={"room": ["r1"]})),
    "a list as a previous room": _with(lambda d: d.update(previous={"p1": {"room": ["r1"], "slot": "t1"}})),
    "a number as the time zone": _with(lambda d: d["event"].update(timezone=3)),
    "an id of a million characters": _with(lambda d: d["rooms"][0].update(id="r" * 1_000_000)),
    "a list at the top": "[]",
    "an empty file": "",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_a_message(name: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hostile.json"
    content = HOSTILE[name]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    assert main([str(path), "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
    assert len(err) < 2000  # a megabyte-long id is not echoed back


@pytest.mark.parametrize("args", [["--time-limit", "nan"], ["--time-limit", "inf"], ["--time-limit", "-1"],
                                  ["--workers", "1000000000"], ["--seed", str(2**40)], ["--seed", "-1"],
                                  ["--objective", "happiness"]])
def test_hostile_options_are_refused(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.json"
    path.write_text(_with(lambda d: None))
    assert main([str(path), *args]) == 2
    assert "Traceback" not in capsys.readouterr().err


# ------------------------------------------------------------------------- fuzzing the loader

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
    | st.sampled_from(["r1", "t1", "t2", "p1", "p2", "h1", "step_free", "2026-06-20T10:00:00+01:00"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _base() -> dict[str, Any]:
    data = raw(rooms=2, slots=3, sessions=3, votes={"u1": ["p1", "p2"], "u2": ["p3"]},
               extra_demand={"p2": 4}, previous={"p1": {"room": "r1", "slot": "t1"}}, frozen=["t1"])
    session(data, "p2").update(needs=["step_free"], pin={"slot": "t2"}, unavailable=["t3"])
    data["rooms"][1].update(features=["step_free"], unavailable=["t3"])
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_files_load_and_solve_or_are_refused(tmp_path_factory: pytest.TempPathFactory,
                                                    data: st.DataObject) -> None:
    problem = _base()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(problem)
        where = data.draw(st.sampled_from(paths))
        value = data.draw(JSON_VALUES)
        if not where:
            problem = value
            continue
        parent = problem
        for key in where[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(where[-1], None)
        else:
            parent[where[-1]] = copy.deepcopy(value)
    path = tmp_path_factory.mktemp("fuzz") / "p.json"
    path.write_text(json.dumps(problem, allow_nan=True), encoding="utf-8", errors="surrogatepass")
    out = path.with_suffix(".out.json")
    code = main([str(path), "--time-limit", "0.5", "--workers", "1", "--out", str(out)])
    assert code in (0, 2)
    if code == 0:
        loaded = parse_problem(problem)
        solution = json.loads(out.read_text())
        from scheduler.solution_file import parse_solution

        sol = parse_solution(solution)
        if sol.status in ("OPTIMAL", "FEASIBLE"):
            assert violations(loaded, sol.placements) == []

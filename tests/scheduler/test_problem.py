"""Reading and writing campbot.problem/1 and campbot.solution/1; malformed files are refused."""

from __future__ import annotations

import json

import pytest

from scheduler.problem import Metrics, Placement, ProblemError, Solution, Unscheduled
from scheduler.problem_file import load_problem, parse_problem, problem_to_dict
from scheduler.solution_file import parse_solution, solution_to_dict
from tests.scheduler.helpers import BENCH, INSTANCES, raw, session


@pytest.mark.parametrize("name", INSTANCES)
def test_shared_instances_round_trip(name: str) -> None:
    p = load_problem(BENCH / f"{name}.json")
    again = parse_problem(json.loads(json.dumps(problem_to_dict(p))))
    assert again == p


def test_example_from_format_md_reads() -> None:
    data = raw(rooms=1, slots=2, sessions=1)
    data["rooms"][0].update(features=["projector"], unavailable=["t2"])
    session(data, "p1").update(needs=["projector"], unavailable=["t1"], tags=["data"], pin={"room": "r1"})
    data.update(votes={"u1": ["p1"]}, extra_demand={"p1": 12}, previous={"p1": {"room": "r1", "slot": "t2"}},
                frozen=["t1"])
    p = parse_problem(data)
    assert p.sessions[0].pin is not None and p.sessions[0].pin.room == "r1"
    assert p.frozen == frozenset({"t1"})
    assert p.previous["p1"].slot == "t2"


def _bad(mutate, *words: str) -> None:  # type: ignore[no-untyped-def]
    data = raw(rooms=2, slots=2, sessions=2)
    mutate(data)
    with pytest.raises(ProblemError) as info:
        parse_problem(data)
    for word in words:
        assert word in str(info.value)


def test_unknown_room_in_pin() -> None:
    _bad(lambda d: session(d, "p1").update(pin={"room": "r9"}), "pin.room", "r9")


def test_unknown_slot_in_pin() -> None:
    _bad(lambda d: session(d, "p1").update(pin={"slot": "t9"}), "pin.slot", "t9")


def test_slot_id_twice() -> None:
    _bad(lambda d: d["slots"].append(dict(d["slots"][0])), "slots", "t1", "twice")


def test_session_without_host() -> None:
    _bad(lambda d: session(d, "p2").update(hosts=[]), "p2", "hosts")


def test_unknown_slot_in_unavailable() -> None:
    _bad(lambda d: session(d, "p1").update(unavailable=["t7"]), "unavailable", "t7")
    _bad(lambda d: d["rooms"][0].update(unavailable=["t7"]), "unavailable", "t7")


def test_vote_for_unknown_session() -> None:
    _bad(lambda d: d.update(votes={"u1": ["p1", "p99"]}), "votes", "p99")


@pytest.mark.parametrize("length", [0, -1, "2", 1.5, 99])
def test_bad_length(length: object) -> None:
    _bad(lambda d: session(d, "p1").update(length=length), "length")


def test_wrong_format_and_missing_fields() -> None:
    _bad(lambda d: d.update(format="other/1"), "format")
    _bad(lambda d: d.pop("votes"), "votes")
    _bad(lambda d: d["rooms"][0].pop("capacity"), "capacity")
    _bad(lambda d: d["slots"][0].update(end="2026-06-20T09:00:00+01:00"), "end")
    _bad(lambda d: d["slots"][0].update(start="ten o'clock"), "start")
    _bad(lambda d: d.update(frozen=["t5"]), "frozen", "t5")
    _bad(lambda d: d.update(previous={"p1": {"room": "r5", "slot": "t1"}}), "previous", "r5")
    _bad(lambda d: d.update(extra_demand={"p7": 3}), "extra_demand", "p7")


def test_withdrawn_session_in_previous_is_ignored() -> None:
    p = parse_problem(raw(previous={"gone": {"room": "r1", "slot": "t1"}}))
    assert "gone" not in p.previous


def test_load_problem_refuses_missing_and_broken_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProblemError, match="cannot read"):
        load_problem(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ProblemError, match="not valid JSON"):
        load_problem(broken)


def test_solution_round_trip() -> None:
    sol = Solution(status="FEASIBLE", seconds=1.5, placements=(Placement("p1", "r1", "t1"),),
                   unscheduled=(Unscheduled("p2", "no room"),),
                   metrics=Metrics(coverage=50.0, seats_short=1.5, moves=0, scheduled=1), bound=90.0,
                   explanation=("x",))
    data = solution_to_dict(sol)
    assert data["format"] == "campbot.solution/1"
    assert parse_solution(json.loads(json.dumps(data))) == sol


def test_mixed_utc_offsets_refused() -> None:
    _bad(lambda d: d["slots"][1].update(start="2026-06-20T11:00:00", end="2026-06-20T11:45:00"), "UTC offset")

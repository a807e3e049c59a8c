"""Hypothesis-generated small problems: every solution passes our validator and check.py."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.baseline import baseline
from scheduler.problem_file import parse_problem
from scheduler.solve import SolveConfig, solve
from scheduler.validate import violations
from tests.scheduler.helpers import FEATURES, check, draw_session


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    n_rooms = draw(st.integers(1, 4))
    n_slots = draw(st.integers(1, 5))
    n_sessions = draw(st.integers(1, 12))
    slots = []
    for i in range(n_slots):
        slots.append({"id": f"t{i}", "start": f"2026-06-20T{9 + i:02d}:00:00+01:00",
                      "end": f"2026-06-20T{9 + i:02d}:50:00+01:00", "block": "am" if i < n_slots // 2 else "pm"})
    slot_ids = [s["id"] for s in slots]
    rooms = []
    for i in range(n_rooms):
        rooms.append({"id": f"r{i}", "name": f"Room {i}", "capacity": draw(st.integers(0, 30)),
                      "features": draw(st.lists(st.sampled_from(FEATURES), unique=True, max_size=3)),
                      "unavailable": draw(st.lists(st.sampled_from(slot_ids), unique=True, max_size=2))})
    hosts = [f"h{i}" for i in range(draw(st.integers(1, 6)))]
    sessions = []
    for i in range(n_sessions):
        s = draw_session(draw, i, hosts, slot_ids, max_needs=1)
        if draw(st.integers(0, 9)) == 0:
            s["pin"] = {"slot": draw(st.sampled_from(slot_ids))}
        sessions.append(s)
    ids = [s["id"] for s in sessions]
    votes = {f"u{i}": draw(st.lists(st.sampled_from(ids), unique=True, max_size=5))
             for i in range(draw(st.integers(0, 15)))}
    data: dict[str, Any] = {"format": "campbot.problem/1", "rooms": rooms, "slots": slots, "sessions": sessions,
                            "votes": votes, "extra_demand": {ids[0]: draw(st.integers(0, 20))}}
    if draw(st.booleans()) and n_slots > 1:
        # a re-plan: a previous grid (the baseline of the problem) and the first slot frozen
        prev = baseline(parse_problem(data))
        data["previous"] = {p.session: {"room": p.room, "slot": p.slot} for p in prev.placements}
        data["frozen"] = [slot_ids[0]]
        if draw(st.booleans()):
            data["rooms"][0]["unavailable"] = sorted(set(data["rooms"][0]["unavailable"]) | {slot_ids[-1]})
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_generated_problems_solve_to_valid_grids(data: dict[str, Any]) -> None:
    p = parse_problem(data)
    sol = solve(p, SolveConfig(time_limit=1.0, workers=1))
    assert sol.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
    if sol.status == "INFEASIBLE":
        assert sol.explanation and sol.placements == ()
        return
    assert violations(p, sol.placements) == []
    report = check(data, sol)
    assert report["violations"] == [] and report["left_out_with_room"] == [] and report["unaccounted"] == []
    assert sol.metrics.coverage == report["coverage"]
    assert sol.metrics.seats_short == report["seats_short"]
    # the solver never does worse than the wall on its first goal, when the wall keeps every rule
    # (a pin the wall could not keep may force moves the wall did not make)
    by_hand = baseline(p)
    hand_ok = not violations(p, by_hand.placements) and all(
        s.id in {x.session for x in by_hand.placements} for s in p.sessions if s.pin)
    if p.previous and hand_ok:
        assert sol.metrics.moves <= by_hand.metrics.moves
    elif hand_ok:
        assert sol.metrics.coverage >= by_hand.metrics.coverage

"""The CP-SAT model: hard rules as constraints, soft goals as named weighted terms.

`build` assembles one module per rule (domains, once, hosts, rooms) and per goal (moves, coverage,
scheduled). Goals are lexicographic: the weights are chosen so that one unit of a higher goal
outweighs everything the lower goals could add.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.cells import Geometry
from scheduler.model import coverage, hosts, moves, once, rooms, scheduled
from scheduler.model.terms import Term
from scheduler.model.variables import Variables, create


@dataclass
class Built:
    model: cp_model.CpModel
    vars: Variables
    terms: list[Term]
    attends: list[coverage.Attend]
    assumptions: dict[int, cp_model.IntVar]
    perfect: int
    coverage_weight: int


def build(geo: Geometry, explain: bool = False) -> Built:
    """The full model; with `explain`, must-run sessions go through assumption literals."""
    model = cp_model.CpModel()
    v = create(geo, model)
    assumptions: dict[int, cp_model.IntVar] = {}
    once.add(v, assumptions if explain else None)
    hosts.add(v)
    rooms.add(v)
    n_sessions = len(geo.sessions)
    perfect = coverage.perfect(v)
    cov, attends = coverage.term(v)
    cov_weight = n_sessions + 1
    terms = [Term("coverage", cov.expr, cov_weight), scheduled.term(v)]
    if geo.problem.previous:
        mv = moves.term(v)
        terms.insert(0, Term("moves", mv.expr, -(perfect + 1) * cov_weight))
    model.maximize(sum(t.weight * t.expr for t in terms))
    return Built(model=model, vars=v, terms=terms, attends=attends, assumptions=assumptions,
                 perfect=perfect, coverage_weight=cov_weight)

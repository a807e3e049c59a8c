"""Coverage: per voter, the most of their voted sessions they can attend without overlap.

Voters with the same set of votes are one group with a weight. For a group, u[t] says "attends a
single-slot session in slot t" (only if one of its voted singles runs then), w[d, t] says "attends
the voted double d starting at t" (only if d starts then), and in every slot at most one thing is
attended. The sum is exactly check.py's interval-scheduling count (at most one per slot, so it is
capped at min(votes, slots) by itself). This per-voter form gives CP-SAT a far better LP bound
than pairwise clash penalties.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.cells import voter_sets
from scheduler.model.terms import Term
from scheduler.model.variables import Variables


def perfect(v: Variables) -> int:
    """The denominator: sum over voters of min(votes, slots)."""
    n = len(v.geo.slots)
    return sum(min(len(vs), n) * w for vs, w in voter_sets(v.geo.problem).items())


@dataclass
class Attend:
    """The attendance literals of one voter group, kept so a heuristic grid can hint them."""

    sessions: list[int]
    single: dict[int, cp_model.IntVar] = field(default_factory=dict)  # slot -> u
    multi: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (double, start) -> w


def hint(v: Variables, attends: list[Attend], grid: dict[int, tuple[int, int]]) -> None:
    """Hint u and w from a grid: per group, the greedy interval schedule (earliest end first)."""
    for a in attends:
        spans = sorted((grid[s][1] + v.geo.sessions[s].length - 1, grid[s][1], s) for s in a.sessions if s in grid)
        last = -1
        on: set[tuple[int, int]] = set()
        for end, start, s in spans:
            if start > last:
                on.add((s, start))
                last = end
        for t, lit in a.single.items():
            if lit.index >= 0 and lit.name.startswith("u_"):
                v.model.add_hint(lit, any((s, t) in on for s in a.sessions if v.geo.sessions[s].length == 1))
        for (d, t), lit in a.multi.items():
            v.model.add_hint(lit, (d, t) in on)


def term(v: Variables) -> tuple[Term, list[Attend]]:
    """The coverage term (wishes served) and each voter group's attendance literals."""
    geo, model = v.geo, v.model
    n = len(geo.slots)
    total: list[cp_model.LinearExprT] = []
    attends: list[Attend] = []
    for gi, (votes, weight) in enumerate(sorted(voter_sets(geo.problem).items())):
        ss = [geo.session_pos[x] for x in votes if geo.starts[geo.session_pos[x]]]
        if not ss:
            continue
        if len(ss) == 1:
            total.append(weight * v.placed[ss[0]])
            continue
        att = Attend(sessions=ss)
        attends.append(att)
        singles = [s for s in ss if geo.sessions[s].length == 1]
        multi = [s for s in ss if geo.sessions[s].length > 1]
        busy: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        parts: list[cp_model.IntVar] = []
        for t in range(n):
            here = [v.at[s, t] for s in singles if (s, t) in v.at]
            if not here:
                continue
            if len(here) == 1 and not multi:
                lit = here[0]
            else:
                lit = model.new_bool_var(f"u_{gi}_{t}")
                model.add_bool_or([lit.negated(), *here])
            parts.append(lit)
            busy[t].append(lit)
            att.single[t] = lit
        for d in multi:
            for t in range(n):
                if (d, t) not in v.start:
                    continue
                lit = model.new_bool_var(f"w_{gi}_{d}_{t}")
                model.add_implication(lit, v.start[d, t])
                parts.append(lit)
                att.multi[d, t] = lit
                for u in geo.span(d, t):
                    busy[u].append(lit)
        for lits in busy.values():
            if len(lits) > 1:
                model.add_at_most_one(lits)
        total.append(weight * sum(parts))
    return Term("coverage", sum(total), 1), attends

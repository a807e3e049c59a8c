"""Moves (re-planning only): sessions of the published grid that leave their cell or drop out.

People planned their day around the published grid, so this term comes before coverage.
A session with no `keep` variable cannot stay (its cell broke a rule) and is a forced move.
"""

from __future__ import annotations

from scheduler.model.terms import Term
from scheduler.model.variables import Variables


def forced(v: Variables) -> list[int]:
    """Previously placed sessions that cannot keep their cell whatever the solver does."""
    pos = v.geo.session_pos
    return [pos[sid] for sid in v.geo.problem.previous if pos[sid] not in v.keep]


def term(v: Variables) -> Term:
    kept = sum(v.keep.values())
    return Term("moves", len(v.geo.problem.previous) - kept, -1)

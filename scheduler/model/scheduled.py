"""Every pitch that can run does run: the number of sessions placed, as the last tie-break.

Coverage ignores sessions nobody voted for, so without this term the solver could leave a cell
empty while such a pitch waits. The fill pass in solve.py makes the grid maximal in any case;
this term makes the solver prefer it too.
"""

from __future__ import annotations

from scheduler.model.terms import Term
from scheduler.model.variables import Variables


def term(v: Variables) -> Term:
    return Term("scheduled", sum(v.placed.values()), 1)

"""A soft goal's contribution to the objective: a named, weighted linear expression."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Term:
    name: str
    expr: cp_model.LinearExprT
    weight: int

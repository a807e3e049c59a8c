"""Rules kept by the variables' domains rather than by constraints.

A session only gets variables for the starts cells.py allows, so these rules hold by construction:
a double takes consecutive slots of one block in one room (one x variable spans both slots), rooms
are open and have every feature needed, no session sits where its hosts cannot come, pins are
kept, and nothing new enters a frozen slot. This module exists so the rule list in one place says
where each rule lives; `rules_by_domain` is what the tests assert against.
"""

from __future__ import annotations

rules_by_domain = (
    "a double session takes consecutive slots of one block in one room",
    "rooms are open and have every feature the session needs",
    "no session in a slot its hosts cannot make",
    "pins are kept",
    "nothing new goes into a frozen slot",
)

"""The problem and solution of a grid, as frozen dataclasses (their JSON files are read and written
by scheduler.problem_file and scheduler.solution_file).

Everything here is a frozen dataclass so that a problem can be shared between the model, the
baseline, the validator and the bot without anyone changing it under the others' feet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PROBLEM_FORMAT = "campbot.problem/1"
SOLUTION_FORMAT = "campbot.solution/1"
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")
# Sane limits for numbers in a problem file: no room seats or show of hands exceeds this, and
# larger figures (10^30, 2^63) would only overflow the solver's integer arithmetic later.
MAX_PEOPLE = 1_000_000
# Slot dates outside these years are typing mistakes (0001-01-01, 9999-12-31) and break date arithmetic.
YEARS = (1970, 2999)
MAX_ID = 200


class ProblemError(ValueError):
    """A problem (or solution) file that cannot be used; the message names the field and the fix."""


@dataclass(frozen=True)
class Event:
    name: str = ""
    timezone: str = "UTC"


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    capacity: int
    features: frozenset[str] = frozenset()
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Slot:
    id: str
    start: str
    end: str
    block: str | None = None

    @property
    def block_key(self) -> str:
        """The block the slot belongs to; without one, its day is one block (as check.py does)."""
        return self.block if self.block is not None else self.start[:10]


@dataclass(frozen=True)
class Pin:
    room: str | None = None
    slot: str | None = None


@dataclass(frozen=True)
class Cell:
    room: str
    slot: str


@dataclass(frozen=True)
class Session:
    id: str
    title: str
    hosts: tuple[str, ...]
    length: int = 1
    needs: frozenset[str] = frozenset()
    unavailable: frozenset[str] = frozenset()
    tags: tuple[str, ...] = ()
    pin: Pin | None = None


@dataclass(frozen=True)
class Problem:
    rooms: tuple[Room, ...]
    slots: tuple[Slot, ...]
    sessions: tuple[Session, ...]
    votes: Mapping[str, tuple[str, ...]]
    extra_demand: Mapping[str, int] = field(default_factory=dict)
    previous: Mapping[str, Cell] = field(default_factory=dict)
    frozen: frozenset[str] = frozenset()
    event: Event = Event()

    @property
    def ordered_slots(self) -> tuple[Slot, ...]:
        """Slots in time order (by start, as check.py orders them)."""
        return tuple(sorted(self.slots, key=lambda s: s.start))

    def room(self, room_id: str) -> Room:
        return {r.id: r for r in self.rooms}[room_id]

    def session(self, session_id: str) -> Session:
        return {s.id: s for s in self.sessions}[session_id]


@dataclass(frozen=True)
class Placement:
    """Where a session runs; a double session names its first slot."""

    session: str
    room: str
    slot: str


@dataclass(frozen=True)
class Unscheduled:
    session: str
    reason: str


@dataclass(frozen=True)
class Metrics:
    coverage: float
    seats_short: float
    moves: int
    scheduled: int
    left_out_with_room: tuple[str, ...] = ()


@dataclass(frozen=True)
class Solution:
    status: str
    seconds: float
    placements: tuple[Placement, ...]
    unscheduled: tuple[Unscheduled, ...]
    metrics: Metrics
    bound: float | None = None
    explanation: tuple[str, ...] = ()


# --------------------------------------------------------------------------- reading problems

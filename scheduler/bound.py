"""A proven upper bound on coverage: a slot-pattern relaxation, solved by column generation.

Coverage counts, per voter, the slots in which one of their voted sessions runs (exactly so when
every session is one slot long). So a grid is a choice of one *pattern* per slot (the sessions
starting then) and its coverage is the sum over slots of the voters each pattern reaches. We relax
the grid to exactly that: per slot, a pattern that its open rooms can seat (Hall's condition on
the rooms each session may use then), with no host twice, and each session in at most one slot.
A double session counts in the slot it starts (the second slot it blocks is forgotten), and what
the published grid freezes is ignored: both only make the relaxation looser, so its optimum is
still an upper bound on every real grid's coverage.

The relaxation's LP is solved by column generation (GLOP for the master, a greedy and then CP-SAT
for the best new pattern per kind of slot). Its bound is proven at every round, finished or not,
by Lagrangian duality: for any session prices pi >= 0,
    coverage <= sum(pi) + sum over slots of max(0, max over patterns of (reach - pi(pattern))),
and CP-SAT's own proven bound on the inner max keeps that true even when a pricing is cut short.
The papers' instances show this kind of relaxation within about 1.5 wishes of the optimum.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count

from ortools.linear_solver import pywraplp

from scheduler.cells import Geometry, voter_sets
from scheduler.model.rooms import room_unions

MAX_UNIONS = 4096  # Hall constraints per kind of slot; beyond this only the coarse ones (still a bound)
# the cheap heuristic prices new patterns for this share of the time; then branch and bound takes
# turns with it, so that every run ends with a proven bound
HEURISTIC_SHARE = 0.3
HEURISTIC_ROUNDS = 20  # cheap rounds after each branch-and-bound round
SMOOTHING = 0.5  # branch and bound prices halfway between the best-bound prices and the LP's


@dataclass
class _Kind:
    """Slots that allow the same sessions in the same rooms share their patterns."""

    slots: list[int]
    sessions: list[int]
    # Hall's condition: for each union of room sets, the sessions whose rooms lie inside it
    halls: list[tuple[frozenset[int], int]]
    patterns: list[frozenset[int]] = field(default_factory=list)
    # the Hall constraints each session takes part in
    member: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.member = {s: [i for i, (inside, _) in enumerate(self.halls) if s in inside] for s in self.sessions}


@dataclass
class Bound:
    """The proven coverage bound (percent) and how it was reached, for the benchmark."""

    percent: float | None
    wishes: int
    perfect: int
    rounds: int
    converged: bool


def _kinds(geo: Geometry) -> list[_Kind]:
    by_key: dict[tuple[tuple[int, int], ...], list[int]] = defaultdict(list)
    rooms_at: dict[int, dict[int, int]] = defaultdict(dict)  # slot -> session -> room mask
    for s, opts in enumerate(geo.starts):
        for r, t in opts:
            rooms_at[t][s] = rooms_at[t].get(s, 0) | (1 << r)
    for t in range(len(geo.slots)):
        by_key[tuple(sorted(rooms_at[t].items()))].append(t)
    kinds = []
    for key, slots in sorted(by_key.items(), key=lambda kv: kv[1][0]):
        if not key:
            continue
        masks = dict(key)
        distinct = sorted(set(masks.values()))
        unions = room_unions(distinct) if len(distinct) <= 12 else set(distinct) | {_or(distinct)}
        if len(unions) > MAX_UNIONS:
            unions = set(distinct) | {_or(distinct)}
        halls = []
        for u in sorted(unions):
            inside = [s for s, m in masks.items() if m & ~u == 0]
            size = bin(u).count("1")
            if len(inside) > size:
                halls.append((frozenset(inside), size))
        kinds.append(_Kind(slots=slots, sessions=sorted(masks), halls=halls))
    return kinds


def _or(masks: list[int]) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


class _Relaxation:
    """The relaxed problem, voters as bits: a pattern reaches popcount(OR of its sessions' voters)."""

    def __init__(self, geo: Geometry) -> None:
        self.geo = geo
        n = len(geo.slots)
        groups = sorted(voter_sets(geo.problem).items())
        self.perfect = sum(w * min(len(vs), n) for vs, w in groups)
        self.voters = [0] * len(geo.sessions)  # bit mask of the voters of each session
        bit = 0
        for vs, w in groups:
            mask = ((1 << w) - 1) << bit
            bit += w
            for x in vs:
                self.voters[geo.session_pos[x]] |= mask
        self.kinds = _kinds(geo)
        self.hosts_of = [geo.sessions[s].hosts for s in range(len(geo.sessions))]

    def reach(self, pattern: frozenset[int]) -> int:
        seen = 0
        for s in pattern:
            seen |= self.voters[s]
        return seen.bit_count()

    def _cap(self, kind: _Kind) -> int:
        return min([size for inside, size in kind.halls if len(inside) == len(kind.sessions)],
                   default=len(kind.sessions))

    def _fits(self, kind: _Kind, pattern: set[int], s: int) -> bool:
        hosts = {h for x in pattern for h in self.hosts_of[x]}
        if any(h in hosts for h in self.hosts_of[s]):
            return False
        return all(len(kind.halls[i][0] & pattern) < kind.halls[i][1] for i in kind.member[s])

    # --------------------------------------------------------------- pricing

    def greedy(self, kind: _Kind, price: dict[int, float]) -> frozenset[int]:
        """A good pattern for the prices: best gain first, then improved by adds, drops and swaps."""
        voters = self.voters
        chosen: set[int] = set()
        seen = 0
        cap = self._cap(kind)
        while len(chosen) < cap:
            best, best_gain = -1, 1e-9
            for s in kind.sessions:
                if s in chosen:
                    continue
                gain = (voters[s] & ~seen).bit_count() - price.get(s, 0.0)
                if gain > best_gain and self._fits(kind, chosen, s):
                    best, best_gain = s, gain
            if best < 0:
                break
            chosen.add(best)
            seen |= voters[best]
        return self._improve(kind, price, chosen)

    def _improve(self, kind: _Kind, price: dict[int, float], chosen: set[int]) -> frozenset[int]:
        def value(p: set[int]) -> float:
            return self.reach(frozenset(p)) - sum(price.get(s, 0.0) for s in p)

        cap = self._cap(kind)
        current = value(chosen)
        improved = True
        while improved:
            improved = False
            for s in sorted(chosen):
                if value(chosen - {s}) > current + 1e-9:
                    chosen.discard(s)
                    current = value(chosen)
                    improved = True
            for s2 in kind.sessions:
                if s2 in chosen:
                    continue
                if len(chosen) < cap and self._fits(kind, chosen, s2) and value(chosen | {s2}) > current + 1e-9:
                    chosen.add(s2)
                    current = value(chosen)
                    improved = True
                    continue
                for s in sorted(chosen):
                    rest = chosen - {s}
                    if self._fits(kind, rest, s2) and value(rest | {s2}) > current + 1e-9:
                        chosen = rest | {s2}
                        current = value(chosen)
                        improved = True
                        break
        return frozenset(chosen)

    def exact(self, kind: _Kind, price: dict[int, float], floor: float,
              deadline: float) -> tuple[list[frozenset[int]], float]:
        """Best-first branch and bound for the pattern of most reach minus prices: the patterns
        found worth more than `floor` (a value known to be reachable), and a proven bound on the
        best. The bound at a node is its value plus its best `rooms left` marginal gains (a voter
        reached twice is counted twice, so it never underestimates); best-first, so that when the
        clock stops the search the highest open bound is already as low as the search got it."""
        voters, hosts_of, halls = self.voters, self.hosts_of, kind.halls
        cost = [price.get(s, 0.0) for s in range(len(voters))]
        found: list[tuple[float, frozenset[int]]] = []
        best = max(0.0, floor)
        tie = count()
        # (-bound, tie, value, seen, candidates, rooms left, hosts, hall loads, chosen)
        Node = tuple[float, int, float, int, list[int], int, frozenset[str], tuple[int, ...], tuple[int, ...]]
        heap: list[Node] = []

        def push(value: float, seen: int, cands: list[int], left: int, hosts: frozenset[str],
                 load: tuple[int, ...], chosen: tuple[int, ...]) -> None:
            nonlocal best
            if value > best + 1e-9:
                found.append((value, frozenset(chosen)))
                best = value
            if left == 0:
                return
            gains = sorted((((voters[s] & ~seen).bit_count() - cost[s], s) for s in cands), reverse=True)
            gains = [g for g in gains if g[0] > 1e-9]
            ub = value + sum(g for g, _ in gains[:left])
            if gains and ub > best + 1e-9:
                heapq.heappush(heap, (-ub, next(tie), value, seen, [s for _, s in gains], left, hosts, load, chosen))

        push(0.0, 0, list(kind.sessions), self._cap(kind), frozenset(), (0,) * len(halls), ())
        steps = 0
        while heap:
            if -heap[0][0] <= best + 1e-9:
                heap.clear()
                break
            steps += 1
            if steps % 64 == 0 and time.perf_counter() > deadline:
                break
            _, _, value, seen, cands, left, hosts, load, chosen = heapq.heappop(heap)
            s0, rest = cands[0], cands[1:]
            if not any(h in hosts for h in hosts_of[s0]) and all(load[i] < halls[i][1] for i in kind.member[s0]):
                grown = list(load)
                for i in kind.member[s0]:
                    grown[i] += 1
                gain = (voters[s0] & ~seen).bit_count() - cost[s0]
                taken = hosts | set(hosts_of[s0])
                full = [i for i in kind.member[s0] if grown[i] >= halls[i][1]]
                # candidates that can no longer join (a host now busy, a room group now full) leave the bound
                still = [s for s in rest if not any(h in taken for h in hosts_of[s])
                         and not any(i in full for i in kind.member[s])]
                push(value + gain, seen | voters[s0], still, left - 1, taken, tuple(grown), (*chosen, s0))
            push(value, seen, rest, left, hosts, load, chosen)
        ub = max(best, -heap[0][0]) if heap else best
        return [p for _, p in sorted(found, key=lambda f: -f[0])[:5]], max(0.0, ub)

    # --------------------------------------------------------------- master

    def master(self) -> tuple[float, dict[int, float], list[float]]:
        """The restricted master LP: its value, the session prices and each kind's slot price."""
        lp = pywraplp.Solver.CreateSolver("GLOP")
        sessions = sorted({s for k in self.kinds for p in k.patterns for s in p})
        row = {s: lp.Constraint(-lp.infinity(), 1.0) for s in sessions}
        per_kind = [lp.Constraint(-lp.infinity(), float(len(k.slots))) for k in self.kinds]
        objective = lp.Objective()
        for ki, k in enumerate(self.kinds):
            for p in k.patterns:
                var = lp.NumVar(0.0, lp.infinity(), "")
                objective.SetCoefficient(var, float(self.reach(p)))
                per_kind[ki].SetCoefficient(var, 1.0)
                for s in p:
                    row[s].SetCoefficient(var, 1.0)
        objective.SetMaximization()
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            return math.inf, {}, [0.0] * len(self.kinds)
        price = {s: max(0.0, c.dual_value()) for s, c in row.items()}
        return objective.Value(), price, [max(0.0, c.dual_value()) for c in per_kind]


def _heuristic_round(rel: _Relaxation, price: dict[int, float], slot_price: list[float], until: float) -> bool:
    """New patterns from the greedy pricing, one per kind of slot; False when it finds none."""
    added = False
    for ki, k in enumerate(rel.kinds):
        if time.perf_counter() > until:
            break
        pattern = rel.greedy(k, price)
        gain = rel.reach(pattern) - sum(price.get(s, 0.0) for s in pattern)
        if gain > slot_price[ki] + 1e-6 and pattern not in k.patterns:
            k.patterns.append(pattern)
            added = True
    return added


def coverage_bound(geo: Geometry, grid: dict[int, tuple[int, int]], seconds: float) -> Bound:
    """A proven upper bound on the coverage of any grid (percent), within about `seconds`.

    `grid` (session -> (room, start)) seeds the patterns, so the first prices are already good.
    None when nothing better than 100% could be proven."""
    began = time.perf_counter()
    deadline = began + seconds
    rel = _Relaxation(geo)
    kind_of = {t: ki for ki, k in enumerate(rel.kinds) for t in k.slots}
    starting: dict[int, set[int]] = defaultdict(set)
    for s, (_, t) in grid.items():
        starting[t].add(s)
    for t, ss in starting.items():
        if t in kind_of:
            k = rel.kinds[kind_of[t]]
            pattern = frozenset(s for s in ss if s in k.sessions)
            if pattern not in k.patterns:
                k.patterns.append(pattern)
    for k in rel.kinds:
        base = rel.greedy(k, {})
        if base not in k.patterns:
            k.patterns.append(base)
    best = math.inf
    rounds = 0
    converged = False
    heuristic_until = began + HEURISTIC_SHARE * seconds
    center: dict[int, float] | None = None  # the prices of the best bound so far (stabilisation)
    since_exact = 0
    while time.perf_counter() < deadline:
        rounds += 1
        lp_value, price, slot_price = rel.master()
        if lp_value >= best - 1e-6:
            converged = True  # the LP is solved: its value is the bound
            break
        if time.perf_counter() < heuristic_until or since_exact < HEURISTIC_ROUNDS:
            since_exact += 1
            if _heuristic_round(rel, price, slot_price, heuristic_until if since_exact == 1 else deadline):
                continue
        since_exact = 0
        # branch and bound at prices between the best-bound prices and the LP's (Wentges smoothing),
        # which proves a bound at those prices and finds new patterns
        sep = price if center is None else {s: SMOOTHING * center.get(s, 0.0) + (1 - SMOOTHING) * price.get(s, 0.0)
                                            for s in set(center) | set(price)}
        proven = sum(sep.values())
        added = False
        for ki, k in enumerate(rel.kinds):
            # each kind of slot its share of the time left, so every one gets a real bound
            share = (deadline - time.perf_counter()) / (len(rel.kinds) - ki)
            # the greedy's pattern at these prices is the incumbent: the search only looks for better
            start = rel.greedy(k, sep)
            floor = rel.reach(start) - sum(sep.get(s, 0.0) for s in start)
            patterns, ub = rel.exact(k, sep, floor, min(deadline, time.perf_counter() + share))
            proven += len(k.slots) * ub
            for pattern in [start, *patterns]:
                if pattern not in k.patterns:
                    k.patterns.append(pattern)
                    added = True
        if proven < best:
            best, center = proven, sep
        elif not added:
            if center is None:
                converged = True
                break
            center = None  # smoothing priced nothing new: price at the LP's own prices next
    if not math.isfinite(best):
        return Bound(None, rel.perfect, rel.perfect, rounds, converged)
    wishes = min(rel.perfect, math.floor(best + 1e-6))
    percent = round(100 * wishes / max(1, rel.perfect), 3)
    return Bound(percent if percent < 100 else None, wishes, rel.perfect, rounds, converged)

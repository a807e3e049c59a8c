"""A fast local search (simulated annealing) over full grids, to hand CP-SAT a strong start.

CP-SAT on the full model improves slowly from a poor start on the larger instances, so we first
search the grid directly: move a session to a free cell, swap two sessions between slots, or
let a waiting pitch take a placed one's cell. Each move's effect on coverage is computed from
the voters of the sessions involved only (per voter and slot, how many of their picks run), so
tens of thousands of moves a second run in pure Python. Rooms are explicit, so every state is a
valid grid. The number of moves is fixed by the budget, not the clock, so a seed gives one grid.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict

from scheduler.cells import Geometry, voter_sets

# One wish served is worth this many seats short: coverage comes first, but a grid that packs the
# crowd into cupboards is no good either.
SEAT_WEIGHT = 0.05

# a move: sessions and their new cell (None: out of the grid)
Changes = list[tuple[int, tuple[int, int] | None]]


class Search:
    """Simulated annealing over (room, start) per session; objective = weighted wishes served
    (minus a large weight per move from the published grid when re-planning)."""

    def __init__(self, geo: Geometry, grid: dict[int, tuple[int, int]], seed: int,
                 seat_weight: float = SEAT_WEIGHT, crowd: list[float] | None = None,
                 exact_seats: bool = False) -> None:
        self.geo = geo
        self.seat_weight = seat_weight
        self.rng = random.Random(seed)
        n_slots = len(geo.slots)
        self.n_slots = n_slots
        self.length = [s.length for s in geo.sessions]
        self.hosts = [s.hosts for s in geo.sessions]
        # allowed rooms per (session, start)
        self.rooms_at: list[dict[int, list[int]]] = []
        for s in range(len(geo.sessions)):
            by_t: dict[int, list[int]] = defaultdict(list)
            for r, t in geo.starts[s]:
                by_t[t].append(r)
            self.rooms_at.append(dict(by_t))
        self.starts_of = [sorted(d) for d in self.rooms_at]
        self.movable = [s for s in range(len(geo.sessions)) if s not in geo.fixed and geo.starts[s]]
        self.must = {s for s, sess in enumerate(geo.sessions) if sess.pin is not None or s in geo.fixed}
        # voter groups
        groups = sorted(voter_sets(geo.problem).items())
        self.weight = [w for _, w in groups]
        self.votes = [[geo.session_pos[x] for x in vs] for vs, _ in groups]
        self.exact = [any(self.length[s] > 1 for s in vs) for vs in self.votes]
        self.voters_of: list[list[int]] = [[] for _ in geo.sessions]
        for g, vs in enumerate(self.votes):
            for s in vs:
                self.voters_of[s].append(g)
        # re-plan: the published cell of each session
        self.prev: dict[int, tuple[int, int]] = {}
        for sid, cell in geo.problem.previous.items():
            self.prev[geo.session_pos[sid]] = (geo.room_pos[cell.room], geo.slot_pos[cell.slot])
        self.move_weight = (sum(self.weight) * n_slots + 1) if self.prev else 0
        # seats short, estimated with the whole show of interest (votes + hands) in the room it has,
        # or with the crowd a previous stage's grid drew (voters split between picks in one slot)
        wanted: dict[int, float] = defaultdict(float)
        for names, size in groups:
            for x in names:
                wanted[geo.session_pos[x]] += size
        for sid, n in geo.problem.extra_demand.items():
            wanted[geo.session_pos[sid]] += n
        self.pop = crowd if crowd is not None else [wanted[s] for s in range(len(geo.sessions))]
        self.cap = [r.capacity for r in geo.rooms]
        self.seats = 0.0
        # exact seats short (metrics.demand, kept incrementally): a voter's picks starting in one
        # slot share them 1/k each, so the crowd of a session depends on where the others are
        self.exact_seats = exact_seats
        self.extra = [0.0] * len(geo.sessions)
        for sid, n in geo.problem.extra_demand.items():
            self.extra[geo.session_pos[sid]] = float(n)
        self.demand = list(self.extra)
        self.starting: dict[tuple[int, int], list[int]] = defaultdict(list)  # (group, start) -> picks
        # state
        self._was_kept: dict[int, bool] = {}
        self.simple = 0  # weighted wishes served of voters without a multi-slot pick (kept incrementally)
        self.exact_voters_of = [[g for g in gs if self.exact[g]] for gs in self.voters_of]
        self.multi_of = [[s for s in vs if self.length[s] > 1] for vs in self.votes]
        self.cell: dict[tuple[int, int], int] = {}
        self.where: dict[int, tuple[int, int]] = {}
        self.host_busy: dict[tuple[str, int], int] = defaultdict(int)
        self.cnt = [[0] * n_slots for _ in groups]
        for s, (r, t) in grid.items():
            self._place(s, r, t)
        self.cov = [self._coverage(g) for g in range(len(groups))]
        self.value = (sum(w * c for w, c in zip(self.weight, self.cov, strict=True))
                      - self.move_weight * self._moves() - self.seat_weight * self.seats)

    # ------------------------------------------------------------------ state helpers

    def _moves(self) -> int:
        return sum(1 for s, c in self.prev.items() if self.where.get(s) != c)

    def _coverage(self, g: int) -> int:
        """Wishes served for group g: earliest-end-first interval scheduling over the slots."""
        row = self.cnt[g]
        if not self.exact[g]:
            return sum(1 for c in row if c)
        ends: dict[int, int] = {}  # end slot -> latest start of a placed multi-slot pick ending there
        for d in self.multi_of[g]:
            cell = self.where.get(d)
            if cell is not None:
                end = cell[1] + self.length[d] - 1
                ends[end] = max(ends.get(end, -1), cell[1])
        got, last = 0, -1
        for e in range(self.n_slots):
            if (row[e] and e > last) or ends.get(e, -1) > last:
                got += 1
                last = e
        return got

    def _shift_crowds(self, s: int, t: int, joining: bool) -> None:
        """Exact seats: s starts (or stops starting) at t; the crowds of the picks it shares a
        start with, and its own, change; self.seats follows."""
        cap, where, weight, demand = self.cap, self.where, self.weight, self.demand
        change: dict[int, float] = defaultdict(float)
        own = self.extra[s]
        for g in self.voters_of[s]:
            picks = self.starting[g, t]
            k = len(picks) - (0 if joining else 1)  # picks other than s
            if joining:
                picks.append(s)
            else:
                picks.remove(s)
            if k:
                delta = weight[g] / (k + 1) - weight[g] / k
                for o in picks:
                    if o != s:
                        change[o] += delta if joining else -delta
            own += weight[g] / (k + 1)
        for o, d in change.items():
            c = cap[where[o][0]]
            self.seats += max(0.0, demand[o] + d - c) - max(0.0, demand[o] - c)
            demand[o] += d
        c = cap[where[s][0]]
        if joining:
            demand[s] = own
            self.seats += max(0.0, own - c)
        else:
            self.seats -= max(0.0, demand[s] - c)
            demand[s] = self.extra[s]

    def _place(self, s: int, r: int, t: int) -> None:
        self.where[s] = (r, t)
        if self.exact_seats:
            self._shift_crowds(s, t, joining=True)
        else:
            self.seats += max(0.0, self.pop[s] - self.cap[r])
        for u in range(t, t + self.length[s]):
            self.cell[r, u] = s
            for h in self.hosts[s]:
                self.host_busy[h, u] += 1
        if self.length[s] > 1:
            return  # multi-slot picks only matter to exact groups, which look at `where`
        cnt, weight, exact = self.cnt, self.weight, self.exact
        for g in self.voters_of[s]:
            row = cnt[g]
            if not row[t] and not exact[g]:
                self.simple += weight[g]
            row[t] += 1

    def _remove(self, s: int) -> None:
        r, t = self.where[s]
        if self.exact_seats:
            self._shift_crowds(s, t, joining=False)
        else:
            self.seats -= max(0.0, self.pop[s] - self.cap[r])
        del self.where[s]
        for u in range(t, t + self.length[s]):
            del self.cell[r, u]
            for h in self.hosts[s]:
                self.host_busy[h, u] -= 1
        if self.length[s] > 1:
            return
        cnt, weight, exact = self.cnt, self.weight, self.exact
        for g in self.voters_of[s]:
            row = cnt[g]
            row[t] -= 1
            if not row[t] and not exact[g]:
                self.simple -= weight[g]

    def _free(self, s: int, r: int, t: int) -> bool:
        """Could s take (r, t)? Its own current cell and host time do not count against it."""
        cur = self.where.get(s)
        own = range(cur[1], cur[1] + self.length[s]) if cur is not None else range(0)
        for u in range(t, t + self.length[s]):
            occ = self.cell.get((r, u))
            if occ is not None and occ != s:
                return False
            mine = 1 if u in own else 0
            for h in self.hosts[s]:
                if self.host_busy[h, u] > mine:
                    return False
        return True

    # ------------------------------------------------------------------ moves
    def _propose(self) -> tuple[Changes, tuple[int, ...]] | None:
        """A random move as a list of (session, new cell or None); None when nothing applies."""
        s = self.rng.choice(self.movable)
        starts = self.starts_of[s]
        cur = self.where.get(s)
        t = self.rng.choice(starts)
        if cur is not None and t == cur[1] and len(starts) > 1:
            t = self.rng.choice(starts)
        rooms = self.rooms_at[s][t]
        free = [r for r in rooms if self._free(s, r, t)]
        if free:
            r = self.rng.choice(free)
            if cur == (r, t):
                return None
            return [(s, (r, t))], (s,)
        if self.length[s] > 1:
            return self._propose_multi(s, t, cur)
        # take the cell of a single-slot session b running at t
        occupied = [r for r in rooms if (r, t) in self.cell]
        if not occupied:
            return None
        rb = self.rng.choice(occupied)
        b = self.cell[rb, t]
        if b in self.geo.fixed or b == s:
            return None
        if cur is None:
            # a waiting pitch takes the cell; the occupant (a double too) goes out of the grid
            if b in self.must:
                return None
            return [(b, None), (s, (rb, t))], (s, b)
        if self.length[b] > 1:
            return None
        rs, ts = cur
        if rs not in self.rooms_at[b].get(ts, ()):
            return None
        return [(b, (rs, ts)), (s, (rb, t))], (s, b)

    def _propose_multi(self, s: int, t: int, cur: tuple[int, int] | None) -> tuple[Changes, tuple[int, ...]] | None:
        """A multi-slot session takes a run of cells; their single-slot occupants go out of the grid
        (when s was out) or into the cells s leaves, slot for slot."""
        r = self.rng.choice(self.rooms_at[s][t])
        length = self.length[s]
        if cur is not None and cur[0] == r and abs(cur[1] - t) < length:
            return None
        changes: Changes = []
        moved = [s]
        for i in range(length):
            b = self.cell.get((r, t + i))
            if b is None:
                continue
            if self.length[b] > 1 or b in self.geo.fixed or b == s:
                return None
            if cur is None:
                if b in self.must:
                    return None
                changes.append((b, None))
            else:
                rs, ts = cur
                if rs not in self.rooms_at[b].get(ts + i, ()):
                    return None
                changes.append((b, (rs, ts + i)))
            moved.append(b)
        changes.append((s, (r, t)))
        return changes, tuple(moved)

    def _apply(self, changes: Changes) -> Changes | None:
        """Apply a move if it keeps hosts in one place; returns the undo list or None."""
        undo = [(s, self.where.get(s)) for s, _ in changes]
        for s, _ in changes:
            if s in self.where:
                self._remove(s)
        ok = True
        for s, cell in changes:
            if cell is None:
                continue
            if not self._free(s, *cell):  # s is out of the grid here, so this is the strict check
                ok = False
                break
            self._place(s, *cell)
        if not ok:
            for s, _ in changes:
                if s in self.where:
                    self._remove(s)
            for s, cell in undo:
                if cell is not None:
                    self._place(s, *cell)
            return None
        return undo

    def _undo(self, undo: Changes) -> None:
        for s, _ in undo:
            if s in self.where:
                self._remove(s)
        for s, cell in undo:
            if cell is not None:
                self._place(s, *cell)

    def run(self, moves: int, deadline: float, t_start: float = 1.5, t_end: float = 0.05) -> dict[int, tuple[int, int]]:
        """Anneal for `moves` proposals (or until the deadline); returns the best grid seen."""
        best_value = self.value
        best = dict(self.where)
        if not self.movable or moves <= 0:
            return best
        ratio = (t_end / t_start) ** (1 / max(1, moves))
        temp = t_start
        rng = self.rng
        for i in range(moves):
            temp *= ratio
            if i % 2048 == 0 and time.perf_counter() > deadline:
                break
            move = self._propose()
            if move is None:
                continue
            changes, moved = move
            self._was_kept = {s: self.where.get(s) == self.prev.get(s) for s in moved if s in self.prev}
            simple_before, seats_before = self.simple, self.seats
            undo = self._apply(changes)
            if undo is None:
                continue
            delta = self.simple - simple_before - self.seat_weight * (self.seats - seats_before)
            old: dict[int, int] = {}
            for s in moved:
                for g in self.exact_voters_of[s]:
                    if g not in old:
                        old[g] = self.cov[g]
                        new = self._coverage(g)
                        delta += self.weight[g] * (new - old[g])
                        self.cov[g] = new
            if self.move_weight:
                for s in moved:
                    if s in self.prev:
                        delta += self.move_weight * (int(self.where.get(s) == self.prev[s]) - int(self._was_kept[s]))
            if delta >= 0 or rng.random() < math.exp(delta / temp):
                self.value += delta  # (simple part already moved with the state)
                if self.value > best_value:
                    best_value = self.value
                    best = dict(self.where)
            else:
                self._undo(undo)
                for g, c in old.items():
                    self.cov[g] = c
        return best

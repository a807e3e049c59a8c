"""The fill pass: put every left-out pitch that fits into a free cell.

"Every pitch that can run does run" is a rule the organisers care about more than a fraction of a
point of coverage: a pitch left out while a room stands empty is a broken promise. The solver
prefers full grids already; this pass guarantees it, whatever the time limit cut short.
"""

from __future__ import annotations

from scheduler.cells import Geometry


def fill(geo: Geometry, grid: dict[int, tuple[int, int]], popularity: dict[int, float]) -> list[int]:
    """Add left-out sessions to free cells in place (most wanted first); returns those added."""
    taken: set[tuple[int, int]] = set()
    host_busy: set[tuple[str, int]] = set()
    for s, (r, t) in grid.items():
        for u in geo.span(s, t):
            taken.add((r, u))
            host_busy.update((h, u) for h in geo.sessions[s].hosts)
    added: list[int] = []
    waiting = sorted((s for s in range(len(geo.sessions)) if s not in grid and geo.starts[s]),
                     key=lambda s: (-popularity.get(s, 0.0), geo.sessions[s].id))
    for s in waiting:
        sess = geo.sessions[s]
        best: tuple[float, int, int, int] | None = None
        for r, t in geo.starts[s]:
            span = geo.span(s, t)
            if any((r, u) in taken or any((h, u) in host_busy for h in sess.hosts) for u in span):
                continue
            cap = geo.rooms[r].capacity
            key = (max(0.0, popularity.get(s, 0.0) - cap), cap, t, r)
            if best is None or key < best:
                best = key
        if best is None:
            continue
        _, _, t, r = best
        grid[s] = (r, t)
        added.append(s)
        for u in geo.span(s, t):
            taken.add((r, u))
            host_busy.update((h, u) for h in sess.hosts)
    return added

"""No host in two places at once: per host and slot, at most one of their sessions runs."""

from __future__ import annotations

from collections import defaultdict

from scheduler.model.variables import Variables


def add(v: Variables) -> None:
    by_host: dict[str, list[int]] = defaultdict(list)
    for s, sess in enumerate(v.geo.sessions):
        for h in sess.hosts:
            by_host[h].append(s)
    for sessions in by_host.values():
        if len(sessions) < 2:
            continue
        for t in range(len(v.geo.slots)):
            lits = [v.at[s, t] for s in sessions if (s, t) in v.at]
            if len(lits) > 1:
                v.model.add_at_most_one(lits)

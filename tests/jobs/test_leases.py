"""The scheduler lease: one holder at a time, renewed, taken over when it runs out."""

from __future__ import annotations

import threading
from datetime import timedelta

from campbot.config.context import AppContext
from campbot.services import leases
from tests.jobs.helpers import Clock

TTL = timedelta(seconds=30)


def test_one_holder_renewal_expiry_and_release(jctx: AppContext, clock: Clock) -> None:
    assert leases.try_acquire(jctx, "scheduler", "A", TTL)
    assert not leases.try_acquire(jctx, "scheduler", "B", TTL)
    assert leases.holder_of(jctx, "scheduler") == "A"
    clock.advance(seconds=20)
    assert leases.renew(jctx, "scheduler", "A", TTL)  # now valid until +50s
    clock.advance(seconds=20)
    assert not leases.try_acquire(jctx, "scheduler", "B", TTL)
    assert not leases.renew(jctx, "scheduler", "B", TTL)  # only the holder renews
    clock.advance(seconds=11)  # A died: its lease ran out
    assert leases.holder_of(jctx, "scheduler") is None
    assert leases.try_acquire(jctx, "scheduler", "B", TTL)
    assert not leases.renew(jctx, "scheduler", "A", TTL)  # A wakes up and finds it lost the lease
    leases.release(jctx, "scheduler", "A")  # releasing someone else's lease does nothing
    assert leases.holder_of(jctx, "scheduler") == "B"
    leases.release(jctx, "scheduler", "B")
    assert leases.try_acquire(jctx, "scheduler", "A", TTL)


def test_many_processes_racing_for_a_free_lease_get_exactly_one_holder(jctx: AppContext) -> None:
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        barrier.wait()
        if leases.try_acquire(jctx, "race", name, TTL):
            winners.append(name)

    threads = [threading.Thread(target=race, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert leases.holder_of(jctx, "race") == winners[0]


def test_racing_for_an_expired_lease_gets_exactly_one_holder(jctx: AppContext, clock: Clock) -> None:
    assert leases.try_acquire(jctx, "race", "dead", TTL)
    clock.advance(seconds=31)
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        barrier.wait()
        if leases.try_acquire(jctx, "race", name, TTL):
            winners.append(name)

    threads = [threading.Thread(target=race, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1

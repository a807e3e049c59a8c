"""The pool that runs listeners' after-ack work, away from the threads that acknowledge requests.

Bolt runs a listener (which calls ack()) on its own executor and answers Slack once ack() was
called; if that executor's threads are all busy, a new request cannot even be acknowledged, and
Slack shows the person an error at 3 s. So the listeners ack and hand the rest here: these
threads may wait for the database or for their turn at Slack without delaying any ack.

Work is taken in priority order (a modal someone is waiting for before a vote's bookkeeping);
`wait_idle()` lets tests wait until everything handed over so far is done.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

THREADS = 16  # each may hold a database connection: leave the pool room for the ack path
MODAL, NORMAL = 0, 1


class WorkPool:
    def __init__(self, threads: int = THREADS) -> None:
        self.size = threads
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._threads: list[threading.Thread] = []

    def submit(self, work: Callable[[], None], priority: int = NORMAL) -> None:
        with self._cond:
            heapq.heappush(self._queue, (priority, next(self._order), work))
            if len(self._threads) < self.size and self._busy + len(self._queue) > len(self._threads):
                thread = threading.Thread(target=self._run, name=f"campbot-after-ack-{len(self._threads)}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                _, _, work = heapq.heappop(self._queue)
                self._busy += 1
            try:
                work()
            except Exception:  # noqa: BLE001 - after_ack reports its own errors; never lose the thread
                log.exception("background work failed")
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or running (False at the deadline)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True


pool = WorkPool()

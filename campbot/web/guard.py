"""What stands between the attendee pages and a hostile or clumsy client: the sign-in session,
the CSRF token on every form, and a rate limit on sign-in attempts and writes.

Session: Flask's signed cookie (itsdangerous, HMAC with a key derived from the attendee-link
master secret for this one purpose, campbot.services.attendee_links.derive_key), Secure, HttpOnly
and SameSite=Lax. It names the attendee and the version of the link they signed in with;
every request compares that version with the attendee's current one, so revoking a link
(`campbot attendees revoke`) signs out whoever opened it on their next request, with no
server-side session store to keep in step across worker processes.

CSRF: a random token per session, put in every form and checked on every POST (compared in
constant time). SameSite=Lax already keeps other sites' POSTs from carrying the cookie; the
token also covers older browsers and a same-site page on a shared host.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

SESSION_ATTENDEE, SESSION_VERSION, SESSION_CSRF = "a", "v", "csrf"
CSRF_FIELD = "csrf_token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Limit:
    """`burst` requests at once, then one every `per_seconds / burst` seconds on average."""

    burst: int
    per_seconds: float


class RateLimiter:
    """Token buckets per client key, in this process's memory.

    Why in-process and not in the database or Redis: it is a brake on a script hammering the
    sign-in link or the vote button, not an account of anything, so a restart may forget it
    and N worker processes may let N times the rate through; in exchange it costs no query and
    no extra service on the camp's one small server. The table of keys is bounded (the least
    recently seen are forgotten first), so a flood of made-up client keys cannot fill memory.

    `clock` is injectable so tests can run a minute in a moment.
    """

    def __init__(self, limit: Limit, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, stamp)

    def _now(self) -> float:
        return self._clock()

    def take(self, key: str) -> float:
        """Spend one request for `key`: 0.0 when allowed, else the seconds until the next one is."""
        return self._spend(key, 1.0)

    def peek(self, key: str) -> float:
        """What `take` would answer, without spending anything."""
        return self._spend(key, 0.0)

    def _spend(self, key: str, cost: float) -> float:
        rate = self.limit.burst / self.limit.per_seconds
        with self._lock:
            now = self._now()
            tokens, stamp = self._buckets.pop(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - stamp) * rate)
            if tokens >= 1:
                wait = 0.0
                tokens -= cost
            else:
                wait = (1 - tokens) / rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

"""Slack's documented Web API rate limits, and how fast campbot paces itself under them.

Sources (checked 2026-12): https://docs.slack.dev/apis/web-api/rate-limits — limits apply "per
API method per workspace per app": Tier 2 20+ per minute, Tier 3 50+ per minute, Tier 4 100+
per minute, and chat.postMessage "generally allows posting one message per second per channel"
with short bursts. Each method's tier is on its reference page (chat.update, conversations.open:
Tier 3; views.open, views.publish, views.update, views.push, chat.postEphemeral, users.info:
Tier 4; pins.add, pins.remove, usergroups.users.list: Tier 2).

A limit here is "at most `calls` in any `per_seconds` window" (what campbot.slack.local_slack enforces in
its limits mode). `pace()` turns it into a token bucket that can never break it: a burst of
`calls // 10` and then an even rate a little under the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

SAFETY = 1.02  # pace 2% under the limit, plus JITTER seconds between calls: clocks and network
JITTER = 0.1  # jitter (a busy machine, a slow request) must not tip us over


@dataclass(frozen=True)
class Limit:
    calls: int
    per_seconds: float

    def pace(self) -> tuple[float, int]:
        """(seconds between calls, burst): a GCRA bucket that stays within this limit in any window.

        A burst of b at once, then one call every T: a window of W seconds holds b + ceil(W/T) - 1
        calls, which is at most `calls` when T >= W / (calls - b + 1); a margin on top absorbs
        the jitter between when we send and when Slack counts."""
        burst = max(1, self.calls // 10)
        return self.per_seconds / (self.calls - burst + 1) * SAFETY + JITTER, burst

    def is_unlimited(self) -> bool:
        """A thousand calls a second or more: a local Slack that limits nothing (no pacing at all)."""
        return self.calls / self.per_seconds >= 1000


TIER2 = Limit(20, 60.0)
TIER3 = Limit(50, 60.0)
TIER4 = Limit(100, 60.0)
POSTS_PER_CHANNEL = Limit(6, 6.0)  # "1 per second per channel, short bursts allowed"
POST_METHOD = "chat.postMessage"
PER_CHANNEL = "post-per-channel"  # the override name of POSTS_PER_CHANNEL
ANY = "*"  # the override name for every method
DEFAULT = "default"  # the limit of a method not listed below (Tier 3 unless overridden)

METHOD_LIMITS: dict[str, Limit] = {
    "chat.update": TIER3,
    "chat.delete": TIER3,
    "conversations.open": TIER3,
    "conversations.info": TIER3,
    "views.open": TIER4,
    "views.publish": TIER4,
    "views.update": TIER4,
    "views.push": TIER4,
    "chat.postEphemeral": TIER4,
    "users.info": TIER4,
    "pins.add": TIER2,
    "pins.remove": TIER2,
    "usergroups.users.list": TIER2,
}
UNLIMITED = frozenset({"auth.test", "chat.postMessage", "chat.getPermalink"})  # special tiers: see above


@dataclass(frozen=True)
class Limits:
    """The limits in force: Slack's, with overrides (tests and the benchmark use small ones)."""

    methods: dict[str, Limit]
    per_channel: Limit

    def for_method(self, method: str) -> Limit | None:
        if method in self.methods:
            return self.methods[method]
        return None if method in UNLIMITED else self.methods.get(DEFAULT, TIER3)


def parse_overrides(text: str) -> dict[str, Limit]:
    """"chat.update=3/2,post-per-channel=2/1" -> {method: Limit(calls, seconds)}; ValueError on junk."""
    out: dict[str, Limit] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, spec = part.partition("=")
        calls, _, seconds = spec.partition("/")
        try:
            limit = Limit(int(calls), float(seconds or 60))
        except ValueError:
            raise ValueError(f"bad Slack limit {part!r}: write method=CALLS/SECONDS, e.g. chat.update=50/60") from None
        if limit.calls < 1 or limit.per_seconds <= 0:
            raise ValueError(f"bad Slack limit {part!r}: calls and seconds must be positive")
        out[name.strip()] = limit
    return out


def limits_from(overrides: str = "") -> Limits:
    """Slack's limits with `overrides` on top; `*=CALLS/SECONDS` sets every method and the
    per-channel posting limit at once (a local fake Slack that limits nothing: tests, the demo)."""
    extra = parse_overrides(overrides)
    every = extra.pop(ANY, None)
    base = {m: every for m in (*METHOD_LIMITS, DEFAULT)} if every is not None else dict(METHOD_LIMITS)
    per_channel = extra.pop(PER_CHANNEL, every or POSTS_PER_CHANNEL)
    return Limits(methods={**base, **extra}, per_channel=per_channel)


LOCAL_UNLIMITED = "*=100000/1"  # for a local fake Slack that enforces nothing


def budget_key(workspace: str, method: str, channel: str | None, limits: Limits) -> tuple[str, Limit] | None:
    """The budget a call takes from: (key, limit), or None for a method Slack does not tier."""
    if method == POST_METHOD and channel and POST_METHOD not in limits.methods:
        return f"{workspace}:post:{channel}", limits.per_channel
    limit = limits.for_method(method)
    return (f"{workspace}:{method}", limit) if limit is not None else None

"""The tests' fake Slack Web API: the local server from campbot.slack.local_slack (also used by the demo),
plus two test conveniences: a response_url it serves, and polling for a call with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from campbot.slack.local_slack import Call, LocalSlack

RESPONSE_URL = "response_url"


@dataclass
class FakeSlack(LocalSlack):
    def respond_url(self, name: str = "hook") -> str:
        """A response_url served by this fake: what the bot POSTs there is recorded as
        calls_to("response_url"), with the JSON body as params."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/respond/{name}/{RESPONSE_URL}"

    def wait_for(
        self, method: str, count: int = 1, *, timeout: float = 10.0, where: Callable[[Call], bool] | None = None
    ) -> list[Call]:
        """Poll until at least `count` calls to `method` (matching `where`) arrived and return
        them; AssertionError at the deadline, listing what did arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.method for c in list(self.calls)]
                raise AssertionError(f"expected {count} call(s) to {method}, got {len(found)}; calls: {seen}")
            time.sleep(0.01)


__all__ = ["RESPONSE_URL", "Call", "FakeSlack"]

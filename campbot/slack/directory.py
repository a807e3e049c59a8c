"""Slack as the services' Directory (campbot.services.organising.Directory): who is in a user group.

The organiser role may be given by a Slack user group; its members come from
usergroups.users.list, cached for a minute so a burst of organiser commands costs one API call.
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

GROUP_TTL_SECONDS = 60.0
_group_cache: dict[str, tuple[float, frozenset[str]]] = {}
_group_lock = threading.Lock()


class SlackDirectory:
    """A user group's members through one WebClient, from the process-wide one-minute cache."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        now = time.monotonic()
        with _group_lock:
            hit = _group_cache.get(usergroup_id)
            if hit and hit[0] > now:
                return hit[1]
        try:
            resp = self.client.usergroups_users_list(usergroup=usergroup_id)
            members = frozenset(resp.get("users") or [])
        except SlackApiError as exc:
            # Fail closed: without the list nobody gets organiser rights through the group.
            log.warning("usergroups.users.list failed for %s: %s", usergroup_id, exc.response.get("error"))
            return frozenset()
        with _group_lock:
            _group_cache[usergroup_id] = (now + GROUP_TTL_SECONDS, members)
        return members


def clear_cache() -> None:
    """Forget cached group members (tests, or after an organiser changes the group)."""
    with _group_lock:
        _group_cache.clear()

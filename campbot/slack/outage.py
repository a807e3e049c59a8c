"""What a person sees when the database is away: a plain "try again", never a 500 or silence.

The first thing every Slack request does is record its replay key (campbot.slack.app's `once_only`),
so a database outage shows there first. The request is refused *closed* (nothing runs, so
nothing can half-happen or happen twice later), and the person is told, in the way each kind
of request allows:

* slash command: the ack itself carries an ephemeral message (Slack shows it to the sender);
* modal submission: the ack carries a field error on the modal's first input, so the modal
  stays open with the person's text in it and they can press Submit again;
* button / menu: acked (200), and a private message goes through the response_url (or an
  ephemeral / DM) from a background thread;
* Events API (should one reach this path): 503 with Retry-After, so Slack delivers it again.

Clicks and events claim their key after the ack (campbot.slack.app's deferred claim), so for them the
outage shows in campbot.slack.listeners.common.after_ack, which tells the person DB_DOWN privately; an
event's work (an App Home refresh) is simply not done. The modal callbacks answer a failed
save with a field error. Nothing is ever silent towards the person who acted.

A *busy* database (another connection holding the lock past the request's budget, see
campbot.store.db.within) is answered the same ways, with DB_BUSY: nothing was saved, try again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient

from campbot.slack.replies import tell

log = logging.getLogger(__name__)

DB_DOWN = (
    "Sorry, campbot can't reach its database just now, so nothing was changed. Please try again in a minute."
)
DB_BUSY = (
    "Sorry, campbot's database is busy just now, so nothing was saved or changed. Please try again in a moment."
)
RETRY_AFTER_SECONDS = 30


def _first_input_block(body: dict[str, Any]) -> str | None:
    view = body.get("view") or {}
    for block in view.get("blocks") or [] if isinstance(view, dict) else []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def database_down_response(
    body: dict[str, Any],
    client: WebClient | None,
    run_later: Callable[[Callable[[], None]], Any],
    message: str = DB_DOWN,
) -> BoltResponse:
    """The answer to a Slack request that arrived while the database is unreachable (or, with
    `message=DB_BUSY`, held by someone else past the request's budget)."""
    kind = body.get("type") or ("command" if "command" in body else "")
    if kind == "command":
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": message}),
            headers={"content-type": "application/json"},
        )
    if kind == "view_submission":
        block = _first_input_block(body)
        if block is not None:
            return BoltResponse(
                status=200,
                body=json.dumps({"response_action": "errors", "errors": {block: message[:150]}}),
                headers={"content-type": "application/json"},
            )
        return BoltResponse(status=200, body="")
    if kind == "event_callback":
        return BoltResponse(status=503, body="database unavailable", headers={"retry-after": str(RETRY_AFTER_SECONDS)})
    if client is not None and kind in ("block_actions", "shortcut", "message_action", "block_suggestion"):
        run_later(lambda: tell(client, body, message))
    return BoltResponse(status=200, body="")

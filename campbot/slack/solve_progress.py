"""A solve or re-plan followed in Slack: the progress message, then the private preview.

The services' SolveNotifier (campbot.services.solving) implemented for Slack. While a run goes,
a progress message in the organisers' channel (or the channel the command came from) is kept up
to date with chat.update, at most every few seconds; when it ends, the organiser who asked gets
the private preview as an ephemeral message where they typed the command, or as a DM if Slack
refuses that (the bot is not in that channel, or it is a DM). Started by the `/camp solve` and
`/camp replan` listeners (campbot.slack.listeners.organiser_grid).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from campbot.config.context import AppContext
from campbot.services import changelog, solving
from campbot.services.grid_queries import load_grid
from campbot.slack.blocks import preview as preview_blocks
from campbot.slack.escape import escape

log = logging.getLogger(__name__)

SLACK_PROGRESS_EVERY = 3.0  # chat.update is rate limited (~50/min); every 3 s is plenty for a person


class SlackSolveNotifier:
    """Follows one run in Slack: a progress message, then the private preview (see module doc)."""

    def __init__(
        self, ctx: AppContext, client: WebClient, *, user: str, progress_channel: str, preview_channel: str, kind: str
    ) -> None:
        self.ctx, self.client, self.user, self.kind = ctx, client, user, kind
        self.progress_channel, self.preview_channel = progress_channel, preview_channel
        self.ts: str | None = None
        self.channel: str | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def started(self, run_id: int) -> None:
        blocks = preview_blocks.progress_blocks(self.kind, self.user, 0.0, "starting the solver")
        try:
            resp = self.client.chat_postMessage(channel=self.progress_channel, text="Solving…", blocks=blocks)
        except SlackApiError as exc:
            log.warning("progress message for run %s not posted: %s", run_id, exc.response.get("error"))
            return
        self.channel, self.ts = str(resp["channel"]), str(resp["ts"])
        solving.set_progress_message(self.ctx, run_id, self.channel, self.ts)

    def progress(self, run_id: int, fraction: float, note: str) -> None:
        with self._lock:
            now = time.monotonic()
            if self.ts is None or now - self._last < SLACK_PROGRESS_EVERY:
                return
            self._last = now
        self._update(preview_blocks.progress_blocks(self.kind, self.user, fraction, note), "Solving…")

    def finished(self, run_id: int) -> None:
        result = solving.solve_result(self.ctx, run_id)
        seconds = solving.get_run(self.ctx, run_id).seconds
        if result.status != "done" or result.grid_version_id is None:
            self._update(
                preview_blocks.progress_blocks(self.kind, self.user, 1.0, f"failed: {result.error}", state="failed"),
                "The solve failed",
            )
            self._private(
                f"The {preview_blocks.WHAT.get(self.kind, self.kind)} failed: {escape(result.error)}",
                preview_blocks.failed_blocks(self.kind, result.error, seconds),
            )
            return
        f = result.figures
        other = result.room_for_everyone
        note = (
            f"done: coverage {f.get('coverage', 0):.1f}% (by hand "
            f"{(f.get('baseline') or {}).get('coverage', 0):.1f}%)"
            + (f", and a room-for-everyone grid at {other.figures.get('coverage', 0):.1f}%" if other else "")
            + "; the preview went to the organiser"
        )
        self._update(preview_blocks.progress_blocks(self.kind, self.user, 1.0, note, state="done"), "Solved")
        grid = load_grid(self.ctx, result.grid_version_id)
        changes = changelog.draft_changes(self.ctx, result.grid_version_id)
        alternative = None
        if other is not None:
            differences = changelog.diff_grids(grid, load_grid(self.ctx, other.grid_version_id))
            alternative = preview_blocks.Alternative(other.grid_version_id, other.figures,
                                                     [c.line for c in differences])
        blocks = preview_blocks.preview_blocks(grid, f, changes=changes, seconds=seconds, alternative=alternative)
        text = f"Draft grid ready: coverage {f.get('coverage', 0):.1f}%"
        if other is not None:
            text = (f"Two draft grids ready: highest coverage {f.get('coverage', 0):.1f}%, room for everyone "
                    f"{other.figures.get('coverage', 0):.1f}%")
        self._private(text, blocks)

    def _update(self, blocks: list[dict[str, Any]], text: str) -> None:
        if self.ts is None or self.channel is None:
            return
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.info("progress update failed: %s", exc.response.get("error"))

    def _private(self, text: str, blocks: list[dict[str, Any]]) -> None:
        """Ephemeral to the organiser where they asked; a DM if that is refused."""
        if self.preview_channel and not self.preview_channel.startswith("D"):
            try:
                self.client.chat_postEphemeral(channel=self.preview_channel, user=self.user, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.info("ephemeral preview refused (%s); sending a DM", exc.response.get("error"))
        try:
            opened = self.client.conversations_open(users=self.user)
            self.client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not send the preview to %s: %s", self.user, exc.response.get("error"))

"""Serve the export WSGI app on a real local port for tests (wsgiref, in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import WSGIApplication

from campbot.web.exports.grid_view import GridView, PitchListItem


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@dataclass
class Store:
    """What the loaders read: stands in for the database."""

    versions: dict[int, GridView] = field(default_factory=dict)
    people: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    pitches: list[PitchListItem] = field(default_factory=list)
    fail: bool = False
    asked: list[int | None] = field(default_factory=list)

    def load_view(self, version: int | None) -> GridView | None:
        self.asked.append(version)
        if self.fail:
            raise RuntimeError("database went away")
        if version is None:
            return self.versions[max(self.versions)] if self.versions else None
        return self.versions.get(version)

    def load_person(self, token: str) -> tuple[str, frozenset[str]] | None:
        return self.people.get(token)

    def load_pitches(self) -> list[PitchListItem]:
        return self.pitches


@contextmanager
def serve(app: WSGIApplication) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 on a free port; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

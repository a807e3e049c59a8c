"""Slow clients cannot take the HTTP server down (campbot.server.http_front).

A bounded slowloris attack on loopback (200 sockets trickling heads or bodies) runs while
`/healthz` and signed Slack clicks are sent: every probe must be answered, and the server
must close every attack socket itself. The deadlines are shortened (2 s for a head, 3 s for
a body) so the test is short; nothing here asserts a latency (that is bench/slowclients.py,
which prints p99 figures under the default limits). Both serving modes: the single process
(`campbot serve --mode http`) and gunicorn workers (`--workers 2`, campbot.server.workers).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from campbot.config.context import AppContext
from campbot.server.http_app import make_wsgi_app
from campbot.server.http_front import FrontLimits
from campbot.server.serve import serve_in_thread
from campbot.services import organising
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch
from campbot.slack.app import build_app, listener_executor
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack
from tests.support.served import start_serve, stop_serve
from tests.support.slack_requests import SlackSender
from tests.support.slow_clients import SlowAttack

SHORT = FrontLimits(header_seconds=2.0, body_seconds=3.0, idle_seconds=2.0)
ATTACK_SOCKETS = 200
ATTACK_SECONDS = 12.0  # an upper bound: the attack ends as soon as the server has closed every socket


def _probe_during(attack: SlowAttack, probes: dict[str, Callable[[], int]]) -> dict[str, list[int]]:
    """Send every probe in turn until the attack is over; the status codes each one got."""
    seen: dict[str, list[int]] = {name: [] for name in probes}
    while attack._thread.is_alive():
        for name, probe in probes.items():
            try:
                seen[name].append(probe())
            except requests.RequestException as exc:
                seen[name].append(-1)
                print(f"{name}: {exc!r}")
        time.sleep(0.2)
    return seen


def _assert_survived(attack: SlowAttack, seen: dict[str, list[int]]) -> None:
    report = attack.join()
    assert report.connected == ATTACK_SOCKETS
    assert report.closed_by_server == ATTACK_SOCKETS, report  # the server hung up on every slow socket
    assert report.still_open_at_end == 0
    for name, statuses in seen.items():
        assert statuses and all(s == 200 for s in statuses), (name, statuses)


@pytest.fixture
def pitch_id(ctx: AppContext, event: Event) -> int:
    assert event.id is not None
    organising.set_voting(ctx, event.id, open_=True, actor="test")
    return create_pitch(ctx, event.id, "U0HOST1", PitchInput(title="Slow clients")).id


def _signed(url: str, ctx: AppContext, fake_slack: FakeSlack) -> SlackSender:
    secret = ctx.settings.slack_signing_secret
    assert secret is not None
    return SlackSender(url=url + "/slack/events", signing_secret=secret.get_secret_value(),
                       response_url=fake_slack.respond_url())


def test_one_process_keeps_answering_and_closes_slow_sockets(
    ctx: AppContext, event: Event, fake_slack: FakeSlack, pitch_id: int
) -> None:
    app = build_app(ctx)
    server, thread = serve_in_thread(make_wsgi_app(ctx, app), limits=SHORT)
    url = f"http://127.0.0.1:{server.server_port}"
    slack = _signed(url, ctx, fake_slack)
    try:
        attack = SlowAttack("127.0.0.1", server.server_port, sockets=ATTACK_SOCKETS, seconds=ATTACK_SECONDS,
                            interval=0.5).start()
        seen = _probe_during(attack, {
            "healthz": lambda: requests.get(url + "/healthz", timeout=10).status_code,
            "click": lambda: slack.click("vote_toggle", str(pitch_id), user_id="U0FAN1").status,
        })
        _assert_survived(attack, seen)
        assert "HTTP/1.1 408 Request Timeout" in attack.report.answered_with  # the trickled bodies were told
        assert server.front.stats.timed_out >= ATTACK_SOCKETS
    finally:
        server.shutdown()
        server.server_close()
        listener_executor(app).shutdown(wait=True)
        thread.join(timeout=5)


def test_a_full_server_drops_the_longest_waiting_socket_not_the_newcomer(ctx: AppContext, event: Event) -> None:
    server, thread = serve_in_thread(make_wsgi_app(ctx), limits=FrontLimits(max_connections=20, header_seconds=60))
    url = f"http://127.0.0.1:{server.server_port}"
    idle = [socket.create_connection(("127.0.0.1", server.server_port)) for _ in range(40)]
    try:
        for sock in idle:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        for _ in range(5):
            assert requests.get(url + "/healthz", timeout=10).status_code == 200
        assert server.front.stats.evicted >= 20 and server.front.stats.open <= 21
    finally:
        for sock in idle:
            sock.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_oversized_heads_and_bodies_are_refused_before_they_are_read(ctx: AppContext, event: Event) -> None:
    server, thread = serve_in_thread(make_wsgi_app(ctx), limits=SHORT)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 413")
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 431")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def workers(ctx: AppContext, event: Event, fake_slack: FakeSlack, pitch_id: int) -> Iterator[str]:
    secret = ctx.settings.slack_signing_secret
    assert secret is not None
    proc, url = start_serve({
        "SLACK_BOT_TOKEN": "xoxb-slow-clients",
        "SLACK_SIGNING_SECRET": secret.get_secret_value(),
        "CAMPBOT_DATABASE_URL": ctx.settings.database_url,
        "CAMPBOT_SLACK_API_URL": fake_slack.url,
        "CAMPBOT_SLACK_LIMITS": "*=100000/1",  # the fake Slack limits nothing
        "CAMPBOT_HTTP_HEADER_TIMEOUT": str(SHORT.header_seconds),
        "CAMPBOT_HTTP_BODY_TIMEOUT": str(SHORT.body_seconds),
    }, workers=2)
    try:
        yield url
    finally:
        stop_serve(proc)


def test_gunicorn_workers_keep_answering_and_close_slow_sockets(
    workers: str, ctx: AppContext, fake_slack: FakeSlack, pitch_id: int
) -> None:
    slack = _signed(workers, ctx, fake_slack)
    port = int(workers.rsplit(":", 1)[1])
    attack = SlowAttack("127.0.0.1", port, sockets=ATTACK_SOCKETS, seconds=ATTACK_SECONDS, interval=0.5).start()
    seen = _probe_during(attack, {
        "healthz": lambda: requests.get(workers + "/healthz", timeout=10).status_code,
        "click": lambda: slack.click("vote_toggle", str(pitch_id), user_id="U0FAN2").status,
    })
    _assert_survived(attack, seen)


def test_kept_alive_and_pipelined_requests_are_all_answered(ctx: AppContext, event: Event) -> None:
    server, thread = serve_in_thread(make_wsgi_app(ctx), limits=SHORT)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 2
                         + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == 3
        session = requests.Session()  # one connection, kept alive between requests
        assert [session.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=10).text for _ in range(3)] == [
            "ok", "ok", "ok"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

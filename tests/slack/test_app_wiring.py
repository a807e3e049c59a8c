"""The extension points other modules use, request de-duplication, the organiser role, and
the settings checks of `campbot serve`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient

from campbot.config.context import AppContext
from campbot.config.settings import Settings
from campbot.server.http_app import make_wsgi_app
from campbot.services import organising
from campbot.services.errors import ServiceError
from campbot.slack import directory as directory_cache
from campbot.slack.app import LISTENER_MODULES, AppConfigError, build_app, request_key
from campbot.slack.directory import SlackDirectory
from campbot.slack.listeners import camp_router
from campbot.slack.listeners.camp_router import (
    CampReply,
    CampRequest,
    CampSubcommand,
    register_subcommand,
    route,
    split_args,
)
from campbot.slack.requests_seen import first_time
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack().start()
    directory_cache.clear_cache()
    yield f
    f.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


@pytest.fixture
def scratch_subcommands() -> Iterator[None]:
    saved = dict(camp_router._registry)
    yield
    camp_router._registry.clear()
    camp_router._registry.update(saved)


def body(text: str, user: str = "U0ORGANISE1") -> dict[str, Any]:
    return {
        "command": "/camp",
        "text": text,
        "user_id": user,
        "channel_id": "C1",
        "trigger_id": "t.1",
        "team_id": "T0CAMP",
        "response_url": "https://example.invalid/r",
    }


def test_another_module_adds_a_subcommand(
    ctx: AppContext, event: Event, client: WebClient, scratch_subcommands: None
) -> None:
    seen: list[CampRequest] = []

    def pin(ctx: AppContext, req: CampRequest) -> str:
        seen.append(req)
        if req.args == ["fail"]:
            raise ServiceError("No such room; try r1..r7.")
        return f"pinned {req.args}"

    register_subcommand(CampSubcommand(name="Pin", help="pin a session", handler=pin, usage="pin #N room slot"))
    reply = route(ctx, event=event, body=body('pin #3 "Main hall" t2'), client=client)
    assert reply == CampReply("pinned ['#3', 'Main hall', 't2']")
    assert seen[0].is_organiser and seen[0].text == '#3 "Main hall" t2' and seen[0].trigger_id == "t.1"
    assert route(ctx, event=event, body=body("pin fail"), client=client) == CampReply("No such room; try r1..r7.")
    refused = route(ctx, event=event, body=body("pin #3 r1 t1", user="U0ANYONE"), client=client)
    assert refused is not None and "only the camp's organisers" in refused.text
    assert len(seen) == 2  # the refused call never reached the handler
    assert "/camp pin #N room slot" in camp_router.help_text(organiser=True)
    assert "pin" not in camp_router.help_text(organiser=False)


def test_subcommand_names_are_one_word(scratch_subcommands: None) -> None:
    with pytest.raises(ValueError):
        register_subcommand(CampSubcommand(name="two words", help="", handler=lambda c, r: None))


def test_split_args_handles_phone_quotes() -> None:
    assert split_args("“Main hall” t2") == ["Main hall", "t2"]
    assert split_args('unbalanced "quote') == ["unbalanced", '"quote']


def test_every_listener_module_is_registered(ctx: AppContext) -> None:
    """The listener modules are imported, not discovered: each one's register() binds handlers."""
    app = build_app(ctx)
    registered = {listener.ack_function.__module__ for listener in app._listeners}
    handlers = {sub.handler.__module__ for sub in camp_router.all_subcommands()}  # /camp's own table
    assert {module.__name__ for module in LISTENER_MODULES} <= registered | handlers
    assert "campbot.slack.listeners.organiser_setup" in handlers


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"type": "event_callback", "event_id": "Ev1", "event": {}}, "event:Ev1"),
        ({"command": "/camp", "trigger_id": "123.456"}, "command:123.456"),
        ({"type": "block_actions", "trigger_id": "9.9", "actions": [{"action_ts": "1.2"}]}, "block_actions:9.9"),
        ({"type": "block_actions", "actions": [{"action_ts": "1.2", "action_id": "a"}]}, "block_actions:1.2:a"),
        ({"type": "view_submission", "trigger_id": "7.7"}, "view_submission:7.7"),
        ({"type": "block_suggestion", "trigger_id": "7.7"}, None),
        ({"type": "url_verification", "challenge": "x"}, None),
    ],
)
def test_request_keys(payload: dict[str, Any], key: str | None) -> None:
    assert request_key(payload) == key


def test_first_time_is_race_safe(ctx: AppContext) -> None:
    results: list[bool] = []
    gate = threading.Barrier(16)

    def go() -> None:
        gate.wait()
        results.append(first_time(ctx, "command:same-trigger"))

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 15 + [True]
    assert first_time(ctx, "command:other") is True


def test_organiser_role(ctx: AppContext, event: Event, client: WebClient, fake: FakeSlack) -> None:
    directory = SlackDirectory(client)
    assert organising.is_organiser(ctx, event, "U0ORGANISE2", directory)
    assert not organising.is_organiser(ctx, event, "U0ELSE", directory)
    assert not organising.is_organiser(ctx, event, "", directory)
    event.organiser_usergroup = "S0CREW"
    fake.usergroups["S0CREW"] = ["U0CREW"]
    assert not organising.is_organiser(ctx, event, "U0CREW", None)  # no directory: the listed organisers only
    assert organising.is_organiser(ctx, event, "U0CREW", directory)
    fake.usergroups["S0CREW"] = []
    assert organising.is_organiser(ctx, event, "U0CREW", SlackDirectory(client))  # cached for a minute
    assert len(fake.calls_to("usergroups.users.list")) == 1
    directory_cache.clear_cache()
    fake.fail("usergroups.users.list", error="missing_scope")
    assert not organising.is_organiser(ctx, event, "U0CREW", directory)  # fails closed


def test_http_mode_needs_the_signing_secret(ctx: AppContext) -> None:
    unsigned = ctx.settings.model_copy(update={"slack_signing_secret": None, "mode": "http"})
    with pytest.raises(AppConfigError, match="SLACK_SIGNING_SECRET"):
        build_app(AppContext(settings=unsigned, engine=ctx.engine))


@pytest.mark.parametrize(
    ("update", "needle"),
    [
        ({"mode": "socket", "slack_app_token": None}, "SLACK_APP_TOKEN"),
        ({"mode": "http", "slack_signing_secret": None}, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": None}, "SLACK_BOT_TOKEN"),
    ],
)
def test_serve_explains_missing_settings(
    settings: Settings, update: dict[str, Any], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from campbot.server.serve import run

    assert run(settings.model_copy(update=update)) == 2
    assert needle in capsys.readouterr().out


def test_web_routes(ctx: AppContext, event: Event) -> None:
    from campbot.server.serve import serve_in_thread

    server, thread = serve_in_thread(make_wsgi_app(ctx))
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert requests.get(base + "/healthz", timeout=5).text == "ok"
        assert requests.get(base + "/slack/events", timeout=5).status_code == 405
        assert requests.post(base + "/slack/events", data="x", timeout=5).status_code == 401
        pitches = requests.get(base + "/data/pitches.json", timeout=5)  # the public export app, mounted
        assert pitches.status_code == 200 and pitches.headers["Content-Type"].startswith("application/json")
        assert requests.get(base + "/nowhere", timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_create_app_for_gunicorn(settings: Settings, event: Event, monkeypatch: pytest.MonkeyPatch) -> None:
    from campbot.server.http_app import CampbotWeb, create_app

    monkeypatch.setenv("CAMPBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    web = create_app()
    assert isinstance(web, CampbotWeb) and web.fallback is not None
    web.ctx.engine.dispose()


def test_old_replay_keys_are_forgotten(ctx: AppContext) -> None:
    from datetime import timedelta

    from campbot.slack.requests_seen import forget_old

    assert first_time(ctx, "k1")
    later = ctx.now() + timedelta(days=3)
    assert forget_old(AppContext(settings=ctx.settings, engine=ctx.engine, clock=lambda: later)) == 1
    assert first_time(ctx, "k1")


def test_http_server_takes_a_burst_of_connections(ctx: AppContext, event: Event) -> None:
    """Everyone clicks at once: 150 simultaneous connections, none reset (backlog > 5)."""
    import socket

    from campbot.server.serve import serve_in_thread

    server, thread = serve_in_thread(make_wsgi_app(ctx))
    port = server.server_port
    gate = threading.Barrier(150)
    failures: list[str] = []

    def hit() -> None:
        gate.wait()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
                if not data.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")):
                    failures.append(data[:40].decode(errors="replace"))
        except OSError as exc:
            failures.append(repr(exc))

    try:
        threads = [threading.Thread(target=hit) for _ in range(150)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert failures == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""`campbot serve` in Socket Mode as a real process: it asks the Web API (the fake) for a
WebSocket URL with the app token, connects, and handles a slash command envelope sent over
the socket, acking it by envelope id, as Slack's Socket Mode does.

The WebSocket server here is a minimal RFC 6455 one (handshake, text/ping/pong/close
frames): just enough to stand in for wss://wss-primary.slack.com.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from campbot.config.context import AppContext
from campbot.store.tables import Event
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.conn: socket.socket | None = None
        self.paths: list[str] = []
        self._send_lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.listener.getsockname()[1]}/link/?ticket=t1"

    def close(self) -> None:
        self.listener.close()
        if self.conn is not None:
            self.conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        self.paths.append(head.split("\r\n", 1)[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head.split("\r\n")[1:])}
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self.conn = conn
        self.connected.set()
        reader = conn.makefile("rb")
        while True:
            try:
                opcode, payload = self._read_frame(reader)
            except (OSError, ValueError):
                return
            if opcode == 1:
                self.received.put(json.loads(payload))
            elif opcode == 9:
                self._send(conn, 10, payload)  # pong
            elif opcode == 8:
                return

    @staticmethod
    def _read_frame(reader: Any) -> tuple[int, bytes]:
        head = reader.read(2)
        if len(head) < 2:
            raise ValueError("closed")
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", reader.read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", reader.read(8))
        mask = reader.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = reader.read(length)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def _send(self, conn: socket.socket, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self._send_lock:
            conn.sendall(header + payload)

    def send_json(self, obj: dict[str, Any]) -> None:
        assert self.conn is not None
        self._send(self.conn, 1, json.dumps(obj).encode())


def test_socket_mode_process(ctx: AppContext, event: Event, fake_slack: FakeSlack) -> None:
    ws = FakeSocketModeServer()
    fake_slack.on("apps.connections.open", lambda params: {"ok": True, "url": ws.url})
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-socket-token",
        "SLACK_APP_TOKEN": "xapp-1-socket-app-token",
        "CAMPBOT_MODE": "socket",
        "CAMPBOT_DATABASE_URL": ctx.settings.database_url,
        "CAMPBOT_SLACK_API_URL": fake_slack.url,
        "CAMPBOT_SLACK_LIMITS": "*=100000/1",  # the fake Slack limits nothing
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SLACK_SIGNING_SECRET", None)  # Socket Mode does not need it
    proc = subprocess.Popen(
        [sys.executable, "-m", "campbot", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert ws.connected.wait(30), "the bot never connected to the socket"
        opened = fake_slack.wait_for("apps.connections.open")[0]
        assert opened.headers["authorization"] == "Bearer xapp-1-socket-app-token"
        ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake"},
                "connection_info": {"app_id": "A0CAMPBOT"},
            }
        )
        # over the socket, the slash command's fields arrive as a JSON object, not a form body
        fields = SlackSender(
            url="unused", signing_secret="unused", response_url=fake_slack.respond_url()
        ).command_fields("/camp", "help", user_id="U0ANYONE")
        ws.send_json(
            {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True, "payload": fields}
        )
        deadline = time.monotonic() + 15
        acked = None
        while acked is None and time.monotonic() < deadline:
            try:
                msg = ws.received.get(timeout=0.5)
            except queue.Empty:
                continue
            if msg.get("envelope_id") == "env-1":
                acked = msg
        assert acked is not None, "the envelope was never acknowledged"
        reply = fake_slack.wait_for("response_url")[0]
        assert "/camp help" in reply.params["text"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ws.close()
    out = proc.stdout.read() if proc.stdout else ""
    assert "Socket Mode" in out
    assert "xapp-1-socket-app-token" not in out and "xoxb-socket-token" not in out

"""A bounded slow-client ("slowloris") attack on loopback, for tests/security/test_slow_clients.py
and bench/slowclients.py.

Half the sockets trickle a request head (one header byte at a time, never the blank line);
the other half send a complete head promising a 100 KB body and then trickle the body. Every
`interval` seconds each open socket gets one more byte. A socket counts as *closed by the
server* when the server ends it (EOF, possibly after a 408/4xx answer, or a reset). The
attack stops after `seconds` whatever happens, and closes whatever is left itself. With
`reconnect=True` a socket the server closed is replaced at once, so `sockets` stay in play
for the whole `seconds` (a sustained attack; `connected` then counts every socket opened).
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

HEAD_PREFIX = b"POST /slack/events HTTP/1.1\r\nHost: camp\r\nX-Slow: "
BODY_HEAD = (
    b"POST /slack/events HTTP/1.1\r\nHost: camp\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100000\r\n\r\n"
)


@dataclass
class AttackReport:
    sockets: int = 0
    connected: int = 0
    closed_by_server: int = 0
    still_open_at_end: int = 0
    answered_with: dict[str, int] = field(default_factory=dict)  # first status line the server sent, if any
    seconds: float = 0.0
    closed_after: list[float] = field(default_factory=list)  # seconds from connect to the server's close


class SlowAttack:
    """Run with start() / join(); or `with SlowAttack(...) as attack:` then attack.report."""

    def __init__(
        self, host: str, port: int, *, sockets: int = 200, seconds: float = 20.0, interval: float = 1.0,
        reconnect: bool = False,
    ):
        self.host, self.port, self.reconnect = host, port, reconnect
        self.sockets, self.seconds, self.interval = sockets, seconds, interval
        self.report = AttackReport(sockets=sockets)
        self._thread = threading.Thread(target=self._run, name="slow-attack", daemon=True)
        self._stop = threading.Event()

    def start(self) -> SlowAttack:
        self._thread.start()
        return self

    def join(self) -> AttackReport:
        self._thread.join(self.seconds + 30)
        return self.report

    def stop(self) -> None:
        self._stop.set()

    def __enter__(self) -> SlowAttack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.join()

    def _run(self) -> None:
        started = time.monotonic()
        sel = selectors.DefaultSelector()
        opened: dict[socket.socket, float] = {}
        for i in range(self.sockets):
            self._open(i, sel, opened)
        next_byte = time.monotonic() + self.interval
        while opened and not self._stop.is_set() and time.monotonic() - started < self.seconds:
            for key, _ in sel.select(timeout=max(0.0, min(0.2, next_byte - time.monotonic()))):
                self._read(key.fileobj, sel, opened)  # type: ignore[arg-type]
            while self.reconnect and len(opened) < self.sockets and time.monotonic() - started < self.seconds:
                if not self._open(self.report.connected, sel, opened):
                    break
            if time.monotonic() >= next_byte:
                next_byte += self.interval
                for sock in list(opened):
                    try:
                        sock.send(b"a")
                    except BlockingIOError:
                        pass
                    except OSError:
                        self._closed(sock, sel, opened)
        self.report.still_open_at_end = len(opened)
        for sock in list(opened):
            sel.unregister(sock)
            sock.close()
        sel.close()
        self.report.seconds = time.monotonic() - started

    def _open(self, i: int, sel: selectors.BaseSelector, opened: dict[socket.socket, float]) -> bool:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=5)
            sock.sendall(HEAD_PREFIX if i % 2 == 0 else BODY_HEAD)
        except OSError:
            return False
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
        opened[sock] = time.monotonic()
        self.report.connected += 1
        return True

    def _read(self, sock: socket.socket, sel: selectors.BaseSelector, opened: dict[socket.socket, float]) -> None:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            self._closed(sock, sel, opened)
            return
        if data.startswith(b"HTTP/"):
            status = data.split(b"\r\n", 1)[0].decode(errors="replace")
            self.report.answered_with[status] = self.report.answered_with.get(status, 0) + 1
        if not data:
            self._closed(sock, sel, opened)

    def _closed(self, sock: socket.socket, sel: selectors.BaseSelector, opened: dict[socket.socket, float]) -> None:
        if sock in opened:
            self.report.closed_after.append(time.monotonic() - opened.pop(sock))
            self.report.closed_by_server += 1
            sel.unregister(sock)
            sock.close()

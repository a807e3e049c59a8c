"""The HTTP server of `campbot serve --mode http`: a buffering front that slow clients cannot starve.

Why not a thread per connection (wsgiref, gunicorn's sync/gthread workers): a thread that
reads a request blocks on the socket, so a few dozen clients that trickle their headers or
body (one byte every few seconds: "slowloris") hold every thread and the bot stops answering
Slack and `/healthz`. Here one asyncio loop per process reads every connection; a request
reaches the WSGI app (in a bounded thread pool) only once its head and body have *fully*
arrived, so the app threads only ever work, they never wait on a client. A slow client
costs a socket and a small buffer, not a thread, and it is cut off by deadlines:

* the request head must arrive within `header_seconds` of the first byte (of the
  connection, or of a kept-alive connection's next request, which must start within
  `idle_seconds`); the body within `body_seconds` after the head; the response must be
  taken within `write_seconds`. Past a deadline the server closes the socket (408 first when
  a body was late);
* heads over 16 KB get 431, bodies over campbot.slack.request_guard.MAX_BODY_BYTES get 413 before
  they are read;
* at most `max_connections` sockets per process: when full, the connection that has been
  waiting longest for its request is dropped to make room (a slow client, never a request
  being answered); only if every socket is busy being answered is the newcomer refused 503.

HTTP/1.1 parsing is h11's (a strict, well-tested state machine), not ours. The same front
runs in one process (`campbot serve --mode http`, FrontServer) and in each gunicorn worker
process (`--workers N`, FrontWorker: gunicorn keeps the master's job of forking, watching
and replacing workers). A buffering reverse proxy (nginx) in front is still the advice for
the internet at large (TLS, many more sockets, per-IP limits): see README.md.

One module of some 480 lines on purpose: the deadlines, the socket cap, the h11 parsing and the
hand-off to the app's thread pool are one state machine around one asyncio loop (BufferedFront),
and the two ways to run it (FrontServer, FrontWorker) are thin shells around that loop; in parts,
each piece could only be read with the others open beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import socket
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from wsgiref.types import WSGIApplication

import h11
from gunicorn.workers.base import Worker as GunicornWorker

from campbot.slack.request_guard import MAX_BODY_BYTES

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 16 * 1024
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FrontLimits:
    """Deadlines and caps of the front (README "Configuration": CAMPBOT_HTTP_*)."""

    header_seconds: float = 10.0
    body_seconds: float = 10.0
    idle_seconds: float = 75.0
    write_seconds: float = 20.0
    max_connections: int = 500
    app_threads: int = 16
    max_head_bytes: int = MAX_HEAD_BYTES
    max_body_bytes: int = MAX_BODY_BYTES


def limits_from(settings: Any) -> FrontLimits:
    """FrontLimits from campbot.config.settings.Settings."""
    return FrontLimits(
        header_seconds=settings.http_header_timeout,
        body_seconds=settings.http_body_timeout,
        idle_seconds=settings.http_keepalive_timeout,
        max_connections=settings.http_max_connections,
        app_threads=settings.http_threads,
    )


class _Refuse(Exception):
    """Answer this status and close (a request we will not pass to the app)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Late(Exception):
    """A deadline passed while reading."""


@dataclass
class FrontStats:
    """Counters a test or a bench can read (all since start)."""

    accepted: int = 0
    answered: int = 0
    timed_out: int = 0  # sockets closed because a head, body or response was too slow
    evicted: int = 0  # sockets dropped to make room for a newcomer
    refused: int = 0  # newcomers refused (503) because every socket was being answered
    open: int = 0


@dataclass
class BufferedFront:
    """The per-process front: `handle` is asyncio.start_server's connection callback."""

    app: WSGIApplication
    limits: FrontLimits = field(default_factory=FrontLimits)
    multiprocess: bool = False
    stats: FrontStats = field(default_factory=FrontStats)

    def __post_init__(self) -> None:
        self.pool = ThreadPoolExecutor(self.limits.app_threads, thread_name_prefix="campbot-http")
        # every open connection, True while it waits for (reads) a request; the longest waiting first
        self._conns: OrderedDict[asyncio.StreamWriter, bool] = OrderedDict()

    # ------------------------------------------------------------------ connections

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.accepted += 1
        if self.stats.open >= self.limits.max_connections and not self._make_room():
            self.stats.refused += 1
            await _close(writer, _simple(503, "busy, try again"))
            return
        self.stats.open += 1
        self._conns[writer] = True
        peer = writer.get_extra_info("peername") or ("", 0)
        local = writer.get_extra_info("sockname") or ("", 0)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_head_bytes)
        last_words: bytes | None = None
        try:
            first = True
            while True:
                self._conns[writer] = True
                self._conns.move_to_end(writer)
                request = await self._read_head(conn, reader, writer, first=first)
                if request is None:
                    break
                body = await self._read_body(conn, reader, request)
                self._conns[writer] = False  # being answered: never evicted
                loop = asyncio.get_running_loop()
                environ = _environ(request, body, peer, local, multiprocess=self.multiprocess)
                status, headers, payload = await loop.run_in_executor(self.pool, _call_app, self.app, environ)
                keep = await self._respond(conn, writer, request, status, headers, payload)
                self.stats.answered += 1
                if not keep:
                    break
                conn.start_next_cycle()
                first = False
        except _Refuse as refuse:
            last_words = _simple(refuse.status, refuse.reason)
        except _Late:
            self.stats.timed_out += 1
            last_words = _simple(408, "request too slow") if conn.their_state is h11.SEND_BODY else None
        except h11.RemoteProtocolError as exc:
            last_words = _simple(exc.error_status_hint, "bad request")
        except (ConnectionError, OSError, h11.LocalProtocolError) as exc:  # includes an evicted socket
            log.debug("connection from %s ended: %s", peer[0], type(exc).__name__)
        finally:
            self._conns.pop(writer, None)
            self.stats.open -= 1
            await _close(writer, last_words if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE) else None)

    def _make_room(self) -> bool:
        """Drop the connection that has waited longest for its request; False if none waits.
        Its socket is aborted, so its handler sees the connection lost and ends by itself."""
        victim = next((w for w, waiting in self._conns.items() if waiting), None)
        if victim is None:
            return False
        del self._conns[victim]
        victim.transport.abort()
        self.stats.evicted += 1
        return True

    def abort_all(self) -> None:
        """Drop every connection (the server is stopping)."""
        for writer in list(self._conns):
            writer.transport.abort()

    async def _read_head(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, first: bool
    ) -> h11.Request | None:
        loop = asyncio.get_running_loop()
        event = conn.next_event()  # a pipelined request may already be here
        if event is h11.NEED_DATA and not first:
            # a kept-alive connection: the next request must start soon, or we close it
            try:
                async with asyncio.timeout(self.limits.idle_seconds):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                return None
            conn.receive_data(data)
            event = conn.next_event()
        if event is h11.NEED_DATA:
            event = await _next_event(conn, reader, loop.time() + self.limits.header_seconds)
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            raise _Refuse(400, "bad request")
        head_size = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
        if head_size > self.limits.max_head_bytes:  # h11 caps only a head still arriving; this one came whole
            raise _Refuse(431, "request head too large")
        length = _content_length(event)
        if length is not None and length > self.limits.max_body_bytes:
            raise _Refuse(413, "request too large")
        if conn.they_are_waiting_for_100_continue:
            writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b"")
        return event

    async def _read_body(self, conn: h11.Connection, reader: asyncio.StreamReader, request: h11.Request) -> bytes:
        deadline = asyncio.get_running_loop().time() + self.limits.body_seconds
        body = bytearray()
        while True:
            event = await _next_event(conn, reader, deadline)
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.limits.max_body_bytes:
                    raise _Refuse(413, "request too large")
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            else:  # the client went away mid-body
                raise ConnectionResetError("body incomplete")

    async def _respond(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        status: str,
        headers: list[tuple[str, str]],
        payload: bytes,
    ) -> bool:
        code, _, reason = status.partition(" ")
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() != "transfer-encoding"]
        if not any(k.lower() == b"content-length" for k, _ in out):
            out.append((b"Content-Length", str(len(payload)).encode()))
        data = conn.send(h11.Response(status_code=int(code), headers=out, reason=reason.encode("latin-1"))) or b""
        if request.method != b"HEAD" and payload:
            data += conn.send(h11.Data(data=payload)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        writer.write(data)
        try:
            async with asyncio.timeout(self.limits.write_seconds):
                await writer.drain()
        except TimeoutError:
            raise _Late() from None
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader, deadline: float) -> Any:
    """The next h11 event, reading as needed; _Late once `deadline` (loop time) has passed."""
    loop = asyncio.get_running_loop()
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise _Late()
        try:
            async with asyncio.timeout(remaining):  # (asyncio.wait_for can swallow a cancellation)
                data = await reader.read(READ_CHUNK)
        except TimeoutError:
            raise _Late() from None
        conn.receive_data(data)  # b"" is end of stream: h11 then says ConnectionClosed or raises


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 has checked it is digits
    return None


_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _simple(status: int, text: str) -> bytes:
    reason = _REASONS.get(status, "Error")
    body = text.encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def _close(writer: asyncio.StreamWriter, last_words: bytes | None) -> None:
    try:
        if last_words and not writer.is_closing():
            writer.write(last_words)
            async with asyncio.timeout(2.0):
                await writer.drain()
    except (TimeoutError, ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            async with asyncio.timeout(2.0):
                await writer.wait_closed()


# ---------------------------------------------------------------------- WSGI


def _environ(
    request: h11.Request, body: bytes, peer: tuple[Any, ...], local: tuple[Any, ...], *, multiprocess: bool
) -> dict[str, Any]:
    """PEP 3333 environ for a fully read request (wsgi.input is the buffered body)."""
    target = request.target.decode("latin-1")
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, encoding="latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": str(local[0]),
        "SERVER_PORT": str(local[1]),
        "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
        "REMOTE_ADDR": str(peer[0]),
        "REMOTE_PORT": str(peer[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in request.headers:
        name = raw_name.decode("latin-1")
        if "_" in name:  # X_Slack_Signature would collide with X-Slack-Signature in the environ
            continue
        value = raw_value.decode("latin-1")
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "content-length":
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _call_app(app: WSGIApplication, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run the app to completion in a pool thread; the whole response is buffered."""
    started: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return written.append

    try:
        result: Iterable[bytes] = app(environ, start_response)  # type: ignore[arg-type]
        try:
            chunks = [bytes(c) for c in result]
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
    except Exception:
        log.exception("the app failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
        return "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], b"error"
    if "status" not in started:
        return "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], b"error"
    return started["status"], list(started["headers"]), b"".join(written + chunks)


# ---------------------------------------------------------------------- one process


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A bound, listening TCP socket (port 0: a free one)."""
    sock = socket.create_server((host, port), backlog=backlog, reuse_port=False)
    sock.setblocking(False)
    return sock


class FrontServer:
    """The front in a background thread with its own loop: `campbot serve --mode http` and tests.
    `server_port`, `shutdown()` and `server_close()` mirror socketserver's, for callers of both."""

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, limits: FrontLimits | None = None):
        self.front = BufferedFront(app, limits or FrontLimits())
        self.sock = listening_socket(host, port)
        self.server_port: int = self.sock.getsockname()[1]
        self.server_address = self.sock.getsockname()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._done = threading.Event()

    def serve_forever(self) -> None:
        """Serve until shutdown() (from another thread) or KeyboardInterrupt."""
        try:
            asyncio.run(self._main())
        finally:
            self._done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self.front.handle, sock=self.sock)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            self.front.abort_all()  # each handler then ends by itself
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=5)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the loop accepts connections (after serve_forever started in a thread)."""
        self._ready.wait(timeout)

    def shutdown(self) -> None:
        if self._loop is not None and self._stop is not None and not self._done.is_set():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._done.wait(10)

    def server_close(self) -> None:
        self.front.close()
        with contextlib.suppress(OSError):
            self.sock.close()


# ---------------------------------------------------------------------- gunicorn worker

class FrontWorker(GunicornWorker):  # type: ignore[misc]
    """gunicorn worker class running the buffering front on the master's listening sockets.
    Selected by campbot.server.workers (`worker_class`); limits come from the app's Settings."""

    def run(self) -> None:
        settings = getattr(self.app, "settings", None)
        limits = limits_from(settings) if settings is not None else FrontLimits()
        self.front = BufferedFront(self.wsgi, limits, multiprocess=True)
        asyncio.run(self._main())

    async def _main(self) -> None:
        servers = [await asyncio.start_server(self.front.handle, sock=listener.sock) for listener in self.sockets]
        try:
            while self.alive:
                self.notify()  # the master's heartbeat: a worker that stops notifying is replaced
                if self.ppid != os.getppid():
                    self.log.info("parent changed, shutting down: %s", self)
                    break
                await asyncio.sleep(1.0)
        finally:
            for server in servers:
                server.close()
            deadline = asyncio.get_running_loop().time() + self.cfg.graceful_timeout
            while self.front.stats.open and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)  # requests being answered finish; slow readers hit their deadlines
            self.front.abort_all()
            self.front.close()

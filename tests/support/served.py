"""`campbot serve --mode http` as a real subprocess, for tests and benches: start it on a free
loopback port, wait for /healthz, stop it (SIGINT to its process group, SIGKILL if it hangs)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(env: dict[str, str], *, workers: int = 1, timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server with `env` (added to os.environ); returns it and its base URL once
    /healthz answers 200. AssertionError if it exits or does not answer within `timeout`."""
    port = free_port()
    cmd = [sys.executable, "-m", "campbot", "serve", "--mode", "http", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"campbot serve exited with {proc.returncode}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop_serve(proc)
            raise AssertionError(f"no /healthz within {timeout:g} s")
        time.sleep(0.1)


def stop_serve(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

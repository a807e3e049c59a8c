#!/usr/bin/env python3
"""Slow-client (slowloris) attack on `campbot serve --mode http`, on loopback (not a test).

    .venv/bin/python bench/slowclients.py [--sockets 200] [--seconds 20] [--interval 1]
                                          [--modes single,workers2]

For each mode (`single`: one process; `workersN`: `--workers N` under gunicorn), a fresh
SQLite database with the example camp and one pitch, a local fake Slack, and the real
server as a subprocess with the default limits (10 s for a request head, 10 s for a body).
Then, while probing `/healthz` and a signed "I'm interested" click back to back:

1. baseline: `--seconds` with no attack;
2. attack: `--sockets` sockets at a time (half trickle a request head, half a 100 KB body,
   one byte per socket every `--interval` s) for `--seconds`; a socket the server closes is
   replaced at once, so the pressure never drops.

It prints, per mode and phase, the probes sent, how many were answered 200, and p50/p99/max
latency; and for the attack how many sockets the server closed and after how long. Exit 1
if a probe went unanswered or the server let a slow socket live as long as the attack.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from campbot.config.context import AppContext  # noqa: E402
from campbot.config.settings import load_settings  # noqa: E402
from campbot.services import organising  # noqa: E402
from campbot.services.event_file import read_event_file  # noqa: E402
from campbot.services.events import load_event  # noqa: E402
from campbot.services.pitch_input import PitchInput  # noqa: E402
from campbot.services.pitching import create_pitch  # noqa: E402
from campbot.store.db import make_engine  # noqa: E402
from campbot.store.migrate import upgrade  # noqa: E402
from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.served import start_serve, stop_serve  # noqa: E402
from tests.support.slack_requests import SlackSender  # noqa: E402
from tests.support.slow_clients import SlowAttack  # noqa: E402

SECRET = "bench-slow-clients-secret"


def _prepare(url: str) -> int:
    engine = make_engine(url)
    upgrade(engine)
    ctx = AppContext(settings=load_settings(database_url=url), engine=engine)
    event = load_event(ctx, read_event_file(ROOT / "examples" / "localgovcamp.yaml"))
    assert event.id is not None
    organising.set_voting(ctx, event.id, open_=True, actor="bench")
    pid = create_pitch(ctx, event.id, "U0HOST1", PitchInput(title="Slow clients")).id
    engine.dispose()
    return pid


def _probe(probes: dict[str, Callable[[], int]], running: Callable[[], bool]) -> dict[str, list[tuple[int, float]]]:
    seen: dict[str, list[tuple[int, float]]] = {name: [] for name in probes}
    while running():
        for name, probe in probes.items():
            start = time.perf_counter()
            try:
                status = probe()
            except requests.RequestException:
                status = -1
            seen[name].append((status, time.perf_counter() - start))
        time.sleep(0.05)
    return seen


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _print_probes(label: str, seen: dict[str, list[tuple[int, float]]]) -> bool:
    ok = True
    for name, results in seen.items():
        times = [t * 1000 for _, t in results]
        answered = sum(1 for status, _ in results if status == 200)
        ok = ok and answered == len(results) and bool(results)
        print(f"  {label:<9} {name:<8} {len(results):>5} sent {answered:>5} answered 200   "
              f"p50 {statistics.median(times):7.1f} ms  p99 {_pct(times, 0.99):7.1f} ms  max {max(times):7.1f} ms")
    return ok


def run_mode(workers: int, args: argparse.Namespace) -> bool:
    folder = tempfile.mkdtemp(prefix="campbot-slow-")
    url = f"sqlite:///{folder}/bench.db"
    pid = _prepare(url)
    fake = FakeSlack().start()
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "CAMPBOT_DATABASE_URL": url,
           "CAMPBOT_SLACK_API_URL": fake.url, "CAMPBOT_LOG_LEVEL": "WARNING",
           "CAMPBOT_SLACK_LIMITS": "*=100000/1"}  # the fake Slack limits nothing
    proc, base = start_serve(env, workers=workers)
    port = int(base.rsplit(":", 1)[1])
    slack = SlackSender(url=base + "/slack/events", signing_secret=SECRET, response_url=fake.respond_url())
    session = requests.Session()
    probes: dict[str, Callable[[], int]] = {
        "/healthz": lambda: session.get(base + "/healthz", timeout=10).status_code,
        "click": lambda: slack.click("vote_toggle", str(pid), user_id="U0FAN1").status,
    }
    mode = "one process" if workers == 1 else f"--workers {workers}"
    print(f"\n{mode}: {args.sockets} slow sockets for up to {args.seconds:g} s, one byte each per {args.interval:g} s")
    try:
        end = time.monotonic() + min(args.seconds, 10)
        ok = _print_probes("baseline", _probe(probes, lambda: time.monotonic() < end))
        attack = SlowAttack("127.0.0.1", port, sockets=args.sockets, seconds=args.seconds, interval=args.interval,
                            reconnect=True)
        attack.start()
        seen = _probe(probes, lambda: attack._thread.is_alive())
        report = attack.join()
        ok = _print_probes("attack", seen) and ok
        closed = report.closed_after or [float("nan")]
        print(f"  attack: {report.seconds:.1f} s, {report.connected} sockets opened ({args.sockets} at a time), "
              f"{report.closed_by_server} closed by the server (after median {statistics.median(closed):.1f} s, "
              f"max {max(closed):.1f} s), {report.still_open_at_end} left open when the attack stopped; "
              f"answers: {report.answered_with or 'none'}")
        return ok and report.closed_by_server >= args.sockets and max(closed) < args.seconds
    finally:
        stop_serve(proc)
        fake.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--modes", default="single,workers2", help="single and/or workersN, comma-separated")
    args = parser.parse_args()
    ok = True
    for mode in args.modes.split(","):
        workers = 1 if mode == "single" else int(mode.removeprefix("workers"))
        ok = run_mode(workers, args) and ok
    print("\nall probes answered and every slow socket closed by the server" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())

"""How fast the bot acks a crowd of clicks: `.venv/bin/python -m tests.e2e.bench_clicks [users] [clicks]`.

The real app in HTTP mode (threaded WSGI server, SQLite file database, 20 pitch cards) and a
FakeSlack in this process; the crowd in a separate process (so its CPU use does not count
against the server's GIL), each user clicking "I'm interested" on random cards as fast as
the acks come back. Prints ack latency percentiles, and when every vote was processed and
answered. Not a test: a measurement for the report (pytest does not collect this file).
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def crowd(url: str, response_url: str, users: int, clicks: int, pitch_ids: list[int]) -> None:
    """Run in the child process: `users` threads, `clicks` sequential clicks each."""
    from tests.support.slack_requests import SlackSender

    slack = SlackSender(url=url, signing_secret="bench-secret", response_url=response_url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user(n: int) -> None:
        rng = random.Random(n)
        for _ in range(clicks):
            started = time.monotonic()
            try:
                status = slack.click("vote_toggle", str(rng.choice(pitch_ids)), user_id=f"U0BENCH{n:04d}").status
                problem = None if status == 200 else f"HTTP {status}"
            except Exception as exc:  # connection reset, timeout
                problem = type(exc).__name__
            with lock:
                latencies.append(time.monotonic() - started)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    print(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "p50": statistics.median(latencies),
                "p95": latencies[int(0.95 * len(latencies))],
                "max": latencies[-1],
                "errors": errors,
            }
        )
    )


def main(users: int = 50, clicks: int = 10) -> None:
    from campbot.config.context import AppContext
    from campbot.config.settings import load_settings
    from campbot.server.http_app import make_wsgi_app
    from campbot.server.serve import serve_in_thread
    from campbot.services.event_file import read_event_file
    from campbot.services.events import load_event
    from campbot.services.organising import set_voting
    from campbot.services.pitch_input import PitchInput
    from campbot.services.pitching import create_pitch, set_card_message
    from campbot.slack.app import build_app, listener_executor
    from campbot.store.db import make_engine
    from campbot.store.migrate import upgrade
    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack().start()
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = load_settings(
        database_url=url,
        slack_signing_secret="bench-secret",
        slack_bot_token="xoxb-bench",
        slack_api_url=fake.url,
        slack_limits="*=100000/1",  # the fake Slack here limits nothing
        mode="http",
    )
    engine = make_engine(url)
    upgrade(engine)
    ctx = AppContext(settings=settings, engine=engine, clock=lambda: datetime(2026, 6, 20, 7, tzinfo=UTC))
    event = load_event(ctx, read_event_file(ROOT / "examples" / "localgovcamp.yaml"))
    assert event.id is not None
    set_voting(ctx, event.id, open_=True, actor="bench")
    pitch_ids = []
    for i in range(20):
        card = create_pitch(ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Session {i}"))
        set_card_message(ctx, card.id, "C0PITCHES", f"1700000000.{i:06d}")
        pitch_ids.append(card.id)
    app = build_app(ctx)
    server, _ = serve_in_thread(make_wsgi_app(ctx, app))
    started = time.monotonic()
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json; from tests.e2e.bench_clicks import crowd; "
            "crowd(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))",
            f"http://127.0.0.1:{server.server_port}/slack/events",
            fake.respond_url(),
            str(users),
            str(clicks),
            json.dumps(pitch_ids),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    total = users * clicks
    try:
        fake.wait_for("response_url", total - len(result["errors"]), timeout=120)
    finally:
        done = time.monotonic() - started
        server.shutdown()
        listener_executor(app).shutdown(wait=True)
        fake.stop()
    print(
        f"{total} clicks from {users} concurrent users: acked in {result['seconds']:.1f} s; ack latency "
        f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms; "
        f"failed {len(result['errors'])}; every vote processed and answered after {done:.1f} s; "
        f"chat.update calls {len(fake.calls_to('chat.update'))} (coalesced from {total})"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

#!/usr/bin/env python3
"""Load benchmark (not a test): the real HTTP app under a camp's morning rush, on loopback.

    .venv/bin/python bench/load.py [--voters 300] [--web-voters 0] [--seconds 60] [--toggles 4]
                                   [--pitches 50] [--clients 4] [--threads 16] [--workers 1]
                                   [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/campbot_load]

What it does, all on 127.0.0.1:

1. a fresh database (a new SQLite file by default; a PostgreSQL database whose name contains
   "load" or "bench" has its schema wiped first), the example event and its 38 pitches loaded,
   voting opened (the event file's window cleared, so "now" is inside it);
2. a local Slack Web API (campbot.slack.local_slack, with response URLs) in this process;
3. `campbot serve --mode http` as a subprocess (`--workers N` runs it under gunicorn) with a
   signing secret and an xoxb-like token, pointed at that fake Slack;
4. `--clients` client processes (multiprocessing), each with `--threads` threads, send signed
   requests shaped like Slack's: `--voters` voters each click "I'm interested" `--toggles`
   times on up to 3 pitches at random moments within `--seconds`, `--pitches` people submit
   the pitch modal (view_submission), and an organiser runs `/camp solve` at the start;
   `--web-voters` attendees (imported from a ticket list) do the same on the web face instead:
   each opens their personal link (/me/<token>), reads the pitch list for its form token, then
   presses "I'm interested" (POST /pitches/<id>/vote) at their moments;
5. it prints the ack latency (time to the HTTP answer, which is what Slack's 3-second deadline
   measures) p50/p95/p99/max, throughput, non-2xx answers, and checks the database: the final
   vote of every (voter, pitch) must be what that voter's own click sequence implies (an odd
   number of clicks = voted), with no row doubled; every submitted pitch saved exactly once.

Exit code 0 when the vote check passes with no errors and p99 < 500 ms; 1 otherwise.
Bounded: the load stops after --seconds; waiting for the server to catch up is capped at 120 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.support.slack_requests import FORM, SlackSender, sign, view_state  # noqa: E402

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "-".join(["xoxb", "1000000001", "2000000000002", "benchbenchbenchbenchbench"])  # fake, token-shaped
ORGANISER = "U0ORGANISE1"
WEB_SECRET = "bench-web-secret-0123456789abcdef"
MAX_PICKS = 3  # distinct pitches per voter (the quota is 10, so no click is refused for quota)


# ------------------------------------------------------------------------------- setup
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(url: str | None, workdir: Path) -> str:
    from sqlalchemy import text

    from campbot.store.db import make_engine

    if not url:
        return f"sqlite:///{workdir / 'campbot-load.db'}"
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return url
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if not any(word in name for word in ("load", "bench", "storm")):
        sys.exit(f"refusing to wipe database '{name}': use one whose name contains 'load', 'bench' or 'storm'")
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@dataclass
class Camp:
    event_id: int
    pitch_ids: list[int]
    view: dict[str, Any]  # the pitch modal as the bot opens it
    web_tokens: dict[str, str]  # web voter (their ticket reference) -> personal link token


def load_camp(database_url: str, web_voters: int = 0) -> Camp:
    from pydantic import SecretStr
    from sqlmodel import select

    from campbot.config.context import build_context
    from campbot.config.settings import load_settings
    from campbot.services.attendee_links import personal_token, signing_key
    from campbot.services.attendee_list import import_attendees
    from campbot.services.attendees import list_attendees
    from campbot.services.event_file import read_event_file
    from campbot.services.events import load_event
    from campbot.services.importing import import_pitches, read_pitch_file
    from campbot.services.organising import set_voting
    from campbot.services.pitching import event_slots
    from campbot.slack.blocks.pitch_modal import pitch_modal
    from campbot.store.db import session_scope
    from campbot.store.tables import Event, Pitch

    ctx = build_context(load_settings(database_url=database_url))
    event = load_event(ctx, read_event_file(ROOT / "examples" / "localgovcamp.yaml"))
    assert event.id is not None
    import_pitches(ctx, event.id, read_pitch_file(ROOT / "examples" / "localgovcamp-pitches.yaml"), with_votes=False)
    with session_scope(ctx.engine) as db:  # the example camp is on a fixed day: vote "now"
        row = db.get(Event, event.id)
        assert row is not None
        row.voting_opens_at = row.voting_closes_at = None
        db.add(row)
    set_voting(ctx, event.id, open_=True, actor="bench")
    with session_scope(ctx.engine) as db:
        pitch_ids = [int(p) for p in db.exec(select(Pitch.id).where(Pitch.event_id == event.id)) if p is not None]
    view = pitch_modal(event_slots(ctx, event.id), user_id="U0BENCH")
    tokens: dict[str, str] = {}
    if web_voters:  # a ticketing export's shape: the web voters' personal links, signed as the server signs them
        rows = "\n".join(f"Web Voter {n},web{n:05d}@example.org,{web_voter(n)}" for n in range(web_voters))
        import_attendees(ctx.engine, event.id, "Name,Email,Ticket Reference\n" + rows)
        key = signing_key(ctx.engine, SecretStr(WEB_SECRET))
        tokens = {a.ticket_ref or "": personal_token(ctx.engine, key, a.id)
                  for a in list_attendees(ctx.engine, event.id)}
    ctx.engine.dispose()
    return Camp(event.id, sorted(pitch_ids), view, tokens)


def web_voter(n: int) -> str:
    return f"web{n:05d}"


def start_server(args: argparse.Namespace, database_url: str, slack_api_url: str, port: int, *,
                 slack_limits: str = "*=100000/1") -> subprocess.Popen[bytes]:
    """`campbot serve --mode http` (under gunicorn with --workers > 1). `slack_limits` is what the
    bot paces under: this bench's fake Slack limits nothing; bench/storm.py passes "" (Slack's)."""
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "CAMPBOT_SLACK_API_URL": slack_api_url,
        "CAMPBOT_SLACK_LIMITS": slack_limits,
        "CAMPBOT_DATABASE_URL": database_url,
        "CAMPBOT_LOG_LEVEL": "WARNING",
        "CAMPBOT_SOLVE_SECONDS": str(args.solve_seconds),
        "CAMPBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CAMPBOT_WEB_SECRET": WEB_SECRET,
    }
    cmd = [sys.executable, "-m", "campbot", "serve", "--mode", "http", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers > 1:
        cmd += ["--workers", str(args.workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            sys.exit(f"the server exited ({proc.returncode}):\n{out}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                threading.Thread(target=_drain, args=(proc,), daemon=True).start()
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit("the server did not answer /healthz within 60 s")


def _drain(proc: subprocess.Popen[bytes]) -> None:
    """Keep the server's output flowing (a full pipe would block it); show its warnings."""
    assert proc.stdout is not None
    in_traceback = False
    for line in proc.stdout:
        text = line.decode(errors="replace").rstrip()
        in_traceback = "Traceback" in text or (in_traceback and text[:1] in (" ", ""))
        if " ERROR " in text or in_traceback or text.endswith(("Error", "Exception")) or "Error:" in text:
            print(f"  [server] {text}", file=sys.stderr)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ------------------------------------------------------------------------------- load
@dataclass(frozen=True)
class Click:
    at: float  # seconds after the start
    voter: str
    pitch_id: int


@dataclass(frozen=True)
class Submission:
    at: float
    user: str
    title: str


def plan(args: argparse.Namespace, camp: Camp) -> tuple[list[Click], list[Submission]]:
    rng = random.Random(args.seed)
    clicks: list[Click] = []
    for n in range(args.voters):
        voter = f"U0V{n:05d}"
        picks = rng.sample(camp.pitch_ids, k=min(MAX_PICKS, len(camp.pitch_ids)))
        times = sorted(rng.uniform(0, args.seconds) for _ in range(args.toggles))
        clicks += [Click(t, voter, rng.choice(picks)) for t in times]
    for n in range(args.web_voters):
        picks = rng.sample(camp.pitch_ids, k=min(MAX_PICKS, len(camp.pitch_ids)))
        times = sorted(rng.uniform(0, args.seconds) for _ in range(args.toggles))
        clicks += [Click(t, web_voter(n), rng.choice(picks)) for t in times]
    subs = [Submission(rng.uniform(0, args.seconds), f"U0P{n:05d}", f"Load pitch {n:03d}") for n in range(args.pitches)]
    return clicks, subs


def expected_votes(clicks: list[Click]) -> set[tuple[str, int]]:
    """A vote stands where the voter clicked an odd number of times (each click toggles)."""
    counts = Counter((c.voter, c.pitch_id) for c in clicks)
    return {key for key, n in counts.items() if n % 2 == 1}


class WebVoter:
    """One attendee's browser on the web face: their session cookie and form token.

    The session cookie is Secure (the real site is HTTPS); this bench speaks plain HTTP on
    loopback, so the cookie is kept and sent back by hand rather than by a cookie jar."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.cookie = ""
        self.csrf = ""

    def _keep(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            if header.startswith("campbot_session="):
                self.cookie = header.split(";", 1)[0]

    def sign_in(self, token: str) -> int:
        """Open the personal link, then the pitch list (which carries the form token). The status is
        the link's answer (a redirect to /me), or the list's when that fails."""
        answer = self.http.get(f"{self.base}/me/{token}", allow_redirects=False, timeout=30)
        self._keep(answer)
        page = self.http.get(f"{self.base}/pitches", headers={"Cookie": self.cookie}, timeout=30)
        self._keep(page)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.csrf = found.group(1) if found else ""
        return answer.status_code if page.status_code == 200 and self.csrf else page.status_code

    def vote(self, pitch_id: int, want: bool) -> int:
        """Press "I'm interested" (or take it back): a form POST answered by a redirect to the list."""
        answer = self.http.post(f"{self.base}/pitches/{pitch_id}/vote", allow_redirects=False, timeout=30,
                                data={"want": "1" if want else "0", "csrf_token": self.csrf},
                                headers={"Cookie": self.cookie})
        self._keep(answer)
        return answer.status_code


def client_main(url: str, response_url: str, view: dict[str, Any], lanes: list[list[tuple[float, str, dict[str, Any]]]],
                start_at: float, out: Any) -> None:
    """One client process: one thread per lane; each lane sends its requests in order, each at
    its moment (a person clicks one thing after another). Results go back through `out`."""
    results: list[tuple[str, float, float, int]] = []  # (kind, sent_at, latency_s, status)
    lock = threading.Lock()
    sender = SlackSender(url=url, signing_secret=SIGNING_SECRET, response_url=response_url)

    base = url.rsplit("/slack/events", 1)[0]

    def run_lane(lane: list[tuple[float, str, dict[str, Any]]]) -> None:
        session = requests.Session()
        mine: list[tuple[str, float, float, int]] = []
        browsers: dict[str, WebVoter] = {}
        for at, kind, req in lane:
            delay = start_at + at - time.time()
            if delay > 0:
                time.sleep(delay)
            if kind in ("signin", "webvote"):
                browser = browsers.setdefault(req["voter"], WebVoter(base))
                t0 = time.perf_counter()
                try:
                    if kind == "signin":
                        status = browser.sign_in(req["token"])
                    else:
                        status = browser.vote(req["pitch"], req["want"])
                except requests.RequestException as exc:
                    print(f"  [client] {kind} request failed after {time.perf_counter() - t0:.1f} s: "
                          f"{type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr, flush=True)
                    status = 0
                mine.append((kind, time.time() - start_at, time.perf_counter() - t0, status))
                continue
            if kind == "vote":
                payload = sender.block_actions_payload(
                    [{"type": "button", "action_id": "vote_toggle", "block_id": f"pitch:{req['pitch']}",
                      "value": str(req["pitch"]), "text": {"type": "plain_text", "text": "I'm interested"}}],
                    user_id=req["user"], channel_id="C0PITCHES")
            elif kind == "pitch":
                values = view_state(view, {"title": req["title"], "format": "discussion", "length": "1"})
                payload = sender.view_submission_payload(view, values, user_id=req["user"])
                payload["view"]["id"] = f"V{uuid.uuid4().hex[:12]}"  # one form each: the view id keys a pitch
            else:
                payload = {}
            # Slack's trigger ids are unique per action; the helper's are unique per process only.
            payload["trigger_id"] = f"{os.getpid()}.{uuid.uuid4().hex}"
            if kind == "solve":
                body = urlencode(sender.command_fields("/camp", "solve", user_id=ORGANISER,
                                                       trigger_id=payload["trigger_id"]))
            else:
                body = urlencode({"payload": json.dumps(payload)})
            ts = str(int(time.time()))
            headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": sign(SIGNING_SECRET, ts, body)}
            t0 = time.perf_counter()
            try:
                status = session.post(url, data=body, headers=headers, timeout=30).status_code
            except requests.RequestException as exc:  # no HTTP answer at all: say what happened
                print(f"  [client] {kind} request failed after {time.perf_counter() - t0:.1f} s: "
                      f"{type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr, flush=True)
                status = 0
            mine.append((kind, time.time() - start_at, time.perf_counter() - t0, status))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run_lane, args=(lane,)) for lane in lanes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(results)


def drive(args: argparse.Namespace, url: str, response_url: str, camp: Camp, clicks: list[Click],
          subs: list[Submission]) -> list[tuple[str, float, float, int]]:
    # A voter's clicks stay in one lane (in order); lanes are dealt round-robin to threads.
    by_voter: dict[str, list[tuple[float, str, dict[str, Any]]]] = {}
    voted: set[tuple[str, int]] = set()
    for c in clicks:
        if c.voter in camp.web_tokens:  # an attendee on the web: signs in just before their first click
            lane = by_voter.setdefault(c.voter, [(max(0.0, c.at - 1.0), "signin",
                                                  {"voter": c.voter, "token": camp.web_tokens[c.voter]})])
            voted ^= {(c.voter, c.pitch_id)}  # each press flips it, as the Slack button does
            lane.append((c.at, "webvote", {"voter": c.voter, "pitch": c.pitch_id,
                                           "want": (c.voter, c.pitch_id) in voted}))
        else:
            by_voter.setdefault(c.voter, []).append((c.at, "vote", {"user": c.voter, "pitch": c.pitch_id}))
    units = list(by_voter.values()) + [[(s.at, "pitch", {"user": s.user, "title": s.title})] for s in subs]
    units.append([(0.5, "solve", {})])
    n_lanes = args.clients * args.threads
    lanes: list[list[tuple[float, str, dict[str, Any]]]] = [[] for _ in range(n_lanes)]
    for i, unit in enumerate(units):
        lanes[i % n_lanes].extend(unit)
    for lane in lanes:
        lane.sort(key=lambda r: r[0])  # a voter's own clicks keep their order (times are sorted)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3.0  # let every process start first
    procs = [ctx.Process(target=client_main, args=(url, response_url, camp.view, lanes[i::args.clients],
                                                   start_at, queue)) for i in range(args.clients)]
    for p in procs:
        p.start()
    results: list[tuple[str, float, float, int]] = []
    for _ in procs:
        results.extend(queue.get(timeout=args.seconds + 180))
    for p in procs:
        p.join(timeout=10)
    return results


# ------------------------------------------------------------------------------- checks
def vote_table(database_url: str, event_id: int) -> tuple[Counter[tuple[str, int]], int]:
    from sqlmodel import func, select

    from campbot.store.db import make_engine, session_scope
    from campbot.store.tables import Attendee, Person, Pitch, Vote

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as db:
            rows = db.exec(  # a voter is their Slack user id, or (on the web) their ticket reference
                select(func.coalesce(Person.slack_user_id, Attendee.ticket_ref), Vote.pitch_id)
                .join(Vote, Vote.person_id == Person.id)  # type: ignore[arg-type]
                .outerjoin(Attendee, Attendee.person_id == Person.id)  # type: ignore[arg-type]
                .where(Vote.event_id == event_id)
            ).all()
            titles = db.exec(select(func.count()).select_from(Pitch).where(Pitch.title.like("Load pitch %"))).one()  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    return Counter((str(u), int(p)) for u, p in rows), int(titles)


def solve_state(database_url: str, event_id: int) -> str:
    from sqlmodel import select

    from campbot.store.db import make_engine, session_scope
    from campbot.store.tables import SolveRun

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as db:
            runs = db.exec(select(SolveRun).where(SolveRun.event_id == event_id)).all()
            return ", ".join(f"run {r.id}: {r.status}" for r in runs) or "no solve run"
    finally:
        engine.dispose()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voters", type=int, default=300, help="voters on Slack")
    ap.add_argument("--web-voters", type=int, default=0, help="voters on the web face (attendees' personal links)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--toggles", type=int, default=4, help="clicks per voter")
    ap.add_argument("--pitches", type=int, default=50, help="pitch modal submissions")
    ap.add_argument("--clients", type=int, default=4, help="client processes")
    ap.add_argument("--threads", type=int, default=16, help="threads per client process")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (gunicorn when > 1)")
    ap.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp directory")
    ap.add_argument("--solve-seconds", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from tests.support.fake_slack import FakeSlack

    with tempfile.TemporaryDirectory(prefix="campbot-load-") as tmp:
        database_url = fresh_database(args.database_url, Path(tmp))
        camp = load_camp(database_url, args.web_voters)
        fake = FakeSlack()
        fake.start()
        port = free_port()
        server = start_server(args, database_url, fake.url, port)
        url = f"http://127.0.0.1:{port}/slack/events"
        clicks, subs = plan(args, camp)
        engine_name = database_url.split(":", 1)[0]
        print(f"campbot load: {args.voters} Slack + {args.web_voters} web voters x {args.toggles} clicks "
              f"({len(clicks)}), {len(subs)} pitch "
              f"submissions, /camp solve; {args.seconds:.0f} s; {args.clients} client processes x {args.threads} "
              f"threads; server workers {args.workers}; database {engine_name}")
        try:
            t0 = time.time()
            results = drive(args, url, fake.respond_url(), camp, clicks, subs)
            load_wall = time.time() - t0 - 3.0
            want = expected_votes(clicks)
            deadline = time.monotonic() + 120  # the acks are in; let the after-ack work finish
            while True:
                table, saved = vote_table(database_url, camp.event_id)
                if (set(table) == want and saved >= len(subs)) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            settle = time.time() - t0 - 3.0 - load_wall
            solve = solve_state(database_url, camp.event_id)
        finally:
            stop_server(server)
            fake.stop()

    lat = [r[2] * 1000 for r in results]
    votes_lat = [r[2] * 1000 for r in results if r[0] == "vote"]
    web_lat = [r[2] * 1000 for r in results if r[0] == "webvote"]
    signin_lat = [r[2] * 1000 for r in results if r[0] == "signin"]
    pitch_lat = [r[2] * 1000 for r in results if r[0] == "pitch"]
    # Slack's requests are answered 200; the web's form posts and sign-ins with a redirect (303, 302)
    errors = [r for r in results if not (200 <= r[3] < 300 or (r[0] in ("signin", "webvote") and r[3] in (302, 303)))]
    sent_window = max((r[1] for r in results), default=0.0) - min((r[1] for r in results), default=0.0)
    doubled = {k: n for k, n in table.items() if n > 1}
    lost = want - set(table)
    extra = set(table) - want
    sorry = [c for c in fake.calls_to("response_url") if "went wrong" in str(c.params.get("text", ""))]
    print(f"requests        {len(results)} sent over {sent_window:.1f} s ({len(results) / max(load_wall, 1e-9):.1f}/s "
          f"overall; load phase {load_wall:.1f} s)")
    print(f"ack latency ms  p50 {pct(lat, 50):.1f}  p95 {pct(lat, 95):.1f}  p99 {pct(lat, 99):.1f}  "
          f"max {max(lat):.1f}")
    print(f"  votes         p50 {pct(votes_lat, 50):.1f}  p95 {pct(votes_lat, 95):.1f}  p99 {pct(votes_lat, 99):.1f}"
          f"  (n={len(votes_lat)})")
    if web_lat:
        print(f"  web votes     p50 {pct(web_lat, 50):.1f}  p95 {pct(web_lat, 95):.1f}  p99 {pct(web_lat, 99):.1f}"
              f"  max {max(web_lat):.1f}  (n={len(web_lat)})")
        print(f"  web sign-ins  p50 {pct(signin_lat, 50):.1f}  p99 {pct(signin_lat, 99):.1f}  (n={len(signin_lat)}; "
              "the link, then the pitch list)")
    print(f"  pitches       p50 {pct(pitch_lat, 50):.1f}  p95 {pct(pitch_lat, 95):.1f}  p99 {pct(pitch_lat, 99):.1f}"
          f"  (n={len(pitch_lat)})")
    print(f"errors          {len(errors)} non-2xx {dict(Counter(r[3] for r in errors))}; "
          f"{len(sorry)} 'something went wrong' replies")
    print(f"vote check      expected {len(want)} votes, found {sum(table.values())} rows: lost {len(lost)}, "
          f"extra {len(extra)}, doubled {len(doubled)} (settled {settle:.1f} s after the load)")
    print(f"pitch check     {saved} of {len(subs)} submitted pitches saved")
    print(f"solve           {solve}")
    ok = not errors and not lost and not extra and not doubled and saved == len(subs) and pct(lat, 99) < 500
    print("RESULT          " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

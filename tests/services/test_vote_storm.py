"""Many people clicking at once: every toggle lands, none doubles, nothing is "locked".

40 threads, each one person, click 25 times on random pitches among 15. Each person's
clicks are sequential, so the expected final state is known from their own sequence: a
pitch clicked an odd number of times is voted for. The database must end with exactly
those rows, on SQLite (BEGIN IMMEDIATE + busy timeout) and on PostgreSQL (row locks).
"""

from __future__ import annotations

import random
import threading
from collections import Counter

from sqlmodel import select

from campbot.config.context import AppContext
from campbot.services.organising import set_voting
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch
from campbot.services.voting import OverQuota, toggle_vote
from campbot.store.db import session_scope
from campbot.store.tables import Event, Person, Vote

THREADS, CLICKS, PITCHES = 40, 25, 15


def test_vote_storm(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    event_id = event.id
    with session_scope(ctx.engine) as db:
        ev = db.get(Event, event_id)
        assert ev is not None
        ev.vote_quota = PITCHES + 5  # the storm is about races, not the quota
        db.add(ev)
    set_voting(ctx, event_id, open_=True, actor="test")
    pitch_ids = [create_pitch(ctx, event_id, f"U0HOST{i}", PitchInput(title=f"Session {i}")).id for i in range(PITCHES)]

    expected: dict[str, set[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def storm(n: int) -> None:
        user = f"U0STORM{n:02d}"
        rng = random.Random(n)
        clicks = [rng.choice(pitch_ids) for _ in range(CLICKS)]
        counts = Counter(clicks)
        expected[user] = {p for p, c in counts.items() if c % 2 == 1}
        state: dict[int, bool] = {}
        start.wait()
        try:
            for p in clicks:
                result = toggle_vote(ctx, event_id, user, p)
                assert result.voted == (not state.get(p, False)), "a toggle did not flip"
                state[p] = result.voted
        except BaseException as exc:  # noqa: BLE001 - reported below with the thread's user
            errors.append(exc)

    threads = [threading.Thread(target=storm, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == [], [repr(e) for e in errors[:3]]
    assert not any("locked" in repr(e) for e in errors)

    with session_scope(ctx.engine) as db:
        rows = db.exec(
            select(Person.slack_user_id, Vote.pitch_id).join(Person, Person.id == Vote.person_id)  # type: ignore[arg-type]
        ).all()
        people = db.exec(select(Person).where(Person.slack_user_id.like("U0STORM%"))).all()  # type: ignore[union-attr]
    actual: dict[str, set[int]] = {}
    for user, pitch_id in rows:
        actual.setdefault(str(user), set()).add(pitch_id)
    assert len(rows) == len({(u, p) for u, p in rows}), "a (person, pitch) pair has two rows"
    assert {u: s for u, s in actual.items() if s} == {u: s for u, s in expected.items() if s}
    assert len(people) == THREADS  # one person row each, however many first clicks raced


def test_one_person_racing_past_the_quota(ctx: AppContext, event: Event) -> None:
    """Twelve simultaneous first clicks by one person (quota 5): exactly five land."""
    assert event.id is not None
    event_id = event.id
    with session_scope(ctx.engine) as db:
        ev = db.get(Event, event_id)
        assert ev is not None
        ev.vote_quota = 5
        db.add(ev)
    set_voting(ctx, event_id, open_=True, actor="test")
    pitch_ids = [create_pitch(ctx, event_id, f"U0HOST{i % 3}", PitchInput(title=f"S{i}")).id for i in range(12)]
    outcomes: list[str] = []
    gate = threading.Barrier(len(pitch_ids))

    def click(pid: int) -> None:
        gate.wait()
        try:
            toggle_vote(ctx, event_id, "U0EAGER", pid)
            outcomes.append("voted")
        except OverQuota:
            outcomes.append("over")
        except BaseException as exc:  # noqa: BLE001
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=click, args=(p,)) for p in pitch_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["over"] * 7 + ["voted"] * 5
    with session_scope(ctx.engine) as db:
        assert len(db.exec(select(Vote)).all()) == 5
        assert len(db.exec(select(Person).where(Person.slack_user_id == "U0EAGER")).all()) == 1

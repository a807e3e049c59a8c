"""Pacing: about one message a second per channel with short bursts, and Retry-After obeyed."""

from __future__ import annotations

from campbot.slack.notifier import Pacer
from tests.jobs.helpers import FakeTime


def test_a_channel_gets_a_burst_then_one_a_second() -> None:
    t = FakeTime()
    pacer = Pacer(rate=1.0, burst=3, overall_rate=100, overall_burst=100, clock=t.monotonic, sleep=t.sleep)
    start = t.t
    for _ in range(8):
        pacer.wait("C1")
    assert t.t - start == 5.0  # 3 at once, then 5 more at one a second
    assert t.sleeps == [1.0] * 5


def test_channels_do_not_wait_for_each_other_but_share_the_overall_limit() -> None:
    t = FakeTime()
    pacer = Pacer(rate=1.0, burst=1, overall_rate=10, overall_burst=10, clock=t.monotonic, sleep=t.sleep)
    for i in range(10):
        pacer.wait(f"U{i}")
    assert t.sleeps == []  # ten different DMs: no per-channel wait
    pacer.wait("U99")
    assert t.sleeps == [0.1]  # the eleventh waits for the workspace-wide bucket


def test_a_hold_makes_everyone_wait_out_retry_after() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.monotonic, sleep=t.sleep)
    pacer.hold(7)
    pacer.wait("C1")
    pacer.wait("C2")
    assert t.sleeps[0] == 7.0 and sum(t.sleeps) == 7.0

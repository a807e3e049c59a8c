"""Every listener against a corpus of real-shaped Slack payloads (tests/corpus/*.json).

Each file is one request as Slack sends it (shapes from Slack's reference pages for slash
commands, block_actions, view_submission and the Events API, and bolt-python's scenario
tests): entities in command text, mentions, clicks from threads, ephemerals and the App Home,
null and [] inputs, Enterprise Grid org installs (team null), Slack Connect people, direct
messages, retries with X-Slack-Retry-Num. Fields: `about`, `kind` (command | interactivity |
event), `body`, optional `retries` (extra headers to send the same bytes again with), and
`expect`:

* `answer`: Web API methods (or "response_url") of which one must carry the answer to the
  person, `says` a text it contains; [] when nobody is to be answered (then nothing is sent);
* `once`: the retries add no second answer; `modal_errors`: the block ids the modal's inline
  errors name; `body_says`: text of the HTTP answer itself; `still_scheduling`: the camp's jobs
  are still there afterwards.

`{response_url}` and `{pitch}` are filled in by the test. Everything goes signed over HTTP to
the real app; every request must be answered 200 within Slack's 3 s, and no ERROR or traceback
may be logged.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from campbot.jobs import scheduling as jobs
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch, set_card_message
from campbot.store.tables import Event
from tests.e2e.conftest import BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import FORM, JSON_TYPE, Sent, SlackSender

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ACK_BUDGET = 3.0  # Slack's deadline for the HTTP answer
PERSON_FACING = ("response_url", "chat.postMessage", "chat.postEphemeral", "views.open", "views.publish",
                 "views.update", "views.push")


def corpus() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, json.loads(p.read_text())) for p in sorted(CORPUS.glob("*.json"))]


def _fill(body: Any, **values: str) -> Any:
    text = json.dumps(body)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


def _send(slack: SlackSender, kind: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Sent:
    if kind == "command":
        return slack.post(urlencode(body), FORM, headers=headers)
    if kind == "interactivity":
        return slack.post(urlencode({"payload": json.dumps(body)}), FORM, headers=headers)
    return slack.post(json.dumps(body), JSON_TYPE, headers=headers)


def _new_calls(fake: FakeSlack, start: int, methods: tuple[str, ...] | list[str]) -> list[str]:
    return [json.dumps(c.params, ensure_ascii=False) for c in list(fake.calls)[start:] if c.method in methods]


def _check(name: str, spec: dict[str, Any], slack: SlackSender, fake: FakeSlack, bot: BotServer, event: Event,
           fill: dict[str, str]) -> list[str]:
    """Send one corpus entry (and its retries); the list of what went wrong (empty: all held)."""
    problems: list[str] = []
    expect = spec["expect"]
    start = len(fake.calls)
    body = _fill(spec["body"], **fill)
    sent = []
    for headers in [None, *spec.get("retries", [])]:
        began = time.monotonic()
        sent.append(_send(slack, spec["kind"], body, headers))
        took = time.monotonic() - began
        if sent[-1].status != 200:
            problems.append(f"HTTP {sent[-1].status}: {sent[-1].response.text[:200]}")
        if took > ACK_BUDGET:
            problems.append(f"answered in {took:.2f} s, over Slack's {ACK_BUDGET} s")
    answer = tuple(expect.get("answer", []))
    if answer:
        deadline = time.monotonic() + 10
        while not any(expect.get("says", "") in c for c in _new_calls(fake, start, answer)):
            if time.monotonic() > deadline:
                problems.append(f"no {'/'.join(answer)} saying {expect.get('says')!r}; "
                                f"got {[c[:300] for c in _new_calls(fake, start, PERSON_FACING)]}")
                break
            time.sleep(0.01)
    bot.settle()
    if not answer and _new_calls(fake, start, PERSON_FACING):
        problems.append(f"expected no answer, got {_new_calls(fake, start, PERSON_FACING)[:2]}")
    if expect.get("once") and len(_new_calls(fake, start, answer)) != 1:
        problems.append(f"answered {len(_new_calls(fake, start, answer))} times, not once")
    if "modal_errors" in expect:
        reply = sent[0].json() or {}
        if reply.get("response_action") != "errors" or set(expect["modal_errors"]) - set(reply.get("errors", {})):
            problems.append(f"modal errors expected on {expect['modal_errors']}, answer was {reply}")
    if "body_says" in expect and expect["body_says"] not in sent[0].response.text:
        problems.append(f"HTTP answer lacks {expect['body_says']!r}: {sent[0].response.text[:200]}")
    if expect.get("still_scheduling") and not jobs.scheduled_jobs(bot.ctx, event.id):
        problems.append("the camp's jobs are gone")
    return [f"{name}: {p}" for p in problems]


def test_every_listener_answers_the_whole_corpus(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, voting_open: Event, caplog: pytest.LogCaptureFixture
) -> None:
    event = voting_open
    assert event.id is not None
    caplog.set_level(logging.WARNING)
    card = create_pitch(bot.ctx, event.id, "U0HOST1", PitchInput(title="Open data & parish councils"),
                        display_name="host.one")
    set_card_message(bot.ctx, card.id, "C0PITCHES", "1700000000.000101")
    jobs.reschedule_event_jobs(bot.ctx, event.id)
    fill = {"response_url": fake_slack.respond_url("corpus"), "pitch": str(card.id)}

    entries = corpus()
    assert len(entries) >= 40, "the corpus is in tests/corpus"
    problems = [p for name, spec in entries for p in _check(name, spec, slack, fake_slack, bot, event, fill)]

    logged = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records
              if r.levelno >= logging.ERROR or r.exc_info]
    assert not logged, "errors logged:\n" + "\n".join(logged)
    assert not problems, f"{len(problems)} of {len(entries)} payloads misbehaved:\n" + "\n".join(problems)

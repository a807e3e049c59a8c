"""The reminder messages: pure builders, user text shown as typed, times in the event's zone,
Slack's size limits kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from campbot.services.grid_queries import GridEntry
from campbot.services.notifying import notes_url
from campbot.slack.blocks import reminders as rb

NASTY = ["<!channel>", "<!here>", "<@U123>", "<http://evil.example|click me>", "Q&A > slides"]
START = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)  # 13:00 in London (BST)


def _line(title: str, room: str = "Main hall", hosts: tuple[str, ...] = ("Ada",), notes: str = "") -> rb.SessionLine:
    return rb.SessionLine(title=title, room=room, start=START, end=START + timedelta(minutes=45), hosts=hosts,
                          notes_url=notes)


def _all_text(message: rb.Message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def _check_escaped(message: rb.Message) -> None:
    text = _all_text(message)
    for raw in NASTY:
        assert raw not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text and "Q&amp;A &gt; slides" in text


def test_user_text_shows_as_typed_in_every_message() -> None:
    lines = [_line(t, room=t, hosts=(t,)) for t in NASTY]
    _check_escaped(rb.up_next_post(event_name="Camp", slot_start=START, timezone="Europe/London", sessions=lines))
    _check_escaped(rb.reminder_dm(event_name="<!channel> camp", slot_start=START, timezone="Europe/London",
                                  hosting=lines[:2], attending=lines))
    _check_escaped(rb.closing_post(event_name="<!channel> camp", timezone="Europe/London", sessions=lines,
                                   hashtag="#x"))
    _check_escaped(rb.reminder_dm(event_name="Camp", slot_start=START, timezone="Europe/London", hosting=[],
                                  attending=lines))


def test_times_are_in_the_event_timezone() -> None:
    msg = rb.up_next_post(event_name="Camp", slot_start=START, timezone="Europe/London", sessions=[_line("A")])
    assert msg.text == "Up next at 13:00: 1 session"
    assert rb.hhmm(START, "UTC") == "12:00" and rb.hhmm(START, "America/New_York") == "08:00"
    dm = rb.reminder_dm(event_name="Camp", slot_start=START, timezone="Europe/London", hosting=[_line("A")],
                        attending=[])
    assert "13:00–13:45" in _all_text(dm) and "hosting" in dm.text
    nudge = rb.voting_closing_post(event_name="Camp", closes_at=START, timezone="Europe/London", minutes_left=10)
    assert nudge.text == "Voting closes in 10 minutes, at 13:00"


def test_a_dm_lists_every_voted_session_in_the_slot_with_its_room() -> None:
    dm = rb.reminder_dm(event_name="Camp", slot_start=START, timezone="Europe/London", hosting=[],
                        attending=[_line("Open data", "Library"), _line("Agile", "Quiet room")])
    body = _all_text(dm)
    assert "Open data" in body and "Library" in body and "Agile" in body and "Quiet room" in body
    assert dm.text == "At 13:00: Open data in Library (and 1 more)"
    assert "Switch them off" in body


def test_a_huge_slot_stays_within_slacks_limits() -> None:
    lines = [_line(f"{i} " + "x" * 300, room=f"Room {i}", hosts=tuple(f"Host {j}" for j in range(6)))
             for i in range(170)]
    for msg in (rb.up_next_post(event_name="Minnebar", slot_start=START, timezone="UTC", sessions=lines),
                rb.closing_post(event_name="Minnebar", timezone="UTC", sessions=lines),
                rb.reminder_dm(event_name="Minnebar", slot_start=START, timezone="UTC", hosting=[], attending=lines)):
        assert len(msg.blocks) <= rb.MAX_BLOCKS
        for block in msg.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= rb.SECTION_LIMIT
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150


def test_notes_links_follow_the_events_pattern() -> None:
    entry = GridEntry(pitch_id=12, title="Café & culture!", hosts=(), host_user_ids=(), room_key="r2",
                      room_name="Library", room_position=1, slot_keys=("t3",), start=START, end=START)
    assert notes_url("https://notes.example/{session}", entry) == "https://notes.example/p12"
    assert notes_url("https://n.example/{slug}/{slot}/{room}/{oops}", entry) == \
        "https://n.example/cafe-culture/t3/r2/{oops}"
    assert notes_url("", entry) == ""
    closing = rb.closing_post(event_name="Camp", timezone="UTC", sessions=[_line("A", notes="https://n.example/p1?a=1&b=2")])
    assert "<https://n.example/p1?a=1&amp;b=2|notes>" in _all_text(closing)

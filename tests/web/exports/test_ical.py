"""iCal feeds parse, carry the event timezone, and update cleanly on a re-plan."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Component

from campbot.web.exports.grid_view import GridView
from campbot.web.exports.ical import render_event_ical, render_person_ical


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events(cal: Calendar) -> dict[str, Component]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_event_feed_parses_with_calendar_properties(lgc_view: GridView) -> None:
    data = render_event_ical(lgc_view)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    cal = parse(data)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "LocalGovCamp 2026"
    assert str(cal["PRODID"])
    # One VEVENT per session; the double session is one VEVENT, not two.
    assert len(events(cal)) == len(lgc_view.sessions) == 22


def test_vtimezone_and_times_in_event_zone(lgc_view: GridView) -> None:
    data = render_event_ical(lgc_view)
    cal = parse(data)
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    assert b"DTSTART;TZID=Europe/London:20260620T100000" in data
    p1 = events(cal)["lgc26-p1@campbot"]
    start = p1.decoded("DTSTART")
    assert start.astimezone(UTC) == datetime(2026, 6, 20, 9, 0, tzinfo=UTC)  # 10:00 BST
    assert p1.decoded("DTEND").astimezone(UTC) == datetime(2026, 6, 20, 9, 55, tzinfo=UTC)
    assert str(p1["LOCATION"]) == "Main Hall"
    assert str(p1["SUMMARY"]) == "What does good digital inclusion look like?"
    assert p1.decoded("DTSTAMP") == datetime(2026, 6, 20, 8, 30, tzinfo=UTC)


def test_double_session_is_one_event_spanning_both_slots(lgc_view: GridView) -> None:
    p7 = events(parse(render_event_ical(lgc_view)))["lgc26-p7@campbot"]
    start, end = p7.decoded("DTSTART"), p7.decoded("DTEND")
    assert (start.hour, start.minute, end.hour, end.minute) == (14, 0, 16, 0)
    assert end - start == timedelta(hours=2)


def test_across_the_end_of_british_summer_time(dst_view: GridView) -> None:
    """10:00 on Saturday is 09:00 UTC; 10:00 on Sunday, after the clocks go back, is 10:00 UTC."""
    data = render_event_ical(dst_view)
    cal = parse(data)
    by_uid = events(cal)
    assert by_uid["autumn26-p1@campbot"].decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 24, 9, tzinfo=UTC)
    assert by_uid["autumn26-p3@campbot"].decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 25, 10, tzinfo=UTC)
    assert by_uid["autumn26-p3@campbot"].decoded("DTEND").astimezone(UTC) == datetime(2026, 10, 25, 12, tzinfo=UTC)
    # The VTIMEZONE carries both rules, including the change on 25 October at 02:00.
    zone = cal.walk("VTIMEZONE")[0]
    assert b"DTSTART:20261025T020000" in zone.to_ical()
    assert {str(c["TZNAME"]) for c in zone.subcomponents} >= {"BST", "GMT"}


def test_uids_are_stable_and_sequence_grows_with_the_version(lgc_view: GridView) -> None:
    v1 = dataclasses.replace(lgc_view, version=1)
    v3 = dataclasses.replace(lgc_view, version=3, published_at=lgc_view.published_at + timedelta(hours=4))
    first, third = events(parse(render_event_ical(v1))), events(parse(render_event_ical(v3)))
    assert set(first) == set(third)
    for uid in first:
        assert int(str(first[uid]["SEQUENCE"])) == 0
        assert int(str(third[uid]["SEQUENCE"])) == 2
        assert third[uid].decoded("DTSTAMP") > first[uid].decoded("DTSTAMP")
    assert render_event_ical(v1) == render_event_ical(v1)  # deterministic: same version, same bytes


def test_description_has_hosts_and_notes_link(lgc_view: GridView) -> None:
    p8 = events(parse(render_event_ical(lgc_view)))["lgc26-p8@campbot"]
    description = str(p8["DESCRIPTION"])
    assert "Hosted by Asha Patel, Ben O'Brien, Chloé Dubois, Dev Sharma and Eve Nakamura" in description
    assert "Notes: https://notes.example.org/lgc26/p8-co-designing-services-with-residents" in description
    assert str(p8["URL"]) == "https://notes.example.org/lgc26/p8-co-designing-services-with-residents"


def test_user_text_cannot_break_out_of_its_line(lgc_view: GridView) -> None:
    sneaky = dataclasses.replace(
        lgc_view.sessions[0],
        title="Hi\r\nBEGIN:VALARM\r\nTRIGGER:-PT1M",
        description="line one\rEND:VEVENT\nline; two, three",
    )
    view = dataclasses.replace(lgc_view, sessions=(sneaky,))
    data = render_person_ical(view, {sneaky.id}, "Mal\r\nX-EVIL:1")
    cal = parse(data)
    assert not cal.walk("VALARM")
    assert "X-EVIL" not in cal
    event = cal.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Hi BEGIN:VALARM TRIGGER:-PT1M"
    assert "line one\nEND:VEVENT\nline; two, three" in str(event["DESCRIPTION"])


def test_person_feed_has_only_their_sessions(lgc_view: GridView) -> None:
    data = render_person_ical(lgc_view, frozenset({"p7", "p13", "gone-in-a-replan"}), "Asha Patel")
    cal = parse(data)
    assert sorted(events(cal)) == ["lgc26-p13@campbot", "lgc26-p7@campbot"]
    assert str(cal["X-WR-CALNAME"]) == "Asha Patel: LocalGovCamp 2026"
    assert cal.walk("VTIMEZONE")


def test_empty_person_feed_is_still_a_valid_calendar(lgc_view: GridView) -> None:
    cal = parse(render_person_ical(lgc_view, (), "Nobody"))
    assert cal.walk("VEVENT") == []
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]

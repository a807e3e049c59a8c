"""Realistic published grids for the export tests.

``lgc_view``: a LocalGovCamp-sized day (7 rooms x 5 slots in two blocks, Europe/London
during BST) with a double session, a five-host session, and titles that try HTML, Slack
and spreadsheet injection.  ``dst_view``: a two-day camp across the end of British
Summer Time (Sat 24 Oct 2026 is UTC+1, Sun 25 Oct is UTC+0), for timezone handling.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from campbot.web.exports.grid_view import GridView, PitchListItem, ViewRoom, ViewSession, ViewSlot

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


ROOMS = (
    ViewRoom("r1", "Main Hall", 120, ("step_free", "projector", "hearing_loop")),
    ViewRoom("r2", "Room 2", 40, ("step_free", "projector")),
    ViewRoom("r3", "Room 3", 30, ("step_free",)),
    ViewRoom("r4", "Boardroom", 20, ("projector",)),
    ViewRoom("r5", "Room 5", 25),
    ViewRoom("r6", "Quiet Room", 12, ("quiet", "step_free")),
    ViewRoom("r7", "Café", 30, ("step_free",)),
)

SLOTS = (
    # Deliberately not in time order: renderers must sort.
    ViewSlot("s3", at(2026, 6, 20, 12, 10), at(2026, 6, 20, 13, 5), "Morning"),
    ViewSlot("s1", at(2026, 6, 20, 10, 0), at(2026, 6, 20, 10, 55), "Morning"),
    ViewSlot("s2", at(2026, 6, 20, 11, 5), at(2026, 6, 20, 12, 0), "Morning"),
    ViewSlot("s4", at(2026, 6, 20, 14, 0), at(2026, 6, 20, 14, 55), "Afternoon"),
    ViewSlot("s5", at(2026, 6, 20, 15, 5), at(2026, 6, 20, 16, 0), "Afternoon"),
)

FIVE_HOSTS = ("Asha Patel", "Ben O'Brien", "Chloé Dubois", "Dev Sharma", "Eve Nakamura")

SESSIONS = (
    ViewSession(
        "p1",
        "What does good digital inclusion look like?",
        "r1",
        ("s1",),
        ("Sam Jones",),
        "Let's share what works.",
        "discussion",
        ("step_free", "hearing_loop"),
        ("inclusion",),
        48,
    ),
    ViewSession(
        "p2", "Data standards for planning", "r2", ("s1",), ("Priya Shah", "Tom Reed"), tags=("data",), interested=22
    ),
    ViewSession("p3", "<script>alert(1)</script>", "r3", ("s1",), ("<b>Mallory</b>",), interested=3),
    ViewSession("p4", "<!channel> free pizza in the foyer", "r4", ("s1",), ("Pat",), interested=9),
    ViewSession("p5", '=HYPERLINK("http://evil.example","click")', "r5", ("s1",), ("Eve",), interested=1),
    ViewSession(
        "p6", 'Tea & "biscuits": a <b>bold</b> claim', "r6", ("s1",), ("Kim Lee",), needs=("quiet",), interested=7
    ),
    ViewSession(
        "p8",
        "Co-designing services with residents",
        "r1",
        ("s2",),
        FIVE_HOSTS,
        format="workshop",
        needs=("step_free", "projector"),
        tags=("design", "research"),
        interested=61,
    ),
    ViewSession("p9", "Agile in a council: what actually changed", "r2", ("s2",), ("Jo Bloggs",), interested=30),
    ViewSession("p10", "Open source for local government", "r3", ("s2",), ("Alex Green",), interested=18),
    ViewSession("p11", "Procurement without the pain", "r5", ("s2",), ("Morgan Hill",), interested=12),
    ViewSession("p12", "Café culture ☕ and informal networks", "r7", ("s2",), ("Zoë Ärnström",), interested=15),
    ViewSession(
        "p13",
        "AI in adult social care: ethics first",
        "r1",
        ("s3",),
        ("Dr Nia Okafor", "Lee Chan"),
        needs=("projector",),
        interested=80,
    ),
    ViewSession("p14", "Digital skills for councillors", "r2", ("s3",), ("Rae Holt",), interested=25),
    ViewSession(
        "p15",
        "Show and tell: our new bin app",
        "r4",
        ("s3",),
        ("Chris Ward",),
        format="show-and-tell",
        needs=("projector",),
        interested=14,
    ),
    ViewSession("p16", "Mental health at work", "r6", ("s3",), ("Ash Kaur",), needs=("quiet",), interested=10),
    ViewSession("p17", "Content design clinic", "r1", ("s4",), ("Fran Miles",), interested=40),
    ViewSession(
        "p7",
        "Build a service map together (double session)",
        "r2",
        ("s4", "s5"),
        ("Gill Porter", "Hassan Ali"),
        "Bring a problem; leave with a map.",
        "workshop",
        ("step_free", "projector"),
        ("design",),
        33,
    ),
    ViewSession("p18", "User research on a shoestring", "r3", ("s4",), ("Ivy Stone",), interested=19),
    ViewSession("p19", "Legacy systems: migrate or live with it?", "r5", ("s4",), ("Jack Frost",), interested=16),
    ViewSession(
        "p20",
        "Climate emergency and digital",
        "r1",
        ("s5",),
        ("Kai Moreno", "Lou Brown"),
        tags=("climate",),
        interested=35,
    ),
    ViewSession(
        "p21", "Accessibility audits that stick", "r3", ("s5",), ("Mo Tahir",), needs=("step_free",), interested=28
    ),
    ViewSession("p22", "Wrap-up: what next for LocalGov Digital?", "r7", ("s5",), ("Nat Young",), interested=9),
)


def make_lgc_view(version: int = 2, published_at: datetime | None = None) -> GridView:
    return GridView(
        event_name="LocalGovCamp 2026",
        event_slug="lgc26",
        timezone="Europe/London",
        version=version,
        published_at=published_at or at(2026, 6, 20, 9, 30),
        rooms=ROOMS,
        slots=SLOTS,
        sessions=SESSIONS,
        hashtag="#LGC26",
        notes_url_pattern="https://notes.example.org/lgc26/{session}-{slug}",
        changelog=("moved: Digital skills for councillors, Room 5 11:05 -> Room 2 12:10",),
    )


def make_dst_view(version: int = 1) -> GridView:
    rooms = (ViewRoom("a", "Hall", 80, ("step_free",)), ViewRoom("b", "Studio", 20))
    slots = (
        ViewSlot("d1s1", at(2026, 10, 24, 10), at(2026, 10, 24, 10, 55), "Saturday morning"),
        ViewSlot("d1s2", at(2026, 10, 24, 11, 5), at(2026, 10, 24, 12), "Saturday morning"),
        ViewSlot("d2s1", at(2026, 10, 25, 10), at(2026, 10, 25, 10, 55), "Sunday morning"),
        ViewSlot("d2s2", at(2026, 10, 25, 11, 5), at(2026, 10, 25, 12), "Sunday morning"),
    )
    sessions = (
        ViewSession("p1", "Clocks go back: a retrospective", "a", ("d1s1",), ("Greenwich Mean",)),
        ViewSession("p2", "Saturday studio", "b", ("d1s2",), ("Sol",)),
        ViewSession("p3", "Sunday double", "a", ("d2s1", "d2s2"), ("Wendy Winter",), format="workshop"),
        ViewSession("p4", "Sunday studio", "b", ("d2s1",), ()),
    )
    return GridView(
        event_name="Autumn Camp",
        event_slug="autumn26",
        timezone="Europe/London",
        version=version,
        published_at=at(2026, 10, 23, 18),
        rooms=rooms,
        slots=slots,
        sessions=sessions,
        hashtag="AutumnCamp",
    )


PITCHES = [
    PitchListItem(
        "p1",
        "What does good digital inclusion look like?",
        ("Sam Jones",),
        "discussion",
        ("inclusion",),
        48,
        "scheduled",
    ),
    PitchListItem("p3", "<script>alert(1)</script>", ("<b>Mallory</b>",), "discussion", (), 3, "scheduled"),
    PitchListItem("p5", '=cmd|" /C calc"!A0', ("Eve",), "demo", ("a,b",), 1, "open"),
    PitchListItem("p30", "Merged away", ("Old Host", "Second Host"), "workshop", (), 0, "merged"),
]


@pytest.fixture
def lgc_view() -> GridView:
    return make_lgc_view()


@pytest.fixture
def dst_view() -> GridView:
    return make_dst_view()


@pytest.fixture
def pitches() -> list[PitchListItem]:
    return list(PITCHES)

"""Property tests over the file loaders: every input is either loaded *and then works* or is
refused whole with a message; never a traceback, never a half-loaded event.

Event files (campbot.services.event_file): a loaded file is stored (load_event), gets a published grid,
has its reminders planned and scheduled (campbot.jobs.scheduling on a paused APScheduler) and renders every
export (iCal, HTML, CSV, JSON, frab), all without an exception. Inputs: event files built
field by field from hostile values (years 1 to 9999, odd zones, huge numbers, control
characters, wrong types), the same files mangled as text (duplicate keys, deep nesting,
aliases, cut short), and arbitrary text. Pitch files (campbot.services.importing) likewise:
refused with a message, or read and imported.

CAMPBOT_FUZZ_EXAMPLES raises the number of examples (default 150 per test, a few seconds).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campbot.config.context import AppContext
from campbot.jobs import scheduling as jobs
from campbot.services import notifying
from campbot.services.errors import ServiceError
from campbot.services.event_file import EventFileError, parse_event_file
from campbot.services.events import load_event
from campbot.services.exporting import grid_view
from campbot.services.importing import import_pitches, read_pitch_file
from campbot.web.exports.csv_export import render_grid_csv
from campbot.web.exports.frab import render_frab_json
from campbot.web.exports.html import render_grid_html
from campbot.web.exports.ical import render_event_ical
from campbot.web.exports.json_export import render_grid_json
from tests.jobs.helpers import S, publish_grid

TODAY = date(2026, 6, 1)
EXAMPLES = int(os.environ.get("CAMPBOT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
OUTCOMES: Counter[str] = Counter()
_slugs = itertools.count(1)

# -- hostile values ----------------------------------------------------------------------------
ZONES = st.sampled_from(["Europe/London", "Pacific/Kiritimati", "Etc/GMT+12", "America", "Nope/Zone", "", "../etc",
                         "UTC", "a" * 300, "Europe/London\x00"])
ANY_TEXT = st.text(max_size=40)
MOMENTS = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    st.times().map(lambda t: t.isoformat(timespec="minutes")),  # a time of day, as organisers write it
    st.just(datetime(9999, 12, 31, 23, 59)),
    st.just(datetime(1, 1, 1, 0, 0)),
    ANY_TEXT,
    st.integers(),
)
DAYS = st.one_of(st.none(), st.dates(), st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), ANY_TEXT)
NUMBERS = st.one_of(st.integers(min_value=-5, max_value=200), st.integers(), st.floats(), ANY_TEXT, st.none())
KEYS = st.one_of(st.sampled_from(["r1", "r2", "t1", "t2", "x"]), ANY_TEXT)


HOSTILE_FIELDS = (None, "date", "zone", "capacity", "quota", "ids", "names", "slot_times", "voting", "grid_post",
                  "features", "extra", "counts")


@st.composite
def event_documents(draw: st.DrawFn) -> dict[str, Any]:
    """An event file as a dict: the right shape, with one field (at most) given a hostile value,
    so that many load (and must then work) and the rest are refused for that one field."""
    bad = draw(st.sampled_from(HOSTILE_FIELDS))

    def pick(field: str, good: Any, hostile: st.SearchStrategy[Any]) -> Any:
        return draw(hostile) if bad == field else good

    day = pick("date", date(2026, 6, 20), DAYS)
    rooms = [
        {"id": pick("ids", f"r{i + 1}", KEYS), "name": pick("names", f"Room {i + 1}", ANY_TEXT),
         "capacity": pick("capacity", 10 * (i + 1), NUMBERS),
         "features": pick("features", ["projector"], st.lists(st.sampled_from(["projector", "quiet", "lasers"])))}
        for i in range(pick("counts", 2, st.integers(min_value=0, max_value=3)))
    ]
    slots = []
    for i in range(pick("counts", 2, st.integers(min_value=0, max_value=3))):
        start = datetime(2026, 6, 20, 10 + 2 * i, 0)
        slot = {"id": pick("ids", f"t{i + 1}", KEYS), "start": start, "end": start + timedelta(minutes=45)}
        if bad == "slot_times":
            slot["start"], slot["end"] = draw(MOMENTS), draw(MOMENTS)
        slots.append(slot)
    doc: dict[str, Any] = {
        "event": {"slug": pick("names", "camp", ANY_TEXT), "name": pick("names", "Camp", ANY_TEXT),
                  "timezone": pick("zone", "Europe/London", ZONES), "vote_quota": pick("quota", 10, NUMBERS)},
        "rooms": rooms,
        "slots": slots,
    }
    if day is not None:
        doc["event"]["date"] = day
    if bad == "voting":
        doc["event"]["voting"] = {"opens": draw(MOMENTS), "closes": draw(MOMENTS)}
    if bad == "grid_post":
        doc["event"]["grid_post_at"] = draw(MOMENTS)
    if bad == "extra":
        doc[draw(ANY_TEXT)] = draw(ANY_TEXT)  # an unknown top-level key
    return doc


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@st.composite
def mangled(draw: st.DrawFn) -> str:
    """A rendered event file, then damaged as text."""
    text = _dump(draw(event_documents()))
    how = draw(st.sampled_from(["dup", "deep", "alias", "cut", "insert", "none"]))
    if how == "dup":
        return text + "rooms:\n  - {id: r9, name: Only, capacity: 5}\n"
    if how == "deep":
        depth = draw(st.integers(min_value=30, max_value=20_000))
        return text + "extra: " + "[" * depth + "]" * depth + "\n"
    if how == "alias":
        return "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"b{i}: [*a, *a, *a, *a]\n" for i in range(40)) + text
    if how == "cut":
        return text[: draw(st.integers(min_value=0, max_value=len(text)))]
    if how == "insert":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        return text[:at] + draw(st.text(max_size=10)) + text[at:]
    return text


DOCS = event_documents().map(_dump)
FILES = st.one_of(DOCS, DOCS, DOCS, mangled(), st.text(max_size=200))  # most inputs well-formed YAML


# -- the property ------------------------------------------------------------------------------

def _works_after_loading(ctx: AppContext, scheduler: BackgroundScheduler, text: str) -> str:
    try:
        spec = parse_event_file(text, "fuzz.yaml", today=TODAY)
    except EventFileError as exc:
        assert str(exc).strip() and "Traceback" not in str(exc)
        return "refused"
    spec.event.slug = f"fuzz{next(_slugs)}"  # every loaded example is its own event
    event = load_event(ctx, spec, actor="fuzz")
    assert event.id is not None
    publish_grid(ctx, event.id, [S("Fuzzed session", spec.rooms[0].id, spec.slots[0].id, hosts=["U0FUZZ"])])
    items = notifying.plan_items(ctx, event.id)
    assert any(i.what == "remind" for i in items)  # the session gets its reminder
    jobs._schedule_event(scheduler, ctx, event.id, None)
    view = grid_view(ctx, event.id, None)
    assert view is not None
    for render in (render_event_ical, render_grid_html, render_grid_csv, render_grid_json):
        assert render(view)
    assert render_frab_json(view, base_url="https://camp.example")
    return "loaded"


@pytest.fixture
def scheduler() -> Any:
    sched = BackgroundScheduler(jobstores={"default": MemoryJobStore()}, timezone=UTC)
    sched.start(paused=True)
    yield sched
    sched.shutdown(wait=False)


@FUZZ
@given(text=FILES)
def test_every_event_file_loads_and_works_or_is_refused_with_a_message(
    ctx: AppContext, scheduler: BackgroundScheduler, text: str
) -> None:
    ctx.clock = lambda: datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    OUTCOMES["event file " + _works_after_loading(ctx, scheduler, text)] += 1


def test_the_named_hostile_event_files_are_refused_in_plain_words(tmp_path: Path) -> None:
    base = _dump({"event": {"slug": "camp", "name": "Camp", "date": date(2026, 6, 20)},
                  "rooms": [{"id": "r1", "name": "Hall", "capacity": 10}],
                  "slots": [{"id": "t1", "start": "10:00", "end": "10:45"}]})
    parse_event_file(base, today=TODAY)  # the base loads
    rooms_line, dup_line = base.splitlines().index("rooms:") + 1, len(base.splitlines()) + 1
    cases = {
        base.replace("2026-06-20", "0001-01-01"): "too far from today",
        base.replace("2026-06-20", "9999-12-31"): "too far from today",
        base + "rooms:\n- {id: r2, name: B, capacity: 3}\n": f"given twice (lines {rooms_line} and {dup_line})",
        base + "x: " + "[" * 10_000 + "]" * 10_000: "nested more than",
    }
    for text, words in cases.items():
        with pytest.raises(EventFileError, match=r"(?s).*" + words.replace("(", r"\(").replace(")", r"\)")):
            parse_event_file(text, today=TODAY)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(base.replace("Camp", "Café").encode("latin-1"))
    from campbot.services.event_file import read_event_file

    with pytest.raises(EventFileError, match="not UTF-8 .*line 3.*Save it as UTF-8"):
        read_event_file(latin, today=TODAY)


GOOD_OR = lambda good, hostile: st.one_of(st.just(good), st.just(good), hostile)  # noqa: E731 - mostly good
PITCH_DOCS = st.fixed_dictionaries({
    "pitches": st.lists(st.fixed_dictionaries({
        "title": GOOD_OR("A talk", ANY_TEXT), "hosts": GOOD_OR(["Sam"], st.lists(ANY_TEXT, max_size=3)),
        "paper_votes": GOOD_OR(3, NUMBERS), "length": GOOD_OR(1, NUMBERS),
    }), max_size=3),
})


@FUZZ
@given(text=st.one_of(PITCH_DOCS.map(_dump), PITCH_DOCS.map(_dump), st.text(max_size=200),
                     PITCH_DOCS.map(lambda d: _dump(d) + "pitches: []\n")))
def test_every_pitch_file_imports_or_is_refused_with_a_message(
    ctx: AppContext, event: Any, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "pitches.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        spec = read_pitch_file(path)
        import_pitches(ctx, event.id, spec)
    except ServiceError as exc:
        assert str(exc).strip()
        OUTCOMES["pitch file refused"] += 1
        return
    OUTCOMES["pitch file imported"] += 1


def test_zz_report_outcomes() -> None:
    """Prints how many inputs each loader took and refused (run with -s to see it)."""
    print("\nfuzz outcomes:", dict(OUTCOMES))

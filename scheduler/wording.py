"""How organiser-facing sentences name things: sessions, rooms, local clock times, room features.

Times are the event's local clock ("14:00–14:45", with the weekday when the event spans several
days), never a slot key and never UTC: a reason is read at the registration desk, where the wall
clock is what counts. The time is taken from the slot's ISO start and end; when they carry an
offset and the event names a time zone, they are shown in that zone, so a problem built with UTC
times still reads right in summer.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler.problem import Problem, Room, Session, Slot

# Features said as adjectives ("Library is step-free") and as things a room has ("has a projector").
ADJECTIVES = {"step_free": "step-free", "quiet": "quiet", "accessible": "accessible", "dark": "dark",
              "outdoor": "outdoor", "outside": "outside", "private": "private"}
NOUNS = {"projector": "a projector", "hearing_loop": "a hearing loop", "whiteboard": "a whiteboard",
         "screen": "a screen", "microphone": "a microphone", "sink": "a sink", "piano": "a piano"}


def session_name(sess: Session) -> str:
    return f"'{sess.title}' ({sess.id})" if sess.title and sess.title != sess.id else sess.id


def room_label(room: Room) -> str:
    return f"{room.name} ({room.id})" if room.name and room.name != room.id else room.id


def feature(name: str) -> str:
    """A feature as a person says it: step_free -> step-free, hearing_loop -> hearing loop."""
    return ADJECTIVES.get(name) or name.replace("_", " ")


def features(names: frozenset[str] | set[str], joiner: str = "and") -> str:
    return and_join([feature(f) for f in sorted(names)], joiner)


def and_join(items: list[str], joiner: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def has_phrase(names: frozenset[str] | set[str]) -> str:
    """'is step-free and quiet and has a projector' (empty for no features)."""
    adjs = [ADJECTIVES[f] for f in sorted(names) if f in ADJECTIVES]
    nouns = [NOUNS.get(f, feature(f)) for f in sorted(names) if f not in ADJECTIVES]
    parts = ([f"is {and_join(adjs)}"] if adjs else []) + ([f"has {and_join(nouns)}"] if nouns else [])
    return " and ".join(parts)


def lacks_phrase(names: frozenset[str] | set[str]) -> str:
    """'is not quiet' / 'has no projector' / both."""
    adjs = [ADJECTIVES[f] for f in sorted(names) if f in ADJECTIVES]
    nouns = [NOUNS.get(f, feature(f)).removeprefix("a ") for f in sorted(names) if f not in ADJECTIVES]
    parts = ([f"is not {and_join(adjs, 'or')}"] if adjs else []) + ([f"has no {and_join(nouns, 'or')}"]
                                                                    if nouns else [])
    return " and ".join(parts)


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - unknown or malformed zone name: keep the slots' own offsets
        return None


def _local(text: str, zone: tzinfo | None) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is not None and zone is not None:
        when = when.astimezone(zone)
    return when


class Clock:
    """Local clock times of a problem's slots."""

    def __init__(self, problem: Problem) -> None:
        self._zone = _zone(problem.event.timezone) if problem.event.timezone else None
        self._order = {s.id: i for i, s in enumerate(problem.ordered_slots)}
        days = {self._local(s.start).date() for s in problem.slots}
        self._weekday = len(days) > 1

    def _local(self, text: str) -> datetime:
        return _local(text, self._zone)

    def _day(self, when: datetime) -> str:
        return f"{when:%a} " if self._weekday else ""

    def start(self, slot: Slot) -> str:
        """'14:00' (or 'Sat 14:00' over several days): what `/camp pin` takes as a time."""
        begin = self._local(slot.start)
        return f"{self._day(begin)}{begin:%H:%M}"

    def span(self, first: Slot, last: Slot | None = None) -> str:
        """'14:00–14:45' from the first slot's start to the last one's end."""
        begin, end = self._local(first.start), self._local((last or first).end)
        return f"{self._day(begin)}{begin:%H:%M}–{end:%H:%M}"

    def spans(self, slots: list[Slot]) -> str:
        """Several slots, runs of consecutive slots of one day merged: '10:00–11:45 and 14:00–14:45'."""
        runs: list[list[Slot]] = []
        for s in sorted(slots, key=lambda s: self._order[s.id]):
            if runs and self._order[runs[-1][-1].id] + 1 == self._order[s.id] and (
                    self._local(runs[-1][-1].start).date() == self._local(s.start).date()):
                runs[-1].append(s)
            else:
                runs.append([s])
        return and_join([self.span(run[0], run[-1]) for run in runs])

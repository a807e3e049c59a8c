"""The pitch board as one voter sees it: every active pitch, its count as the Slack card shows
it, whether this person is interested, and the voting window in the card's words.

Read-only. The web face's /pitches page is this data; the Slack face shows the same facts on
the pitch cards (campbot.slack.blocks.pitch_card), from the same rules: `counts_hidden` for
blind voting, `voting_closed_words` for why a vote is not taken now, `votes_used` for the
quota. So a count on the web and on a card of the same pitch are one number, read from one
table, at every moment.

Search is by words in the title, description, hosts' names and tags (case-insensitive, every
word must appear); the tag filter is exact. Filtering is done here in Python: a camp has at
most a few hundred pitches, and the whole list is read once per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from campbot.config.context import AppContext
from campbot.services.errors import NotFound
from campbot.services.voting import counts_hidden, votes_used, voting_closed_words, voting_state
from campbot.store.db import read_scope
from campbot.store.tables import Event, Person, Pitch, PitchHost, Vote

ON_SLACK = "someone on Slack"  # a Slack host whose name campbot has not been told


@dataclass(frozen=True)
class BoardPitch:
    id: int
    title: str
    description: str
    format: str
    length: int
    needs: tuple[str, ...]
    tags: tuple[str, ...]
    hosts: tuple[str, ...]
    votes: int  # the Slack card's count: votes from both faces
    paper_votes: int
    interested: bool  # this person's vote
    hosting: bool

    @property
    def interest(self) -> int:
        return self.votes + self.paper_votes


@dataclass(frozen=True)
class Board:
    event_name: str
    pitches: list[BoardPitch]  # after search and tag filter, in pitch order
    total: int  # active pitches before filtering
    tags: list[str]  # every tag in use, for the filter
    voting_open: bool
    closed_words: str | None  # why votes are not taken now, as the card says it; None when open
    counts_hidden: bool
    quota: int
    used: int

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def _matches(pitch: BoardPitch, words: list[str]) -> bool:
    haystack = " ".join([pitch.title, pitch.description, *pitch.hosts, *pitch.tags]).casefold()
    return all(w in haystack for w in words)


def pitch_board(ctx: AppContext, event_id: int, person_id: int, *, text: str = "", tag: str = "") -> Board:
    with read_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("The event is gone; ask an organiser to load it again.")
        now = ctx.now()
        pitches = db.exec(select(Pitch).where(Pitch.event_id == event_id, Pitch.status == "active")
                          .order_by(col(Pitch.id))).all()
        counts = dict(db.exec(select(Vote.pitch_id, func.count()).where(Vote.event_id == event_id)
                              .group_by(col(Vote.pitch_id))).all())
        mine = set(db.exec(select(Vote.pitch_id).where(Vote.event_id == event_id, Vote.person_id == person_id)).all())
        hosts: dict[int, list[tuple[int, str]]] = {}
        for host_row, person in db.exec(
            select(PitchHost, Person).join(Person, col(Person.id) == col(PitchHost.person_id))
            .join(Pitch, col(Pitch.id) == col(PitchHost.pitch_id))
            .where(Pitch.event_id == event_id, Pitch.status == "active")
        ).all():
            hosts.setdefault(host_row.pitch_id, []).append((host_row.person_id, person.display_name or ON_SLACK))
        items = []
        for p in pitches:
            assert p.id is not None
            who = sorted(hosts.get(p.id, []))
            items.append(BoardPitch(
                id=p.id, title=p.title, description=p.description, format=p.format, length=p.length,
                needs=tuple(p.needs), tags=tuple(p.tags), hosts=tuple(name for _, name in who),
                votes=int(counts.get(p.id, 0)), paper_votes=p.paper_votes, interested=p.id in mine,
                hosting=any(pid == person_id for pid, _ in who),
            ))
        state = voting_state(event, now)
        used = votes_used(db, event_id, person_id)
        all_tags = sorted({t for item in items for t in item.tags})
        words = text.casefold().split()
        wanted = tag.strip().lstrip("#").lower()
        shown = [i for i in items if _matches(i, words) and (not wanted or wanted in i.tags)]
        return Board(
            event_name=event.name, pitches=shown, total=len(items), tags=all_tags, voting_open=state.open,
            closed_words=None if state.open else voting_closed_words(state),
            counts_hidden=counts_hidden(event, now), quota=event.vote_quota, used=used,
        )

"""One person on Slack and on the web, over real signed HTTP: an attendee links their ticket by
sending campbot their personal link in a DM, or the organisers link everyone by email with
`/camp link-attendees` (users.list, paged, from the fake Slack)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from campbot.services import organising, voting
from campbot.services.attendee_links import personal_token, revoke, signing_key
from campbot.services.attendee_list import import_attendees
from campbot.services.attendees import list_attendees, voter_person_id
from campbot.slack.listeners.cards import wait_idle
from campbot.store.db import session_scope
from campbot.store.tables import Attendee, Event
from tests.e2e.conftest import BotServer
from tests.e2e.helpers import card_updates, pitch, replies, shown_count
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender, unique

ROSTER = "Name,Email,Ticket\nAda Lovelace,ada@example.org,T1\nGrace Hopper,Grace@Example.org,T2\n"
DM = "D0ADA"


def _dm(text: str, user: str = "U0ADA") -> dict[str, Any]:
    return {"type": "message", "channel": DM, "channel_type": "im", "user": user, "text": text,
            "ts": unique("1700000000."), "client_msg_id": unique("c-")}


def _link(bot: BotServer, event_id: int, email: str) -> tuple[int, str]:
    attendee = next(a for a in list_attendees(bot.ctx.engine, event_id) if a.email == email)
    key = signing_key(bot.ctx.engine, bot.ctx.settings.web_secret)
    return attendee.id, f"{bot.ctx.settings.public_url}/me/{personal_token(bot.ctx.engine, key, attendee.id)}"


def _answer(fake: FakeSlack, n: int = 1) -> str:
    calls = fake.wait_for("chat.postMessage", n, where=lambda c: c.params.get("channel") == DM)
    return str(calls[-1].params["text"])


def test_a_personal_link_sent_in_a_dm_makes_the_ticket_and_the_slack_user_one_voter(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert event.id is not None
    organising.set_voting(bot.ctx, event.id, open_=True, actor="test")
    import_attendees(bot.ctx.engine, event.id, ROSTER)
    ada, link = _link(bot, event.id, "ada@example.org")
    first, _ = pitch(slack, fake_slack, bot, title="Open data")
    second, _ = pitch(slack, fake_slack, bot, title="Mapping", user_id="U0HOST2")
    web_person = voter_person_id(bot.ctx.engine, ada)
    voting.toggle_vote_for_person(bot.ctx, event.id, web_person, first)  # on the web, before linking
    voting.toggle_vote(bot.ctx, event.id, "U0ADA", first)  # on Slack too: two votes for one pitch
    voting.toggle_vote(bot.ctx, event.id, "U0ADA", second)
    fake_slack.reset()

    assert slack.event(_dm(f"here is my link <{link}|{link}>")).status == 200  # as Slack wraps a pasted link

    answer = _answer(fake_slack)
    assert "Linked: the ticket of *Ada Lovelace* and this Slack account are one person" in answer
    assert "from the web count here too" not in answer  # its one web vote was one it had on Slack already
    assert voter_person_id(bot.ctx.engine, ada) != web_person  # the Slack user's Person now
    with session_scope(bot.ctx.engine) as db:
        person_id = db.exec(select(Attendee.person_id).where(Attendee.id == ada)).one()
        assert person_id is not None
        assert voting.votes_used(db, event.id, person_id) == 2  # one quota, both votes
    assert wait_idle(bot.ctx, 30)  # one person, one vote for "Open data": its card is redrawn with 1
    assert [shown_count(c) for c in card_updates(fake_slack, first)][-1:] == [1]

    assert slack.event(_dm(link)).status == 200  # again: nothing changes, and it says so
    assert "already linked" in _answer(fake_slack, 2)


def test_a_revoked_or_altered_link_links_nothing_and_says_what_to_do(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert event.id is not None
    import_attendees(bot.ctx.engine, event.id, ROSTER)
    ada, link = _link(bot, event.id, "ada@example.org")
    revoke(bot.ctx.engine, event.id, ada)

    assert slack.event(_dm(f"<{link}>")).status == 200
    assert "That link does not work (any more)" in _answer(fake_slack)
    assert slack.event(_dm(f"<{link[:-3]}abc>")).status == 200  # a forged signature
    assert "That link does not work (any more)" in _answer(fake_slack, 2)
    with session_scope(bot.ctx.engine) as db:
        assert db.exec(select(Attendee.slack_user_id).where(Attendee.id == ada)).one() is None
    assert slack.event(_dm("how do I pitch?")).status == 200  # no link: the usual help
    assert "`/pitch`" in _answer(fake_slack, 3)


def test_organisers_link_everyone_by_email_across_pages_of_members(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    assert event.id is not None
    import_attendees(bot.ctx.engine, event.id, ROSTER)
    people = {f"U0M{n:04d}": f"member{n}@example.org" for n in range(450)}  # three pages of 200
    people["U0ADA"], people["U0GRACE"] = "ada@example.org", "grace@example.org"  # Slack's own spelling
    fake_slack.users.update({uid: {"id": uid, "profile": {"email": email}} for uid, email in people.items()})
    fake_slack.users["U0BOTX"] = {"id": "U0BOTX", "is_bot": True, "profile": {"email": "ada@example.org"}}

    assert slack.command("/camp", "link-attendees", user_id="U0ATTENDEE").status == 200
    fake_slack.wait_for("response_url", 1)
    assert replies(fake_slack)[-1].startswith("Sorry, only the camp's organisers")
    assert fake_slack.calls_to("users.list") == []  # the role is checked on our side first

    assert slack.command("/camp", "link-attendees", user_id="U0ORGANISE1").status == 200
    fake_slack.wait_for("response_url", 2)
    reply = replies(fake_slack)[-1]
    assert "Linked 2 attendee(s)" in reply and "450 member(s) are on no ticket" in reply, reply
    assert len(fake_slack.calls_to("users.list")) == 3
    with session_scope(bot.ctx.engine) as db:
        linked = dict(db.exec(select(Attendee.email, Attendee.slack_user_id)).all())
    assert linked == {"ada@example.org": "U0ADA", "grace@example.org": "U0GRACE"}

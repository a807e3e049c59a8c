"""Text that can never be saved, or would show nothing, is refused beside its field with the
character to remove; numbers too big to be ids get a plain answer; per-person and per-pitch
limits refuse plainly. Through signed requests to the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from campbot.services.pitching import list_pitches
from campbot.store.tables import Event
from tests.e2e.conftest import ORGANISER, BotServer
from tests.e2e.helpers import card_posts, pitch, replies
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

HOST = "U0HOST1"


def _open_modal(slack: SlackSender, fake: FakeSlack) -> dict:
    before = len(fake.calls_to("views.open"))
    slack.command("/pitch", user_id=HOST)
    return fake.wait_for("views.open", before + 1)[-1].params["view"]


UNSAVABLE_OR_INVISIBLE = [
    ("Bins \ud800 and roads", "U+D800"),  # a lone surrogate: cannot be encoded, on any database
    ("Bins\x00roads", "U+0000"),  # NUL: PostgreSQL refuses it, SQLite would store it and post it
    ("Bins\x07roads", "U+0007"),  # another control character
    ("\u200b\u200b\u200d", "invisible"),  # only zero-width characters
    ("\u200f", "invisible"),  # a lone right-to-left mark
    ("\u3164\u2800", "invisible"),  # blank-looking letters
]


def test_unsavable_or_invisible_titles_get_a_field_error(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    view = _open_modal(slack, fake_slack)
    for title, must_name in UNSAVABLE_OR_INVISIBLE:
        sent = slack.submit_view(view, {"title": title, "format": "discussion", "length": "1"}, user_id=HOST)
        assert sent.status == 200
        body = sent.json()
        assert body["response_action"] == "errors"
        assert must_name in body["errors"]["title"], (title, body)
        assert "try again" not in body["errors"]["title"].lower()  # retrying could never fix it
    bot.settle()
    assert event.id is not None
    assert list_pitches(bot.ctx, event.id, statuses=None) == []
    assert card_posts(fake_slack) == []


def test_a_nul_in_the_description_is_refused_but_newlines_are_fine(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    view = _open_modal(slack, fake_slack)
    answers = {"title": "Roads", "description": "line one\x00", "format": "discussion", "length": "1"}
    body = slack.submit_view(view, answers, user_id=HOST).json()
    assert "U+0000" in body["errors"]["description"]
    pid, _ = pitch(slack, fake_slack, bot, user_id=HOST, title="Roads", description="line one\nline two\tend")
    assert event.id is not None
    assert [p.id for p in list_pitches(bot.ctx, event.id)] == [pid]


def test_paper_pitches_share_the_checks_and_the_host_limit(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    names = ", ".join(f"Person {i}" for i in range(300))
    slack.command("/camp", f'paper "Big panel" by {names} votes 3', user_id=ORGANISER)
    fake_slack.wait_for("response_url")
    assert "at most 6 hosts" in replies(fake_slack)[-1] and "Nothing was added" in replies(fake_slack)[-1]
    slack.command("/camp", 'paper "\u200b\u200e" by Sam votes 3', user_id=ORGANISER)
    fake_slack.wait_for("response_url", 2)
    assert "invisible" in replies(fake_slack)[-1]
    bot.settle()
    assert event.id is not None
    assert list_pitches(bot.ctx, event.id, statuses=None) == []


def test_one_person_has_a_plain_pitch_limit(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    bot.ctx.settings.pitches_per_person = 2
    for n in range(2):
        pitch(slack, fake_slack, bot, user_id=HOST, title=f"Talk {n}")
    view = _open_modal(slack, fake_slack)
    body = slack.submit_view(view, {"title": "Talk 3", "format": "discussion", "length": "1"}, user_id=HOST).json()
    assert body["response_action"] == "errors"
    assert "2 active pitches" in body["errors"]["title"] and "Withdraw one" in body["errors"]["title"]
    assert event.id is not None
    assert len(list_pitches(bot.ctx, event.id)) == 2


def test_a_co_host_list_over_the_limit_is_refused(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    view = _open_modal(slack, fake_slack)
    answers = {"title": "Crowd", "format": "discussion", "length": "1", "cohosts": [f"U0CO{i}" for i in range(6)]}
    body = slack.submit_view(view, answers, user_id=HOST).json()
    assert "at most 6 hosts" in body["errors"]["cohosts"]


def test_pin_with_an_impossible_number_answers_plainly(
    slack: SlackSender, fake_slack: FakeSlack, bot: BotServer, event: Event
) -> None:
    refs = ["99999999999999999999", "#99999999999999999999", "p²", "2147483648"]
    for n, ref in enumerate(refs, start=1):
        slack.command("/camp", f"pin {ref} r1 t1", user_id=ORGANISER)
        fake_slack.wait_for("response_url", n)
        answer = replies(fake_slack)[-1]
        assert "No active pitch matches" in answer, (ref, answer)
        assert "went wrong" not in answer

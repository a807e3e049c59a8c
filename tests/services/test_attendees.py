"""Attendees: the ticket-list import, personal links, and one voter across Slack and the web.

Real database (SQLite by default, PostgreSQL with CAMPBOT_TEST_DATABASE_URL); the CSV files
are written the way ticketing exports and spreadsheets really write them.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from campbot.config.context import AppContext
from campbot.services.attendee_links import (
    attendee_for_token,
    link_email,
    make_token,
    personal_link,
    personal_token,
    revoke,
    signing_key,
)
from campbot.services.attendee_list import ImportRefused, decode_csv, import_attendees
from campbot.services.attendees import (
    AlreadyLinked,
    link_slack_by_email,
    link_slack_user,
    list_attendees,
    voter_person_id,
)
from campbot.services.errors import ServiceError
from campbot.services.pitch_input import PitchInput
from campbot.services.pitching import create_pitch
from campbot.services.voting import OverQuota, toggle_vote, toggle_vote_for_person, votes_used
from campbot.store.db import make_engine, session_scope
from campbot.store.tables import Attendee, Event, Person, Vote

MESSY = (
    "\ufeffLocalGovCamp 2026 attendees;;;\r\n"  # a title line above the header, as some exports have
    "First Name;Last Name;Email Address;Ticket Reference\r\n"
    "Ada;Lovelace; ADA@Example.ORG ;LGC-1\r\n"
    "\r\n"
    "Grace;Hopper;grace@example.org;LGC-2\r\n"
    ";;;\r\n"
    "Grace;Hopper;grace@example.org;LGC-2\r\n"  # the same row twice: read once
    "Bob;Jones;bob at example.org;LGC-3\r\n"  # not an email address
    ";;nameless@example.org;LGC-4\r\n"  # no name
    "Chloé;\"O'Brien; jr\";chloe@example.org;LGC-5\r\n"  # a quoted cell with the delimiter in it
    "Sam;Shared;ada@example.org;LGC-6\r\n"  # a second ticket on Ada's email
    "Tom;Twice;tom@example.org;LGC-2\r\n"  # Grace's ticket reference again, another email
)


def emails(ctx: AppContext, event_id: int) -> list[str]:
    return sorted(a.email for a in list_attendees(ctx.engine, event_id))


def test_a_messy_export_imports_its_good_rows_and_says_why_not_the_others(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    report = import_attendees(ctx.engine, event.id, decode_csv(MESSY.encode("utf-8")))
    assert report.columns == {"name": "First Name + Last Name", "email": "Email Address",
                              "ticket reference": "Ticket Reference"}
    assert [n.line for n in report.added] == [3, 5, 10]
    assert [(n.line, n.text) for n in report.duplicates] == [(7, "same as line 5")]
    reasons = {n.line: n.text for n in report.rejected}
    assert sorted(reasons) == [8, 9, 11, 12]
    assert "'bob at example.org' is not an email address" in reasons[8]
    assert reasons[9].startswith("no name (the First Name + Last Name cell is empty)")
    assert "ada@example.org is also on line 3 (ticket LGC-1)" in reasons[11]
    assert "ticket reference LGC-2 is also on line 5 (for grace@example.org)" in reasons[12]
    people = {a.email: a for a in list_attendees(ctx.engine, event.id)}
    assert sorted(people) == ["ada@example.org", "chloe@example.org", "grace@example.org"]
    assert people["chloe@example.org"].name == "Chloé O'Brien; jr"
    assert people["ada@example.org"].ticket_ref == "LGC-1"


def test_comma_files_with_order_numbers_and_plain_headers(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    text = 'Order #,Name,E-mail\n1001,"Jones, Priya",priya@example.org\n1002,Lee Wong,lee@example.org\n'
    report = import_attendees(ctx.engine, event.id, text)
    assert report.columns == {"name": "Name", "email": "E-mail", "ticket reference": "Order #"}
    assert len(report.added) == 2 and not report.rejected
    refs = {a.name: a.ticket_ref for a in list_attendees(ctx.engine, event.id)}
    assert refs == {"Jones, Priya": "1001", "Lee Wong": "1002"}
    # no ticket column at all: email is the identity
    report = import_attendees(ctx.engine, event.id, "Full Name\tEmail\nLee Wong\tLEE@example.org\n")
    assert report.unchanged == 1 and not report.added


def test_reimport_never_duplicates_and_updates_what_changed(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    first = "Name,Email,Ticket Reference\nAda Lovelace,ada@example.org,T1\nGrace Hopper,grace@example.org,T2\n"
    import_attendees(ctx.engine, event.id, first)
    again = import_attendees(ctx.engine, event.id, first)
    assert (len(again.added), len(again.updated), again.unchanged, again.rejected) == (0, 0, 2, [])
    key = signing_key(ctx.engine, None)
    grace = next(a for a in list_attendees(ctx.engine, event.id) if a.ticket_ref == "T2")
    old_token = make_token(key, grace)

    changed = ("Name,Email,Ticket Reference\nAda King,ada@example.org,T1\n"
               "Grace's colleague,colleague@example.org,T2\nAlan Turing,alan@example.org,T3\n")
    report = import_attendees(ctx.engine, event.id, changed)
    assert [n.text for n in report.added] == ["Alan Turing <alan@example.org>"]
    updated = {n.line: n.text for n in report.updated}
    assert updated[2] == "Ada King: name was 'Ada Lovelace'"
    assert "email grace@example.org -> colleague@example.org; the earlier link no longer works" in updated[3]
    assert emails(ctx, event.id) == ["ada@example.org", "alan@example.org", "colleague@example.org"]
    # the ticket changed hands: the old holder's link no longer opens it
    assert attendee_for_token(ctx.engine, key, old_token) is None
    with session_scope(ctx.engine) as db:
        assert db.exec(select(func.count()).select_from(Attendee)).one() == 3

    shorter = import_attendees(ctx.engine, event.id, "Name,Email,Ticket Reference\nAlan Turing,alan@example.org,T3\n")
    assert shorter.unchanged == 1 and shorter.not_in_file == 2  # kept, and said
    assert len(list_attendees(ctx.engine, event.id)) == 3


def test_excel_unicode_text_is_read(ctx: AppContext, event: Event) -> None:
    """Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated."""
    assert event.id is not None
    data = "First Name\tLast Name\tEmail\r\nZoë\tÅström\tzoe@example.org\r\n".encode("utf-16")
    report = import_attendees(ctx.engine, event.id, decode_csv(data))
    assert [n.text for n in report.added] == ["Zoë Åström <zoe@example.org>"]


def test_imports_and_first_visits_at_the_same_moment_make_one_of_each(ctx: AppContext, event: Event) -> None:
    """Two organisers importing the same list at once, then eight requests of one attendee's first
    visit at once: one row per attendee, one Person for the attendee (rows are locked, not raced)."""
    from concurrent.futures import ThreadPoolExecutor

    assert event.id is not None
    event_id = event.id
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: import_attendees(ctx.engine, event_id, ROSTER), range(4)))
    assert sorted(len(r.added) for r in reports) == [0, 0, 0, 3]
    assert len(list_attendees(ctx.engine, event_id)) == 3
    ada = _attendee(ctx, event_id, "ada@example.org")
    with ThreadPoolExecutor(8) as pool:
        people = set(pool.map(lambda _: voter_person_id(ctx.engine, ada), range(8)))
    assert len(people) == 1
    with session_scope(ctx.engine) as db:
        assert db.exec(select(func.count()).select_from(Person).where(Person.slack_user_id == None)).one() == 1  # noqa: E711


def test_a_dry_run_writes_nothing(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    report = import_attendees(ctx.engine, event.id, "Name,Email\nAda,ada@example.org\n", dry_run=True)
    assert len(report.added) == 1 and report.written is False
    assert list_attendees(ctx.engine, event.id) == []


@pytest.mark.parametrize(("data", "words"), [
    (b"PK\x03\x04rest-of-a-zip", "spreadsheet file (.xlsx/.xls), not CSV"),
    ("Name,Email\nJosé,jose@example.org\n".encode("cp1252"), "not UTF-8 text (byte 0xE9 on line 2)"),
    (b"Name,Phone\nAda,0123\n", "no header row with a name and an email column"),
    (b"Name,Email\nAda,ada@example.org\n\"Bob,bob@example.org\n", "line 3 cannot be read as CSV"),
    (b"Name,Email\nAda\x00,ada@example.org\n", "NUL bytes"),
    (b"\xef\xbb\xbf\r\n\r\n", "the file is empty"),
])
def test_an_unusable_file_is_refused_whole(ctx: AppContext, event: Event, data: bytes, words: str) -> None:
    assert event.id is not None
    with pytest.raises(ImportRefused, match=words.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        import_attendees(ctx.engine, event.id, decode_csv(data))
    assert list_attendees(ctx.engine, event.id) == []


def test_text_that_cannot_be_stored_is_a_rejected_row(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    text = f"Name,Email\nAda\u0007Bell,ada@example.org\n{'x' * 201},long@example.org\nOk,ok@example.org\n"
    report = import_attendees(ctx.engine, event.id, text)
    reasons = {n.line: n.text for n in report.rejected}
    assert "U+0007" in reasons[2]
    assert "201 characters long, more than 200" in reasons[3]
    assert emails(ctx, event.id) == ["ok@example.org"]


# --------------------------------------------------------------------------- links


def _one(ctx: AppContext, event_id: int, csv_text: str = "Name,Email,Ticket\nAda,ada@example.org,T1\n") -> int:
    import_attendees(ctx.engine, event_id, csv_text)
    return list_attendees(ctx.engine, event_id)[0].id


def test_a_token_opens_one_attendee_and_nothing_altered(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    aid = _one(ctx, event.id)
    key = signing_key(ctx.engine, None)
    token = personal_token(ctx.engine, key, aid)
    assert personal_token(ctx.engine, key, aid) == token  # stable until revoked
    found = attendee_for_token(ctx.engine, key, token)
    assert found is not None and found.email == "ada@example.org"
    assert personal_link("https://camp.example.org/", token) == f"https://camp.example.org/me/{token}"

    ident, version, mac = token.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in (f"{ident}.{version}.{flipped}", f"{int(ident) + 1}.{version}.{mac}",
                f"{ident}.{int(version) + 1}.{mac}", token + "x", "", "../../etc/passwd", f"{ident}.{version}",
                "1.1." + "A" * 32):
        assert attendee_for_token(ctx.engine, key, bad) is None, bad
    assert attendee_for_token(ctx.engine, b"another key entirely", token) is None


def test_revoking_stops_the_old_link_and_issues_a_new_one(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    aid = _one(ctx, event.id)
    key = signing_key(ctx.engine, None)
    old = personal_token(ctx.engine, key, aid)
    renewed = revoke(ctx.engine, event.id, aid)
    new = make_token(key, renewed)
    assert new != old
    assert attendee_for_token(ctx.engine, key, old) is None
    assert attendee_for_token(ctx.engine, key, new) is not None
    assert personal_token(ctx.engine, key, aid) == new


def test_the_generated_secret_survives_a_restart_and_a_configured_one_wins(ctx: AppContext, database_url: str) -> None:
    first = signing_key(ctx.engine, None)
    assert len(first) >= 32
    restarted = make_engine(database_url)  # another process, same database
    try:
        assert signing_key(restarted, None) == first
    finally:
        restarted.dispose()
    configured = SecretStr("a-configured-secret-of-enough-length")
    assert signing_key(ctx.engine, configured) == b"a-configured-secret-of-enough-length"
    with pytest.raises(ServiceError, match="CAMPBOT_WEB_SECRET is too short"):
        signing_key(ctx.engine, SecretStr("short"))


# --------------------------------------------------------------------------- one person, one quota

ROSTER = ("Name,Email,Ticket\nAda Lovelace,ada@example.org,T1\nGrace Hopper,grace@example.org,T2\n"
          "Alan Turing,alan@example.org,T3\n")


def _attendee(ctx: AppContext, event_id: int, email: str) -> int:
    return next(a.id for a in list_attendees(ctx.engine, event_id) if a.email == email)


def _open_voting(ctx: AppContext, event_id: int, quota: int) -> None:
    with session_scope(ctx.engine) as db:
        event = db.get(Event, event_id)
        assert event is not None
        event.voting_status, event.voting_opens_at, event.voting_closes_at, event.vote_quota = "open", None, None, quota
        db.add(event)


def test_slack_users_are_linked_by_their_profile_email(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    import_attendees(ctx.engine, event.id, ROSTER)
    report = link_slack_by_email(ctx.engine, event.id, [("U0ADA", "Ada@Example.org"), ("U0NOBODY", "x@example.org"),
                                                         ("U0BOT", None), ("U0GRACE", "grace@example.org")])
    assert sorted(report.linked) == [("Ada Lovelace", "U0ADA"), ("Grace Hopper", "U0GRACE")]
    assert report.unmatched == 2 and report.problems == []
    again = link_slack_by_email(ctx.engine, event.id, [("U0ADA", "ada@example.org"), ("U0OTHER", "grace@example.org")])
    assert again.already == 1 and again.linked == []
    assert again.problems == ["grace@example.org: Grace Hopper is already linked to another Slack account"]
    ada = _attendee(ctx, event.id, "ada@example.org")
    with session_scope(ctx.engine) as db:  # the attendee votes as the Slack user's own Person row
        person = db.get(Person, voter_person_id(ctx.engine, ada))
        assert person is not None and person.slack_user_id == "U0ADA"


def test_a_person_links_themselves_and_keeps_one_quota(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    _open_voting(ctx, event.id, quota=3)
    pitches = [create_pitch(ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}")).id for i in range(4)]
    import_attendees(ctx.engine, event.id, ROSTER)
    ada = _attendee(ctx, event.id, "ada@example.org")

    web = voter_person_id(ctx.engine, ada)
    assert voter_person_id(ctx.engine, ada) == web  # made once
    toggle_vote_for_person(ctx, event.id, web, pitches[0])
    toggle_vote_for_person(ctx, event.id, web, pitches[1])
    toggle_vote(ctx, event.id, "U0ADA", pitches[1])  # the same pitch, from Slack, before linking
    toggle_vote(ctx, event.id, "U0ADA", pitches[2])

    result = link_slack_user(ctx.engine, ada, "U0ADA")
    assert result.changed and result.votes_moved == 1 and result.votes_dropped == []
    assert result.pitch_ids == [pitches[1]]  # its count went from 2 to 1: that card is redrawn
    slack_person = voter_person_id(ctx.engine, ada)
    with session_scope(ctx.engine) as db:
        assert db.get(Person, web) is None  # the web-only person is gone, its votes moved
        assert db.get(Person, slack_person).slack_user_id == "U0ADA"  # type: ignore[union-attr]
        assert votes_used(db, event.id, slack_person) == 3
        voted = sorted(v.pitch_id for v in db.exec(select(Vote).where(Vote.person_id == slack_person)))
    assert voted == pitches[:3]
    # one quota, whichever face the vote comes from
    with pytest.raises(OverQuota):
        toggle_vote(ctx, event.id, "U0ADA", pitches[3])
    with pytest.raises(OverQuota):
        toggle_vote_for_person(ctx, event.id, slack_person, pitches[3])
    assert toggle_vote_for_person(ctx, event.id, slack_person, pitches[0]).used == 2  # a web un-vote frees one
    assert toggle_vote(ctx, event.id, "U0ADA", pitches[3]).used == 3  # which Slack can spend

    assert link_slack_user(ctx.engine, ada, "U0ADA").changed is False
    with pytest.raises(AlreadyLinked):
        link_slack_user(ctx.engine, ada, "U0SOMEONE")
    with pytest.raises(AlreadyLinked):
        link_slack_user(ctx.engine, _attendee(ctx, event.id, "grace@example.org"), "U0ADA")


def test_linking_past_the_quota_drops_the_newest_web_votes_and_says_which(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    _open_voting(ctx, event.id, quota=2)
    pitches = [create_pitch(ctx, event.id, f"U0HOST{i}", PitchInput(title=f"Talk {i}")).id for i in range(4)]
    import_attendees(ctx.engine, event.id, ROSTER)
    alan = _attendee(ctx, event.id, "alan@example.org")
    web = voter_person_id(ctx.engine, alan)
    toggle_vote_for_person(ctx, event.id, web, pitches[0])
    toggle_vote_for_person(ctx, event.id, web, pitches[1])
    toggle_vote(ctx, event.id, "U0ALAN", pitches[2])
    result = link_slack_user(ctx.engine, alan, "U0ALAN")
    assert result.votes_moved == 1 and result.votes_dropped == ["Talk 1"]
    with session_scope(ctx.engine) as db:
        person = db.exec(select(Person).where(Person.slack_user_id == "U0ALAN")).one()
        assert sorted(v.pitch_id for v in db.exec(select(Vote).where(Vote.person_id == person.id))) == [
            pitches[0], pitches[2]]


def test_the_link_email_carries_the_link_and_escapes_the_name(ctx: AppContext, event: Event) -> None:
    assert event.id is not None
    import_attendees(ctx.engine, event.id, 'Name,Email\n"<b>Bobby</b> ""Tables"", Jr",bobby@example.org\n')
    bobby = list_attendees(ctx.engine, event.id)[0]
    link = "https://camp.example.org/me/1.1.abc?x=<y>&z"
    message = link_email(event_name="Camp & Co", attendee=bobby, link=link, sender="Camp <camp@example.org>")
    assert message["Subject"] == "Your personal link for Camp & Co"
    assert "bobby@example.org" in message["To"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert link in text and '<b>Bobby</b> "Tables", Jr' in text
    assert "&lt;b&gt;Bobby&lt;/b&gt;" in html and "<b>" not in html
    assert 'href="https://camp.example.org/me/1.1.abc?x=&lt;y&gt;&amp;z"' in html
    assert "Camp &amp; Co" in html


def test_a_camp_that_leaves_takes_its_attendees(ctx: AppContext, event: Event) -> None:
    from campbot.slack.installations import forget_team

    assert event.id is not None
    with session_scope(ctx.engine) as db:
        row = db.get(Event, event.id)
        assert row is not None
        row.team_id = "T0LEAVING"
        db.add(row)
    import_attendees(ctx.engine, event.id, ROSTER)
    link_slack_user(ctx.engine, _attendee(ctx, event.id, "ada@example.org"), "U0ADA")
    forget_team(ctx, "T0LEAVING")
    with session_scope(ctx.engine) as db:
        assert db.exec(select(func.count()).select_from(Attendee)).one() == 0
        assert db.get(Event, event.id) is None

"""campbot.slack.slack_text: Slack's escaped text and mention tokens, read once into what people meant."""

from __future__ import annotations

import pytest

from campbot.slack.escape import escape
from campbot.slack.slack_text import PersonRef, Ref, decode_entities, parse, person_ref


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("Tea &amp; biscuits &lt;3", "Tea & biscuits <3"),
        ("a &gt; b &amp;&amp; c", "a > b && c"),
        ("&amp;lt; typed literally", "&lt; typed literally"),  # decoded once, not twice
        ("&amp;amp;", "&amp;"),
        ("Caf\u00e9 &quot;x&quot; &#39;y&#39;", "Caf\u00e9 &quot;x&quot; &#39;y&#39;"),  # Slack never sends these
        ("", ""),
    ],
)
def test_entities_are_decoded_exactly_once(sent: str, meant: str) -> None:
    assert decode_entities(sent) == meant
    assert parse(sent).plain == meant.strip()


def test_decoding_then_escaping_gives_back_what_slack_sent() -> None:
    sent = "Tea &amp; biscuits &lt;3 &gt;_&lt;"
    assert escape(parse(sent).plain) == sent


@pytest.mark.parametrize(
    ("token", "ref", "readable"),
    [
        ("<@U0GONE|gone.host>", Ref("user", "U0GONE", "gone.host"), "@gone.host"),
        ("<@W0GRID>", Ref("user", "W0GRID", ""), "@W0GRID"),
        ("<#C0PITCH|pitches>", Ref("channel", "C0PITCH", "pitches"), "#pitches"),
        ("<#C0PITCH>", Ref("channel", "C0PITCH", ""), "#C0PITCH"),
        ("<!subteam^S0ORG|@organisers>", Ref("usergroup", "S0ORG", "organisers"), "@organisers"),
        ("<!subteam^S0ORG>", Ref("usergroup", "S0ORG", ""), "@S0ORG"),
        ("<!here>", Ref("special", "here", "@here"), "@here"),
        ("<!channel|channel>", Ref("special", "channel", "@channel"), "@channel"),
        ("<!date^1392734382^{date}|Feb 18th, 2014>", Ref("special", "date", "Feb 18th, 2014"), "Feb 18th, 2014"),
        ("<https://example.org/a?b=1&amp;c=2|the site>", Ref("link", "https://example.org/a?b=1&c=2", "the site"),
         "the site"),
        ("<mailto:a@example.org>", Ref("link", "mailto:a@example.org", ""), "mailto:a@example.org"),
    ],
)
def test_tokens_are_read_with_their_ids_and_labels(token: str, ref: Ref, readable: str) -> None:
    parsed = parse(f"x {token} y")
    assert parsed.refs == [ref]
    assert parsed.plain == f"x {readable} y"


def test_an_escaped_angle_bracket_typed_by_a_person_is_never_a_mention() -> None:
    parsed = parse("&lt;@U0FAKE&gt; and &lt;!channel&gt;")
    assert parsed.refs == []
    assert parsed.plain == "<@U0FAKE> and <!channel>"
    assert person_ref(parsed) == PersonRef(None, "<@U0FAKE> and <!channel>")


def test_labels_are_decoded_too() -> None:
    assert parse("<@U1|Tom &amp; Jerry>").refs == [Ref("user", "U1", "Tom & Jerry")]


def test_text_that_never_went_through_slack_is_not_decoded() -> None:
    assert parse("R&amp;D <@U0GONE|a&amp;b>", escaped=False).plain == "R&amp;D @a&amp;b"


@pytest.mark.parametrize(
    ("sent", "who"),
    [
        ("<@U0GONE|gone.host>", PersonRef("U0GONE", "gone.host")),
        ("  <@U0GONE|gone.host>  ", PersonRef("U0GONE", "gone.host")),
        ("<@U0GONE>", PersonRef("U0GONE", "")),
        ("@gone.host", PersonRef(None, "gone.host")),
        ("Gone   Host", PersonRef(None, "Gone Host")),
        ("U0GONE123", PersonRef("U0GONE123", "U0GONE123")),
        ("WALLY", PersonRef(None, "WALLY")),  # no digit: a name, not an id
        ("Sam &amp; Co", PersonRef(None, "Sam & Co")),
        ("", None),
        ("  @ ", None),
    ],
)
def test_person_ref_accepts_a_mention_a_name_or_an_id(sent: str, who: PersonRef | None) -> None:
    assert person_ref(parse(sent)) == who


def test_two_mentions_are_not_one_person() -> None:
    who = person_ref(parse("<@U1|ann> <@U2|bob>"))
    assert who == PersonRef(None, "ann @bob")


def test_names_are_filled_in_for_mentions_sent_without_one() -> None:
    parsed = parse("<@U1> and <@U2|bob>")
    assert parsed.unlabelled_users() == ["U1"]
    named = parsed.with_user_names({"U1": "Ann"}.get)
    assert named.plain == "@Ann and @bob"
    assert person_ref(parse("<@U9>").with_user_names(lambda _: None)) == PersonRef("U9", "")
    assert PersonRef("U9", "").shown == "that person"


@pytest.mark.parametrize(
    ("sent", "word", "rest"),
    [
        ("host-gone <@U1|ann>", "host-gone", "@ann"),
        ("  PAPER   \"Tea &amp; cake\" by Sam", "paper", "\"Tea & cake\" by Sam"),
        ("status", "status", ""),
        ("", "", ""),
        ("   ", "", ""),
        ("voting\nopen", "voting", "open"),
        ("<@U1|ann> hi", "@ann", "hi"),
    ],
)
def test_the_first_word_is_split_off_and_the_rest_keeps_its_tokens(sent: str, word: str, rest: str) -> None:
    first, remainder = parse(sent).split_first_word()
    assert (first, remainder.plain) == (word, rest)
    assert [r.id for r in remainder.refs] == [r.id for r in parse(sent).refs if r.readable.lower() != first]

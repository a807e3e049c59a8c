"""The character checks behind every pitch field (campbot.services.text_checks)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from campbot.services.pitch_input import check_paper_pitch, title_error
from campbot.services.text_checks import invisible, small_number, text_problem, unsavable_character


def test_names_the_character_and_where_it_is() -> None:
    assert unsavable_character("ab\x00c") == "remove the control character U+0000 (NUL) at position 3"
    assert "U+DC80" in (unsavable_character("x\udc80") or "") and "position 2" in (unsavable_character("x\udc80") or "")
    assert unsavable_character("tab\there") is not None
    assert unsavable_character("tab\there\nnext", multiline=True) is None
    assert unsavable_character("Café ☕ 東京 مرحبا") is None


def test_invisible_only_text() -> None:
    assert invisible("\u200b\u200c\u200d\ufeff") and invisible("\u200f") and invisible(" \u00a0 ")
    assert not invisible("\u200fمرحبا") and not invisible("e\u0301") and not invisible("🙂")
    assert text_problem("\u200e", "title", required=True) is not None
    assert text_problem("\u200e", "title") is None  # optional fields may be blank


def test_small_numbers() -> None:
    assert small_number("12", most=100) == 12 and small_number("#7", most=100) == 7
    for bad in ("99999999999999999999", "²", "١٢", "-1", "1e3", "", "101"):
        assert small_number(bad, most=100) is None, bad


def test_paper_and_modal_share_the_title_rule() -> None:
    assert check_paper_pitch("\u200b", ["Sam"], 0, "")["title"] == title_error("\u200b")
    assert "hosts" in check_paper_pitch("Fine", [f"P{i}" for i in range(7)], 0, "")


@given(st.text(max_size=120))
def test_any_title_is_either_fine_or_refused_with_words(title: str) -> None:
    problem = title_error(title)
    if problem is None:
        clean = title.strip()
        clean.encode("utf-8")  # saveable everywhere
        assert "\x00" not in clean and not invisible(clean) and 0 < len(clean) <= 80
    else:
        assert problem.endswith(".") and len(problem) < 200

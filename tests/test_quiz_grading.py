"""grade() semantics: jupyterquiz-compatible numeric ranges/precision, strings, choices, ordering."""

from __future__ import annotations

import pytest

from vpnlearn.errors import ConfigError
from vpnlearn.quiz.grading import grade, levenshtein, parse_number, round_sig
from vpnlearn.quiz.model import Question


def q(**kw) -> Question:
    base = {"id": "t-q", "topic": "crypto", "difficulty": "easy", "question": "?", "explanation": "because",
            "source": "RFC 7296 §1"}
    base.update(kw)
    return Question.from_dict(base)


RANGE = q(type="numeric", answers=[
    {"type": "range", "range": [900, 3600], "correct": True, "feedback": "in range"},
    {"type": "value", "value": 3600, "correct": False, "feedback": "upper end is excluded"},
    {"type": "default", "feedback": "default fb"},
])


@pytest.mark.parametrize("x,ok,fb", [
    (900, True, "in range"),            # lower end included
    (899.999, False, "default fb"),
    (3599.5, True, "in range"),
    (3600, False, "upper end is excluded"),  # upper end excluded, falls to the next entry
    (5000, False, "default fb"),
])
def test_range_is_half_open_and_first_match_wins(x, ok, fb):
    r = grade(RANGE, x)
    assert (r.correct, r.feedback) == (ok, fb)
    assert r.score == (1.0 if ok else 0.0)


def test_precision_rounds_to_significant_digits_like_javascript():
    pi = q(type="numeric", precision=3, answers=[{"type": "value", "value": 3.14159, "correct": True}])
    assert grade(pi, "3.14").correct
    assert grade(pi, "3.1416").correct
    assert not grade(pi, "3.15").correct
    assert round_sig(1446.0, 2) == 1400.0
    assert round_sig(0.012345, 2) == 0.012
    exact = q(type="numeric", answers=[{"type": "value", "value": 3.14159, "correct": True}])
    assert not grade(exact, "3.14").correct


@pytest.mark.parametrize("text,value", [("3600", 3600.0), (" 1.5e3 ", 1500.0), ("3/4", 0.75),
                                        ("-2", -2.0), ("28,800", 28800.0), (64, 64.0)])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1/0", "nan", "inf", True])
def test_parse_number_rejects(text):
    with pytest.raises(ConfigError):
        parse_number(text, question_id="x")


def test_string_case_fuzzy_and_default():
    s = q(type="string", answers=[
        {"answer": "IKE_SA_INIT", "correct": True, "feedback": "yes"},
        {"answer": "IKE_AUTH", "correct": False, "match_case": True,
         "feedback": "that is the second exchange"},
        {"type": "default", "feedback": "no"},
    ])
    assert grade(s, "  ike_sa_init ").correct
    assert grade(s, "IKE_AUTH").feedback == "that is the second exchange"
    assert grade(s, "ike_auth").feedback == "no"      # match_case: other case does not match
    assert not grade(s, "IKE_SA_INIT_X").correct       # no fuzzy threshold
    fuzzy = q(type="string", answers=[{"answer": "transport", "correct": True, "fuzzy_threshold": 0.8}])
    r = grade(fuzzy, "transpot")      # 1 edit in 9: 0.89 >= 0.8
    assert r.correct and "Close enough" in r.feedback
    assert not grade(fuzzy, "trasnport").correct  # 2 edits in 9: 0.78 < 0.8
    assert not grade(fuzzy, "tunnel").correct
    assert levenshtein("kitten", "sitting") == 3
    with pytest.raises(ConfigError):
        grade(s, 5)


def test_multiple_choice_by_index_or_text_and_errors():
    mc = q(type="multiple_choice", answers=[{"answer": "A", "correct": False, "feedback": "no A"},
                                            {"answer": "B", "correct": True}])
    assert grade(mc, 1).correct and grade(mc, "B").correct
    assert grade(mc, 0).feedback == "no A"
    for bad in (2, -1, "C", True, 1.0):
        with pytest.raises(ConfigError):
            grade(mc, bad)


def test_many_choice_needs_the_exact_set():
    mc = q(type="many_choice", answers=[{"answer": "a", "correct": True}, {"answer": "b", "correct": True},
                                        {"answer": "c", "correct": False, "feedback": "c is wrong"}])
    assert grade(mc, [1, 0]).correct
    r = grade(mc, [0])
    assert not r.correct and "left out 1" in r.feedback
    r = grade(mc, [0, 1, 2])
    assert not r.correct and "c is wrong" in r.feedback
    assert grade(mc, [0]).score == pytest.approx(2 / 3)
    with pytest.raises(ConfigError):
        grade(mc, 0)


def test_ordering_by_text_and_by_shown_index():
    items = ["IKE_SA_INIT request", "IKE_SA_INIT response", "IKE_AUTH request", "IKE_AUTH response"]
    o = q(type="ordering", items=items)
    shown = o.display_items()
    assert shown != items and sorted(shown) == sorted(items)
    assert shown == o.display_items()          # fixed, not random
    assert grade(o, items).correct
    assert grade(o, [shown.index(i) for i in items]).correct
    r = grade(o, [items[0], items[1], items[3], items[2]])
    assert not r.correct and "Positions 1, 2 of 4" in r.feedback and r.score == 0.5
    with pytest.raises(ConfigError, match="exactly once"):
        grade(o, items[:3])
    with pytest.raises(ConfigError):
        grade(o, "IKE_SA_INIT request")


def test_result_carries_explanation_source_expected():
    r = grade(RANGE, 1)
    assert r.explanation == "because" and r.source == "RFC 7296 §1"
    assert r.expected == "from 900 up to (not including) 3600"
    assert r.summary().startswith("Not correct.")

"""Every course bank validates, is big enough, cites a real source, and grades its own answers right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vpnlearn.quiz.bank import check_paths, load_all
from vpnlearn.quiz.grading import grade
from vpnlearn.quiz.model import TOPICS, Question

ROOT = Path(__file__).resolve().parents[1]
BANKS = ROOT / "quizzes"
# The shared fact sheet sits beside the checkout (shared/ next to main/ here and in CI's clone).
FACTS = next((p for p in (ROOT.parent / "shared" / "aws-facts.md", Path("/work/shared/aws-facts.md"))
              if p.exists()), ROOT.parent / "shared" / "aws-facts.md")


def all_questions() -> list[Question]:
    return [q for b in load_all(BANKS).values() for q in b.questions]


QUESTIONS = all_questions()


def test_every_bank_validates():
    assert check_paths([BANKS]) == []


def test_size_and_coverage():
    assert len(QUESTIONS) >= 150
    per_topic = {t: sum(q.topic == t for q in QUESTIONS) for t in TOPICS}
    assert all(n >= 12 for n in per_topic.values()), per_topic
    types = {q.type for q in QUESTIONS}
    assert types == {"multiple_choice", "many_choice", "numeric", "string", "ordering"}


def test_capstone_draws_from_every_topic():
    banks = load_all(BANKS)
    cap = banks["capstone"]
    assert set(cap.mix_topics) == set(TOPICS)


def test_aws_urls_are_on_the_fact_sheet():
    if not FACTS.exists():
        pytest.skip(f"{FACTS} not present")
    sheet = FACTS.read_text()
    urls = {q.source.split()[0].split("#")[0] for q in QUESTIONS if q.source.startswith("https://")}
    missing = sorted(u for u in urls if u not in sheet)
    assert not missing, missing


def test_rfc_sources_name_a_listed_rfc():
    allowed = {"7296", "4301", "4303", "4106", "3602", "4868", "7634", "3526", "5903", "8031", "3947",
               "3948", "2409", "3706", "4271", "5114"}
    for q in QUESTIONS:
        if q.source.startswith("RFC "):
            assert re.match(r"RFC (\d+)", q.source).group(1) in allowed, (q.id, q.source)


def _numeric_probe(q: Question) -> list[tuple[float, bool]]:
    """Numbers to try, each with whether it must grade correct (found by simulating the first-match rule)."""
    out = []
    for a in q.answers:
        if a.type == "default":
            continue
        x = a.value if a.value is not None else a.range[0]
        out.append(x)
    out += [-1e9, 123456789.0]
    probes = []
    for x in out:
        first = next((a for a in q.answers if a.type != "default" and (
            (a.range is not None and a.range[0] <= x < a.range[1])
            or (a.value is not None and a.value == x))), None)
        probes.append((x, bool(first and first.correct)))
    return probes


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_correct_answers_grade_correct_and_wrong_ones_wrong(q):
    if q.type == "multiple_choice":
        for i, a in enumerate(q.answers):
            assert grade(q, i).correct is a.correct, (i, a.answer)
        assert any(a.correct for a in q.answers) and not all(a.correct for a in q.answers)
    elif q.type == "many_choice":
        right = [i for i, a in enumerate(q.answers) if a.correct]
        assert grade(q, right).correct
        for i in range(len(q.answers)):
            flipped = sorted(set(right) ^ {i})
            assert not grade(q, flipped).correct, flipped
    elif q.type == "numeric":
        probes = _numeric_probe(q)
        assert any(ok for _, ok in probes)
        for x, ok in probes:
            assert grade(q, x).correct is ok, x
        assert not grade(q, -1e9).correct
    elif q.type == "string":
        for a in q.answers:
            if a.type == "default":
                continue
            assert grade(q, a.answer).correct is a.correct
            if not a.match_case:
                assert grade(q, f"  {a.answer.swapcase()} ").correct is a.correct
        assert not grade(q, "zzzz not an answer zzzz").correct
    else:
        assert grade(q, list(q.items)).correct
        assert not grade(q, list(reversed(q.items))).correct
        assert not grade(q, q.display_items()).correct
    r = grade(q, _a_wrong_response(q)) if _a_wrong_response(q) is not None else None
    assert r is None or not r.correct


def _a_wrong_response(q: Question):
    if q.type in ("multiple_choice",):
        return next(i for i, a in enumerate(q.answers) if not a.correct)
    if q.type == "ordering":
        return list(reversed(q.items))
    return None


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_question_text_is_complete(q):
    assert q.question.strip().endswith(("?", ".", ":", ")")), q.question
    assert len(q.explanation.strip()) >= 30
    for a in q.answers:
        if not a.correct and a.type != "default" and q.type == "multiple_choice":
            assert a.answer

"""Grading: a pure function from (question, response) to a :class:`Result`. No widgets, no I/O.

Responses by type:

- ``multiple_choice``: the 0-based index of the chosen answer, or its exact text.
- ``many_choice``: a collection of indices or texts (order does not matter).
- ``numeric``: a number, or text such as ``"3600"``, ``"1.5e3"``, ``"3/4"``.
- ``string``: text.
- ``ordering``: the items (texts) in the learner's order, or 0-based indices into
  :meth:`Question.display_items`.

Numeric rules (as jupyterquiz): entries are tried in bank order and the first match decides; a
``range`` ``[lo, hi]`` matches ``lo <= x < hi``; with ``precision`` P the input and each ``value``
are rounded to P significant digits before comparing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from vpnlearn.errors import ConfigError
from vpnlearn.quiz.model import Answer, Question

DEFAULT_WRONG = "Not quite. Try again."


@dataclass(frozen=True)
class Result:
    """The outcome of grading one response."""

    correct: bool
    feedback: str
    explanation: str
    source: str
    expected: str
    score: float
    question_id: str

    def summary(self) -> str:
        """One line: ``Correct.`` / ``Not correct.`` followed by the feedback."""
        head = "Correct." if self.correct else "Not correct."
        return f"{head} {self.feedback}".strip()


def grade(question: Question, response: Any) -> Result:
    """Grade ``response`` to ``question``. Raises :class:`ConfigError` for a response of the wrong shape.

    >>> # grade(q, 2).correct  -> True if answer index 2 is marked correct
    """
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise ConfigError(f"question {question.id}: unknown type {question.type!r}")
    correct, feedback, score = grader(question, response)
    return Result(correct=correct, feedback=feedback, explanation=question.explanation,
                  source=question.source, expected=question.expected_text(), score=score,
                  question_id=question.id)


# -- choice ----------------------------------------------------------------------------------------
def _index(question: Question, choice: Any) -> int:
    texts = question.choices
    if isinstance(choice, bool):
        raise ConfigError(f"question {question.id}: a choice is an index or an answer text, not {choice!r}")
    if isinstance(choice, int):
        if not 0 <= choice < len(texts):
            raise ConfigError(f"question {question.id}: choice index {choice} is out of range "
                              f"0..{len(texts) - 1}")
        return choice
    if isinstance(choice, str):
        if choice in texts:
            return texts.index(choice)
        raise ConfigError(f"question {question.id}: {choice!r} is not one of the choices")
    raise ConfigError(f"question {question.id}: a choice is an index or an answer text, "
                      f"not {type(choice).__name__}")


def _grade_multiple(question: Question, response: Any) -> tuple[bool, str, float]:
    answer = question.answers[_index(question, response)]
    feedback = answer.feedback or ("Correct." if answer.correct else DEFAULT_WRONG)
    return answer.correct, feedback, 1.0 if answer.correct else 0.0


def _grade_many(question: Question, response: Any) -> tuple[bool, str, float]:
    if isinstance(response, (str, int)) or not isinstance(response, Iterable):
        raise ConfigError(f"question {question.id}: many_choice takes a collection of choices")
    chosen = sorted({_index(question, c) for c in response})
    wanted = {i for i, a in enumerate(question.answers) if a.correct}
    notes = [question.answers[i].feedback for i in chosen if question.answers[i].feedback]
    missed = len(wanted - set(chosen))
    wrong = len(set(chosen) - wanted)
    if missed:
        notes.append(f"You left out {missed} correct answer{'s' if missed > 1 else ''}.")
    correct = not missed and not wrong
    n = len(question.answers)
    score = sum(1 for i in range(n) if (i in wanted) == (i in chosen)) / n
    return correct, " ".join(notes) or ("Correct." if correct else DEFAULT_WRONG), score


# -- numeric ---------------------------------------------------------------------------------------
def parse_number(text: Any, *, question_id: str = "") -> float:
    """A number from what the learner typed: ``12``, ``-1.5``, ``2e3``, ``3/4`` (as jupyterquiz)."""
    if isinstance(text, bool):
        raise ConfigError(f"question {question_id}: expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().replace("_", "").replace(",", "")
    try:
        if "/" in s:
            num, den = s.split("/", 1)
            return float(Fraction(num.strip()) / Fraction(den.strip()))
        value = float(s)
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"question {question_id}: {str(text)!r} is not a number") from exc
    if not math.isfinite(value):
        raise ConfigError(f"question {question_id}: {str(text)!r} is not a finite number")
    return value


def round_sig(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits (JavaScript ``Number(x.toPrecision(digits))``)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits - 1}e}")


def _grade_numeric(question: Question, response: Any) -> tuple[bool, str, float]:
    x = parse_number(response, question_id=question.id)
    p = question.precision
    if p:
        x = round_sig(x, p)
    default = DEFAULT_WRONG
    for a in question.answers:
        if a.type == "default":
            default = a.feedback or default
            continue
        if _numeric_match(a, x, p):
            fb = a.feedback or ("Correct." if a.correct else DEFAULT_WRONG)
            return a.correct, fb, 1.0 if a.correct else 0.0
    return False, default, 0.0


def _numeric_match(a: Answer, x: float, precision: int | None) -> bool:
    if a.range is not None:
        lo, hi = a.range
        return lo <= x < hi
    if a.value is not None:
        v = round_sig(a.value, precision) if precision else a.value
        return x == v
    return False


# -- string ----------------------------------------------------------------------------------------
def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _grade_string(question: Question, response: Any) -> tuple[bool, str, float]:
    if not isinstance(response, str):
        raise ConfigError(f"question {question.id}: a string answer must be text, "
                          f"not {type(response).__name__}")
    typed = response.strip()
    default = DEFAULT_WRONG
    for a in question.answers:
        if a.type == "default":
            default = a.feedback or default
            continue
        target = a.answer or ""
        s, t = (typed, target) if a.match_case else (typed.lower(), target.lower())
        if s == t:
            return a.correct, a.feedback or ("Correct." if a.correct else DEFAULT_WRONG), float(a.correct)
        if a.fuzzy_threshold:
            longest = max(len(s), len(t)) or 1
            if 1 - levenshtein(s, t) / longest >= a.fuzzy_threshold:
                fb = a.feedback or ("Correct." if a.correct else DEFAULT_WRONG)
                return a.correct, f"(Close enough: the exact answer is “{target}”.) {fb}", float(a.correct)
    return False, default, 0.0


# -- ordering --------------------------------------------------------------------------------------
def _grade_ordering(question: Question, response: Any) -> tuple[bool, str, float]:
    if isinstance(response, str) or not isinstance(response, Iterable):
        raise ConfigError(f"question {question.id}: an ordering answer is a list of items")
    shown = question.display_items()
    order: list[str] = []
    for r in response:
        if isinstance(r, int) and not isinstance(r, bool):
            if not 0 <= r < len(shown):
                raise ConfigError(f"question {question.id}: item index {r} is out of range "
                                  f"0..{len(shown) - 1}")
            order.append(shown[r])
        elif isinstance(r, str) and r in question.items:
            order.append(r)
        else:
            raise ConfigError(f"question {question.id}: {r!r} is not one of the items")
    if sorted(order) != sorted(question.items):
        raise ConfigError(f"question {question.id}: give every item exactly once "
                          f"({len(question.items)} items, got {len(order)})")
    right = [i + 1 for i, (a, b) in enumerate(zip(order, question.items, strict=False)) if a == b]
    correct = order == list(question.items)
    n = len(question.items)
    if correct:
        fb = "Correct order."
    elif right:
        fb = f"Positions {', '.join(map(str, right))} of {n} are right; the others are not."
    else:
        fb = f"None of the {n} positions is right yet."
    return correct, fb, len(right) / n


_GRADERS = {
    "multiple_choice": _grade_multiple,
    "many_choice": _grade_many,
    "numeric": _grade_numeric,
    "string": _grade_string,
    "ordering": _grade_ordering,
}

"""Run a quiz in a terminal: numbered answers, feedback, explanation, source, and a score.

Input and output are passed in (``ask`` like :func:`input`, ``say`` like :func:`print`), so the
runner is tested by driving the real command with pexpect and, in-process, with lists of answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from vpnlearn.errors import ConfigError
from vpnlearn.quiz.grading import Result, grade
from vpnlearn.quiz.model import Question
from vpnlearn.quiz.progress import ProgressStore

PROMPTS = {
    "multiple_choice": "Your answer (a number): ",
    "many_choice": "Your answers (numbers separated by spaces): ",
    "numeric": "Your answer (a number): ",
    "string": "Your answer: ",
    "ordering": "Your order (all the numbers, first to last, separated by spaces): ",
}


def render_question(q: Question, number: int, total: int) -> str:
    """The text shown for one question, with numbered choices or items."""
    lines = [f"Question {number}/{total}  [{q.id}, {q.difficulty}]", q.question.strip()]
    if q.code:
        lines += ["", q.code.rstrip()]
    if q.type in ("multiple_choice", "many_choice"):
        lines += [f"  {i}) {text}" for i, text in enumerate(q.choices, 1)]
    elif q.type == "ordering":
        lines += [f"  {i}) {text}" for i, text in enumerate(q.display_items(), 1)]
    return "\n".join(lines)


def parse_response(q: Question, text: str) -> Any:
    """Turn typed text into a :func:`grade` response. Raises :class:`ConfigError` with a hint."""
    text = text.strip()
    if not text:
        raise ConfigError("please type an answer")
    if q.type in ("numeric", "string"):
        return text
    parts = text.replace(",", " ").split()
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ConfigError("please type the number(s) shown before the answers") from None
    count = len(q.display_items()) if q.type == "ordering" else len(q.answers)
    bad = [n for n in numbers if not 1 <= n <= count]
    if bad:
        raise ConfigError(f"choose numbers from 1 to {count}")
    if q.type == "multiple_choice":
        if len(numbers) != 1:
            raise ConfigError("choose exactly one number")
        return numbers[0] - 1
    if q.type == "many_choice":
        return [n - 1 for n in numbers]
    if sorted(numbers) != list(range(1, count + 1)):
        raise ConfigError(f"use each number from 1 to {count} exactly once")
    return [n - 1 for n in numbers]


def run(questions: Sequence[Question], *, title: str = "", ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print, store: ProgressStore | None = None) -> list[Result]:
    """Ask each question once, show feedback, record each answer in ``store``; return the results.

    End of input (Ctrl-D) stops early; the score covers the questions answered.
    """
    results: list[Result] = []
    if title:
        say(f"== {title}: {len(questions)} question{'s' if len(questions) != 1 else ''} ==")
    for i, q in enumerate(questions, 1):
        say("")
        say(render_question(q, i, len(questions)))
        while True:
            try:
                typed = ask(PROMPTS[q.type])
            except EOFError:
                say("")
                say(_score_line(results, len(questions)))
                return results
            try:
                response = parse_response(q, typed)
                result = grade(q, response)
                break
            except ConfigError as exc:
                message = str(exc)
                if message.startswith(f"question {q.id}: "):
                    message = message[len(f"question {q.id}: "):]
                say(f"  ({message})")
        results.append(result)
        if store is not None:
            store.record_result(result, q.topic, response=typed.strip())
        say(result.summary())
        if not result.correct:
            say(f"The answer: {result.expected}")
        say(f"Why: {result.explanation.strip()}")
        say(f"Source: {result.source}")
    say("")
    say(_score_line(results, len(questions)))
    return results


def _score_line(results: list[Result], total: int) -> str:
    right = sum(r.correct for r in results)
    return f"Score: {right}/{len(results)} correct ({total} question{'s' if total != 1 else ''} in the quiz)"

"""Export banks to jupyterquiz JSON (and back) and to nbgrader source notebooks.

jupyterquiz
    Each question becomes a jupyterquiz dict (``question``, ``type``, ``answers``, ``precision``,
    ``code``). vpnlearn's own fields travel along as extra keys (``id``, ``topic``, ``difficulty``,
    ``explanation``, ``source``) which jupyterquiz ignores, so the round trip is lossless.
    jupyterquiz has no ``ordering`` type: an ordering question is exported as a
    ``multiple_choice`` between the correct order and a few wrong orders, and keeps its ``items``
    under ``vpnlearn_ordering`` so the import restores it.

nbgrader
    ``DIR/source/<assignment>/<notebook>.ipynb`` with nbgrader cell metadata (schema version 3):
    per question a locked Markdown cell, a solution cell (``ANSWER_n = ...`` between
    ``### BEGIN SOLUTION`` / ``### END SOLUTION``) and a locked, graded test cell whose check sits
    between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``. nbgrader's ``generate_assignment``
    strips the solutions and hidden tests from the release, so students do not see the answers in
    the notebook (they could still read the public bank files: see docs/quizzes.md).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from vpnlearn.errors import BankError, VpnlearnError
from vpnlearn.quiz.bank import check_question
from vpnlearn.quiz.grading import grade
from vpnlearn.quiz.model import Question

OWN_KEYS = ("id", "topic", "difficulty", "explanation", "source")


def _clean_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def to_jupyterquiz(q: Question) -> dict[str, Any]:
    """One question as a jupyterquiz dict (plus vpnlearn's keys, which jupyterquiz ignores)."""
    out: dict[str, Any] = {"id": q.id, "question": q.question.strip()}
    if q.code:
        out["code"] = q.code
    if q.type == "ordering":
        out["type"] = "multiple_choice"
        items = list(q.items)
        rng = random.Random(f"vpnlearn-jq:{q.id}")
        wrong: list[list[str]] = []
        for _ in range(50):
            if len(wrong) == 3:
                break
            perm = items[:]
            rng.shuffle(perm)
            if perm != items and perm not in wrong:
                wrong.append(perm)
        options = [(items, True)] + [(w, False) for w in wrong]
        rng.shuffle(options)
        out["answers"] = [{"answer": " → ".join(o), "correct": ok,
                           "feedback": "Correct order." if ok else "Not this order."} for o, ok in options]
        out["vpnlearn_ordering"] = {"items": items}
    else:
        out["type"] = q.type
        answers = []
        for a in q.answers:
            d = a.to_dict()
            if "value" in d:
                d["value"] = _clean_number(d["value"])
            if "range" in d:
                d["range"] = [_clean_number(x) for x in d["range"]]
            answers.append(d)
        out["answers"] = answers
        if q.precision is not None:
            out["precision"] = q.precision
    if q.points != 1:
        out["points"] = q.points
    for key in OWN_KEYS:
        out[key] = getattr(q, key)
    return out


def to_jupyterquiz_json(questions: Sequence[Question]) -> str:
    """A JSON list that ``jupyterquiz.display_quiz`` accepts (as a file or a URL)."""
    return json.dumps([to_jupyterquiz(q) for q in questions], indent=2, ensure_ascii=False) + "\n"


def from_jupyterquiz(data: dict[str, Any], *, topic: str, index: int = 0, file: str = "") -> dict[str, Any]:
    """A jupyterquiz dict back to a bank-format dict (vpnlearn's keys restored when present)."""
    q: dict[str, Any] = {"id": data.get("id") or f"{topic}-imported-{index + 1}",
                         "type": data.get("type"), "topic": data.get("topic") or topic,
                         "difficulty": data.get("difficulty") or "medium",
                         "question": data.get("question")}
    if data.get("code"):
        q["code"] = data["code"]
    ordering = data.get("vpnlearn_ordering")
    if ordering:
        q["type"] = "ordering"
        q["items"] = list(ordering["items"])
    else:
        q["answers"] = [dict(a) for a in data.get("answers") or []]
        if "precision" in data:
            q["precision"] = data["precision"]
    if "points" in data:
        q["points"] = data["points"]
    q["explanation"] = data.get("explanation") or ""
    q["source"] = data.get("source") or ""
    return q


def jupyterquiz_to_bank(text: str, *, topic: str, file: str = "<json>") -> list[Question]:
    """Parse jupyterquiz JSON into validated questions; raises :class:`BankError` listing problems.

    Plain jupyterquiz files have no ``explanation``/``source``: they are reported as problems, since
    every vpnlearn question needs them; add them and import again.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankError(f"{file}: not valid JSON: {exc}") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise BankError(f"{file}: jupyterquiz JSON is a list of questions")
    dicts = [from_jupyterquiz(d, topic=topic, index=i, file=file) for i, d in enumerate(data)]
    problems = []
    for i, d in enumerate(dicts):
        for p in check_question(d, file=f"{file}[{i}]", bank_topic=topic):
            problems.append(p)
    if problems:
        raise BankError(f"{len(problems)} problem(s) in {file}:\n" + "\n".join(f"  {p}" for p in problems),
                        problems=problems)
    return [Question.from_dict(d, topic=topic, file=file) for d in dicts]


def bank_yaml(questions: Sequence[Question], *, topic: str, title: str | None = None) -> str:
    """Questions as a bank file (YAML text)."""
    data = {"topic": topic, "title": title or topic, "questions": [q.to_dict() for q in questions]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def jupyterquiz_to_bank_yaml(text: str, *, topic: str, title: str | None = None, file: str = "<json>") -> str:
    """jupyterquiz JSON text to bank YAML text."""
    return bank_yaml(jupyterquiz_to_bank(text, topic=topic, file=file), topic=topic, title=title)


# -- nbgrader --------------------------------------------------------------------------------------
def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None,
          task: bool = False) -> dict[str, Any]:
    m: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                         "schema_version": 3, "solution": solution, "task": task}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def _safe(qid: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "-", qid)


def _how_to_answer(q: Question) -> tuple[str, str]:
    """(instructions, solution value as Python source) for a question."""
    if q.type == "multiple_choice":
        right = next(i for i, a in enumerate(q.answers, 1) if a.correct)
        return f"the number of your answer (1 to {len(q.answers)})", repr(right)
    if q.type == "many_choice":
        right = [i for i, a in enumerate(q.answers, 1) if a.correct]
        return "a list, in square brackets, of the numbers of all correct answers", repr(right)
    if q.type == "numeric":
        a = q.correct_answers[0]
        value = a.value if a.value is not None else a.range[0]  # type: ignore[index]
        return "a number", repr(_clean_number(value))
    if q.type == "string":
        return "your answer as text in quotes", repr(q.correct_answers[0].answer)
    shown = q.display_items()
    right = [shown.index(item) + 1 for item in q.items]
    return "a list, in square brackets, of the item numbers in the right order (first first)", repr(right)


def _markdown(q: Question, n: int) -> str:
    how, _ = _how_to_answer(q)
    lines = [f"### Question {n} ({q.difficulty}, {q.points} point{'s' if q.points != 1 else ''})", "",
             q.question.strip()]
    if q.code:
        lines += ["", "```", q.code.rstrip(), "```"]
    if q.type in ("multiple_choice", "many_choice"):
        lines += [""] + [f"{i}. {t}" for i, t in enumerate(q.choices, 1)]
    elif q.type == "ordering":
        lines += [""] + [f"{i}. {t}" for i, t in enumerate(q.display_items(), 1)]
    lines += ["", f"Set `ANSWER_{n}` to {how}."]
    return "\n".join(lines)


def check_answer(question: dict[str, Any], answer: Any) -> bool:
    """Grade a notebook answer (1-based numbers as shown in the notebook). Used by hidden tests."""
    q = Question.from_dict(question)
    if answer is None:
        return False
    try:
        if q.type == "multiple_choice":
            response: Any = int(answer) - 1
        elif q.type in ("many_choice", "ordering"):
            if isinstance(answer, (str, bytes)):
                return False
            response = [int(a) - 1 for a in answer]
        else:
            response = answer
        return grade(q, response).correct
    except (VpnlearnError, TypeError, ValueError):  # a wrong shape is a wrong answer in a graded notebook
        return False


def nbgrader_notebook(questions: Sequence[Question], *, title: str) -> dict[str, Any]:
    """An nbformat-4 notebook (as a dict) with nbgrader metadata, schema version 3."""
    cells: list[dict[str, Any]] = []

    def md(text: str, meta: dict[str, Any]) -> None:
        cells.append({"cell_type": "markdown", "id": f"c{len(cells):03d}", "metadata": meta, "source": text})

    def code(text: str, meta: dict[str, Any]) -> None:
        cells.append({"cell_type": "code", "id": f"c{len(cells):03d}", "metadata": meta, "source": text,
                      "execution_count": None, "outputs": []})

    md(f"# Quiz: {title}\n\nAnswer each question by setting the variable in its answer cell, then run "
       "all cells. The test cells check your answers when the assignment is graded.",
       _meta("intro", grade=False, solution=False, locked=True))
    code("import json\n\nfrom vpnlearn.quiz.export import check_answer",
         _meta("setup", grade=False, solution=False,
                                                                  locked=True))
    for n, q in enumerate(questions, 1):
        _, solution = _how_to_answer(q)
        sid = _safe(q.id)
        md(_markdown(q, n), _meta(f"question-{sid}", grade=False, solution=False, locked=True))
        code(f"ANSWER_{n} = None\n### BEGIN SOLUTION\nANSWER_{n} = {solution}\n### END SOLUTION",
             _meta(f"answer-{sid}", grade=False, solution=True, locked=False))
        qjson = json.dumps(q.to_dict(), ensure_ascii=True)
        code(f"# Checks question {n} ({q.id}); the check itself is hidden.\n"
             f"assert ANSWER_{n} is not None, \"set ANSWER_{n} in the cell above\"\n"
             "### BEGIN HIDDEN TESTS\n"
             f"assert check_answer(json.loads({qjson!r}), ANSWER_{n}), \"question {n} is not right yet\"\n"
             "### END HIDDEN TESTS",
             _meta(f"test-{sid}", grade=True, solution=False, locked=True, points=q.points))
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def write_nbgrader(questions: Sequence[Question], course_dir: str | os.PathLike, *, assignment: str,
                   notebook: str, title: str) -> Path:
    """Write ``course_dir/source/<assignment>/<notebook>.ipynb``; returns its path."""
    path = Path(course_dir) / "source" / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbgrader_notebook(questions, title=title)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

"""The question model: what one quiz question is, independent of YAML, widgets or terminals.

Field names follow jupyterquiz's JSON format where it has one (``question``, ``type``, ``answers``,
``answer``, ``correct``, ``feedback``, ``precision``, ``match_case``, ``fuzzy_threshold``, ``code``),
so banks convert both ways (see :mod:`vpnlearn.quiz.export`). vpnlearn adds ``id``, ``topic``,
``difficulty``, ``explanation``, ``source`` and the ``ordering`` type.

Question types
--------------
``multiple_choice``
    Pick one answer. Every answer marked ``correct: true`` is accepted.
``many_choice``
    Pick several. Correct when the picked set is exactly the set marked ``correct: true``.
``numeric``
    Type a number (``3600``, ``1.5e3``, ``3/4``). ``answers`` entries are tried in order and the first
    that matches decides: ``{type: value, value: V}`` matches when the number equals V;
    ``{type: range, range: [LO, HI]}`` matches when **LO <= x < HI** (lower end included, upper end
    excluded: jupyterquiz's semantics); ``{type: default}`` only gives feedback when nothing matched.
    With ``precision: P`` both the typed number and each ``value`` are first rounded to P significant
    digits (JavaScript's ``Number.toPrecision``, as jupyterquiz does); ranges compare the rounded input.
``string``
    Type text. Leading/trailing spaces are ignored; ``match_case`` (default false) makes the
    comparison case-sensitive; ``fuzzy_threshold`` (0-1] also accepts a typed answer whose
    similarity ``1 - levenshtein / max(len)`` reaches it.
``ordering``
    Put ``items`` in order. The bank lists ``items`` in the correct order; they are shown in a fixed
    order derived from the question id (never the correct order), the same on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

TYPES = ("multiple_choice", "many_choice", "numeric", "string", "ordering")
DIFFICULTIES = ("easy", "medium", "hard")

TOPICS: dict[str, str] = {
    "crypto": "Crypto building blocks (notebook 1)",
    "ipsec-esp": "IPsec architecture and ESP (notebook 2)",
    "security-associations": "Security Associations (notebook 3)",
    "ikev2": "IKEv2 (notebook 4)",
    "ikev1-vs-ikev2": "IKEv2 beyond the first SA, IKEv1 vs IKEv2 (notebook 5)",
    "site-to-site": "AWS Site-to-Site VPN (notebook 6)",
    "s2s-routing": "Site-to-Site VPN routing (notebook 7)",
    "client-vpn": "AWS Client VPN (notebook 8)",
    "cloudhub": "AWS VPN CloudHub (notebook 9)",
    "software-appliance": "Software VPN appliance on EC2 (notebook 10)",
    "vpc-to-vpc": "VPN between VPCs and its alternatives (notebook 10)",
}
"""Every topic a question may belong to, with the notebook that teaches it."""


@dataclass(frozen=True)
class Answer:
    """One answer entry of a question (a choice, a numeric value/range/default, or a string)."""

    answer: str | None = None
    correct: bool = False
    feedback: str = ""
    type: str | None = None          # numeric: value | range | default; string: default or None
    value: float | None = None
    range: tuple[float, float] | None = None
    match_case: bool = False
    fuzzy_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The jupyterquiz-style dict for this answer (only the fields that are set)."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type
        if self.answer is not None:
            out["answer"] = self.answer
        if self.value is not None:
            out["value"] = self.value
        if self.range is not None:
            out["range"] = list(self.range)
        if self.type != "default":
            out["correct"] = self.correct
        if self.match_case:
            out["match_case"] = True
        if self.fuzzy_threshold is not None:
            out["fuzzy_threshold"] = self.fuzzy_threshold
        if self.feedback:
            out["feedback"] = self.feedback
        return out


@dataclass(frozen=True)
class Question:
    """One question of a bank. Build it with :func:`vpnlearn.quiz.bank.load_bank` or :meth:`from_dict`."""

    id: str
    type: str
    topic: str
    question: str
    explanation: str
    source: str
    difficulty: str = "medium"
    answers: tuple[Answer, ...] = ()
    items: tuple[str, ...] = ()
    precision: int | None = None
    code: str | None = None
    points: int = 1
    file: str = ""
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    # -- views used by grading, widgets and the terminal -------------------------------------
    @property
    def choices(self) -> list[str]:
        """The answer texts of a choice question, in bank order."""
        return [a.answer or "" for a in self.answers]

    @property
    def correct_answers(self) -> list[Answer]:
        """The answers marked correct (never a numeric/string ``default`` entry)."""
        return [a for a in self.answers if a.correct and a.type != "default"]

    def display_items(self) -> list[str]:
        """The ordering items as shown to the learner: a fixed shuffle seeded by the question id.

        The same on every run and machine (so notebook output is stable) and never the correct
        order itself (which would give the answer away).
        """
        items = list(self.items)
        if len(items) < 2:
            return items
        shuffled = items[:]
        rng = random.Random(f"vpnlearn-ordering:{self.id}")
        for _ in range(20):
            rng.shuffle(shuffled)
            if shuffled != items:
                return shuffled
        return items[1:] + items[:1]

    def expected_text(self) -> str:
        """The correct answer written out for a person (shown after a wrong final answer)."""
        if self.type in ("multiple_choice", "many_choice"):
            return "; ".join(a.answer or "" for a in self.correct_answers)
        if self.type == "numeric":
            parts = []
            for a in self.correct_answers:
                if a.type == "range" and a.range is not None:
                    parts.append(f"from {_num(a.range[0])} up to (not including) {_num(a.range[1])}")
                elif a.value is not None:
                    parts.append(_num(a.value))
            return " or ".join(parts)
        if self.type == "string":
            return " or ".join(a.answer or "" for a in self.correct_answers)
        if self.type == "ordering":
            return " → ".join(self.items)
        return ""

    # -- conversion ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain dict in the bank (YAML) format; :meth:`from_dict` reads it back."""
        out: dict[str, Any] = {"id": self.id, "type": self.type, "topic": self.topic,
                               "difficulty": self.difficulty, "question": self.question}
        if self.code is not None:
            out["code"] = self.code
        if self.type == "ordering":
            out["items"] = list(self.items)
        else:
            out["answers"] = [a.to_dict() for a in self.answers]
        if self.precision is not None:
            out["precision"] = self.precision
        if self.points != 1:
            out["points"] = self.points
        out["explanation"] = self.explanation
        out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, topic: str | None = None, file: str = "",
                  line: int = 0) -> Question:
        """Build a question from a bank-format dict.

        Validate it first with :func:`~vpnlearn.quiz.bank.check_question`.
        """
        answers = []
        for a in data.get("answers") or []:
            rng = a.get("range")
            answers.append(Answer(
                answer=None if a.get("answer") is None else str(a.get("answer")),
                correct=bool(a.get("correct", False)),
                feedback=str(a.get("feedback") or ""),
                type=a.get("type"),
                value=None if a.get("value") is None else float(a["value"]),
                range=None if rng is None else (float(rng[0]), float(rng[1])),
                match_case=bool(a.get("match_case", False)),
                fuzzy_threshold=None if a.get("fuzzy_threshold") is None else float(a["fuzzy_threshold"]),
            ))
        return cls(
            id=str(data["id"]), type=str(data["type"]), topic=str(data.get("topic") or topic or ""),
            question=str(data["question"]), explanation=str(data.get("explanation") or ""),
            source=str(data.get("source") or ""), difficulty=str(data.get("difficulty") or "medium"),
            answers=tuple(answers), items=tuple(str(i) for i in data.get("items") or ()),
            precision=data.get("precision"), code=data.get("code"), points=int(data.get("points", 1)),
            file=file, line=line,
        )


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))

"""vpnlearn.quiz: question banks, grading, ipywidgets, progress, terminal runner, classroom export.

In a notebook::

    from vpnlearn.quiz import quiz
    quiz("ikev2", n=5)

``grade(question, response)`` is the pure grading function the widgets and the terminal share.
ipywidgets is imported only when :func:`quiz` is called. Authoring guide: ``docs/quizzes.md``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vpnlearn.quiz.grading import Result, grade
from vpnlearn.quiz.model import Answer, Question

if TYPE_CHECKING:
    from vpnlearn.quiz.progress import ProgressStore
    from vpnlearn.quiz.widgets import QuizWidget

__all__ = ["Answer", "Question", "Result", "grade", "quiz"]


def quiz(topic: str, *, ids: Sequence[str] | None = None, n: int | None = None, seed: Any = None,
         bank_dir: str | os.PathLike | None = None, store: ProgressStore | bool | None = True) -> QuizWidget:
    """Show the quiz for ``topic`` (e.g. ``"ikev2"``, or ``"capstone"`` for a mix) as widgets.

    ``ids`` picks questions by id; ``n`` keeps the first n (or a seeded sample with ``seed``).
    Nothing is random unless ``seed`` is given. Checked answers are recorded in the learner's
    progress file (see :mod:`vpnlearn.quiz.progress`) unless ``store=False``.
    """
    from vpnlearn.quiz.widgets import quiz as _quiz

    return _quiz(topic, ids=ids, n=n, seed=seed, bank_dir=bank_dir, store=store)

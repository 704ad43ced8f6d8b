"""vpnlearn.quiz: question banks, grading, ipywidgets, progress, terminal runner, classroom export.

In a notebook::

    from vpnlearn.quiz import quiz
    quiz("ikev2", n=5)

``grade(question, response)`` is the pure grading function the widgets and the terminal share.
ipywidgets is imported only when :func:`quiz` is called.
"""

from __future__ import annotations

from typing import Any

from vpnlearn.quiz.grading import Result, grade
from vpnlearn.quiz.model import Answer, Question

__all__ = ["Answer", "Question", "Result", "grade", "quiz"]


def quiz(topic: str, **kwargs: Any):
    """Show the quiz for ``topic`` as widgets; see :func:`vpnlearn.quiz.widgets.quiz`."""
    from vpnlearn.quiz.widgets import quiz as _quiz

    return _quiz(topic, **kwargs)

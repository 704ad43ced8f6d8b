"""Quizzes as ipywidgets, graded in Python by :func:`vpnlearn.quiz.grading.grade`.

``quiz("ikev2")`` shows each question with its input (radio buttons, check boxes, a text box, or one
drop-down per position for ordering), a **Check** button, feedback with the explanation and a source
link, and a running score. Wrong answers can be changed and checked again.

Made for notebooks and their tests:

- deterministic: nothing is random unless ``seed`` is given (ordering items use a fixed per-question
  order), and what the cell displays has a stable ``text/plain`` (``Quiz: ikev2, 5 questions``), so
  nbval can compare it;
- feedback lives in widget ``.value``\\ s (``HTML``), so tests read it without a kernel;
- keyboard and screen readers: every input has a ``description`` and a ``tooltip``; feedback is
  plain text inside the HTML with ``role="status"``/``aria-live`` so it is read out.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from vpnlearn.errors import ConfigError, VpnlearnError
from vpnlearn.quiz import bank
from vpnlearn.quiz.grading import Result, grade
from vpnlearn.quiz.model import Question
from vpnlearn.quiz.progress import ProgressStore
from vpnlearn.viz.style import LINK_TEXT, TEXT  # links on the feedback's light box, whatever the theme's

PICK = "(choose)"


def _link(url: str, text: str) -> str:
    return (f'<a href="{html.escape(url)}" target="_blank" rel="noopener" style="color:{LINK_TEXT}">'
            f"{html.escape(text)}</a>")


def _source_html(source: str) -> str:
    first = source.split()[0] if source else ""
    if first.startswith("https://"):
        return _link(first, source)
    num = source.split()[1] if source.startswith("RFC ") and len(source.split()) > 1 else ""
    if num.isdigit():
        url = f"https://www.rfc-editor.org/rfc/rfc{num}"
        return _link(url, source)
    return html.escape(source)


class QuestionWidget(w.VBox):
    """One question: prompt, input, Check button, feedback. ``.result`` holds the last grading."""

    def __init__(self, question: Question, number: int, total: int, *, on_result=None) -> None:
        self.question = question
        self.number = number
        self.result: Result | None = None
        self.attempts = 0
        self._on_result = on_result
        q = question
        label = f"Question {number} of {total}"
        self.prompt = w.HTML(
            f'<div role="heading" aria-level="3"><b>{label}</b> '
            # The theme's secondary text colour (readable in light and dark themes); grey elsewhere.
            f'<span style="color:var(--jp-content-font-color2, #595959)">'
            f"({html.escape(q.difficulty)})</span></div>"
            f"<p>{html.escape(q.question.strip())}</p>"
            + (f"<pre>{html.escape(q.code)}</pre>" if q.code else ""))
        self.input = self._make_input(label)
        self.check_button = w.Button(description="Check", tooltip=f"Check your answer to {label.lower()}",
                                     button_style="primary")
        self.check_button.on_click(self._check)
        self.feedback = w.HTML(value="", layout=w.Layout(min_height="1em"))
        super().__init__([self.prompt, self.input, self.check_button, self.feedback],
                         layout=w.Layout(margin="0 0 1em 0"))

    # -- inputs ---------------------------------------------------------------------------------
    def _make_input(self, label: str) -> w.Widget:
        q = self.question
        if q.type == "multiple_choice":
            return w.RadioButtons(options=[(t, i) for i, t in enumerate(q.choices)], value=None,
                                  description="Answer:", tooltip=f"Choose one answer for {label.lower()}",
                                  layout=w.Layout(width="auto"), style={"description_width": "initial"})
        if q.type == "many_choice":
            self.boxes = [w.Checkbox(value=False, description=t, indent=False,
                                     tooltip=f"Tick if this is correct: {t}", layout=w.Layout(width="auto"))
                          for t in q.choices]
            return w.VBox([w.Label("Choose all that apply:"), *self.boxes])
        if q.type in ("numeric", "string"):
            hint = "a number" if q.type == "numeric" else "your answer"
            return w.Text(value="", placeholder=f"Type {hint}", description="Answer:",
                          tooltip=f"Type {hint} for {label.lower()}, then Tab to Check")
        shown = self.question.display_items()
        # As wide as the label plus the longest item, at least as wide as a text input (ipywidgets'
        # inline width, 300px), never wider than the notebook; width "auto" stretched it full width.
        self.slots = [w.Dropdown(options=[PICK, *shown], value=PICK, description=f"Position {i}:",
                                 tooltip=f"Which item goes in position {i}?",
                                 style={"description_width": "initial"},
                                 layout=w.Layout(width="max-content", min_width="300px", max_width="100%"))
                      for i in range(1, len(shown) + 1)]
        return w.VBox([w.Label("Put the items in order (position 1 first):"), *self.slots])

    def response(self) -> Any:
        """The learner's current answer, in :func:`grade`'s response format."""
        q = self.question
        if q.type == "multiple_choice":
            if self.input.value is None:
                raise ConfigError("choose an answer first")
            return self.input.value
        if q.type == "many_choice":
            return [i for i, b in enumerate(self.boxes) if b.value]
        if q.type in ("numeric", "string"):
            if not self.input.value.strip():
                raise ConfigError("type an answer first")
            return self.input.value
        chosen = [s.value for s in self.slots]
        if PICK in chosen:
            raise ConfigError("fill every position first")
        if len(set(chosen)) != len(chosen):
            raise ConfigError("each item can go in only one position")
        return chosen

    def set_response(self, response: Any) -> None:
        """Set the inputs as a learner would (for tests and demos): same format as :func:`grade`."""
        q = self.question
        if q.type == "multiple_choice":
            self.input.value = response if isinstance(response, int) else q.choices.index(response)
        elif q.type == "many_choice":
            picked = {r if isinstance(r, int) else q.choices.index(r) for r in response}
            for i, b in enumerate(self.boxes):
                b.value = i in picked
        elif q.type in ("numeric", "string"):
            self.input.value = str(response)
        else:
            shown = q.display_items()
            for slot, r in zip(self.slots, response, strict=False):
                slot.value = shown[r] if isinstance(r, int) else r

    # -- checking -------------------------------------------------------------------------------
    def _check(self, _button: Any) -> None:
        try:
            response = self.response()
            result = grade(self.question, response)
        except ConfigError as exc:
            msg = str(exc)
            prefix = f"question {self.question.id}: "
            msg = msg[len(prefix):] if msg.startswith(prefix) else msg
            self.feedback.value = (f'<div role="status" aria-live="polite">'
                                   f"<b>Not checked:</b> {html.escape(msg)}.</div>")
            return
        self.attempts += 1
        self.result = result
        self.feedback.value = self._feedback_html(result)
        if self._on_result is not None:
            self._on_result(self, result, response)

    def _feedback_html(self, r: Result) -> str:
        # Its own light background and dark text, like the course's tables and diagrams: one green or
        # red that reads on both JupyterLab's light and dark backgrounds does not exist (WCAG AA).
        color, fill = FEEDBACK_COLOURS[r.correct]
        head = "Correct." if r.correct else "Not correct."
        style = (f"border-left:4px solid {color};padding:4px 8px;background:{fill};color:{TEXT}")
        parts = [f'<div role="status" aria-live="polite" style="{style}">',
                 f'<b style="color:{color}">{head}</b> {html.escape(r.feedback)}']
        if r.correct:
            parts.append(f"<p><b>Why:</b> {html.escape(r.explanation.strip())}</p>")
            parts.append(f"<p><b>Source:</b> {_source_html(r.source)}</p>")
        else:
            parts.append("<p>Change your answer and press Check again.</p>")
            if self.attempts >= 2:
                parts.append(f"<p><b>The answer:</b> {html.escape(r.expected)}</p>"
                             f"<p><b>Why:</b> {html.escape(r.explanation.strip())}</p>"
                             f"<p><b>Source:</b> {_source_html(r.source)}</p>")
        parts.append("</div>")
        return "".join(parts)


class QuizWidget(w.VBox):
    """A whole quiz: the questions and a score line. Displays as ``Quiz: <topic>, N questions``."""

    def __init__(self, topic: str, title: str, questions: Sequence[Question], *,
                 store: ProgressStore | None = None) -> None:
        if not questions:
            raise ConfigError(f"quiz {topic!r}: no questions selected")
        self.topic = topic
        self.title = title
        self.store = store
        self.questions = [QuestionWidget(q, i, len(questions), on_result=self._answered)
                          for i, q in enumerate(questions, 1)]
        self.header = w.HTML(f'<h3 style="margin:0">Quiz: {html.escape(title)}</h3>')
        self.score = w.HTML(value=self._score_text(), layout=w.Layout(margin="0.5em 0"))
        super().__init__([self.header, *self.questions, self.score])

    def _answered(self, qw: QuestionWidget, result: Result, response: Any) -> None:
        note = ""
        if self.store is not None:
            try:
                self.store.record_result(result, qw.question.topic, response=response)
            except VpnlearnError as exc:   # the quiz still works; say why progress was not saved
                note = f'<div role="status">Progress not saved: {html.escape(str(exc))}</div>'
        self.score.value = self._score_text() + note

    def _score_text(self) -> str:
        answered = [q for q in self.questions if q.result is not None]
        right = sum(1 for q in answered if q.result.correct)
        total = len(self.questions)
        return (f'<div role="status" aria-live="polite"><b>Score:</b> {right} of {total} correct '
                f"({len(answered)} checked)</div>")

    def score_tuple(self) -> tuple[int, int]:
        """(questions now correct, questions in the quiz)."""
        return sum(1 for q in self.questions if q.result and q.result.correct), len(self.questions)

    def __repr__(self) -> str:
        n = len(self.questions)
        return f"Quiz: {self.title}, {n} question{'s' if n != 1 else ''}"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        # What a saved notebook shows before its cells run (the widget itself is not saved).
        bundle["text/plain"] = f"{self!r} (run this cell to answer them)"
        return bundle


# (accent, background) for right and wrong answers: accent text >= 7:1 on its background.
FEEDBACK_COLOURS = {True: ("#1B5E20", "#E8F5E9"), False: ("#8A1C1C", "#FDECEA")}


def quiz(topic: str, *, ids: Sequence[str] | None = None, n: int | None = None, seed: Any = None,
         bank_dir: str | os.PathLike | None = None, store: ProgressStore | bool | None = True) -> QuizWidget:
    """Show the quiz for ``topic`` (a bank name such as ``"ikev2"``).

    ``ids`` picks questions, ``n`` limits how many (first n, or a seeded sample with ``seed``).
    Answers are recorded in the learner's progress file unless ``store=False``; pass a
    :class:`ProgressStore` to record elsewhere.
    """
    title, questions = bank.select(topic, ids=ids, n=n, seed=seed, bank_dir=bank_dir)
    if store is True:
        store = ProgressStore()
    elif store is False:
        store = None
    return QuizWidget(topic, title, questions, store=store)

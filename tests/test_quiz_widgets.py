"""Widgets: set values, click Check, read feedback from widget .value (no kernel needed)."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import pytest

from vpnlearn.quiz import quiz
from vpnlearn.quiz.bank import load_all
from vpnlearn.quiz.model import Question
from vpnlearn.quiz.progress import ProgressStore
from vpnlearn.quiz.widgets import QuizWidget

ROOT = Path(__file__).resolve().parents[1]
BANKS = ROOT / "quizzes"


def right_response(q: Question):
    if q.type == "multiple_choice":
        return next(i for i, a in enumerate(q.answers) if a.correct)
    if q.type == "many_choice":
        return [i for i, a in enumerate(q.answers) if a.correct]
    if q.type == "numeric":
        a = q.correct_answers[0]
        return str(a.value if a.value is not None else a.range[0])
    if q.type == "string":
        return q.correct_answers[0].answer
    return list(q.items)


def wrong_response(q: Question):
    if q.type == "multiple_choice":
        return next(i for i, a in enumerate(q.answers) if not a.correct)
    if q.type == "many_choice":
        return []
    if q.type == "numeric":
        return "-123456789"
    if q.type == "string":
        return "zzz-not-it"
    return list(reversed(q.items))


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json", clock=lambda: 42.0)


def test_every_question_in_every_bank_checks_right_through_the_widgets():
    for topic, bank in load_all(BANKS).items():
        if not bank.questions:
            continue
        view = quiz(topic, bank_dir=BANKS, store=False)
        for qw in view.questions:
            qw.set_response(right_response(qw.question))
            qw.check_button.click()
            assert "Correct." in qw.feedback.value, (qw.question.id, qw.feedback.value)
            assert "Source:" in qw.feedback.value
        assert view.score_tuple() == (len(bank.questions), len(bank.questions))
        assert f"{len(bank.questions)} of {len(bank.questions)} correct" in view.score.value
        for qw in view.questions:
            qw.set_response(wrong_response(qw.question))
            qw.check_button.click()
            assert "Not correct." in qw.feedback.value, qw.question.id
        assert view.score_tuple() == (0, len(bank.questions))


def test_wrong_then_retry_then_right(store):
    view = quiz("ikev2", ids=["ikev2-min-messages", "ikev2-key-order"], bank_dir=BANKS, store=store)
    qw = view.questions[0]
    qw.set_response("9")
    qw.check_button.click()
    assert "Not correct." in qw.feedback.value and "9 is IKEv1" in qw.feedback.value
    assert "The answer:" not in qw.feedback.value           # no give-away after one try
    qw.set_response("6")
    qw.check_button.click()
    assert "The answer:</b> 4" in qw.feedback.value          # shown after the second wrong try
    assert view.score_tuple() == (0, 2)
    qw.set_response("4")
    qw.check_button.click()
    assert "Correct." in qw.feedback.value and "two request/response" in qw.feedback.value
    assert 'href="https://www.rfc-editor.org/rfc/rfc7296"' in qw.feedback.value
    assert view.score_tuple() == (1, 2)
    got = [(a.question, a.correct, a.time) for a in store.attempts()]
    assert got == [("ikev2-min-messages", False, 42.0), ("ikev2-min-messages", False, 42.0),
                   ("ikev2-min-messages", True, 42.0)]


def test_ordering_uses_dropdowns_and_rejects_repeats(store):
    view = quiz("ikev2", ids=["ikev2-key-order"], bank_dir=BANKS, store=store)
    qw = view.questions[0]
    assert len(qw.slots) == 7 and all(s.description == f"Position {i}:" for i, s in enumerate(qw.slots, 1))
    qw.check_button.click()
    assert "Not checked:" in qw.feedback.value and "fill every position" in qw.feedback.value
    for s in qw.slots:
        s.value = "SK_d"
    qw.check_button.click()
    assert "only one position" in qw.feedback.value
    assert store.attempts() == []                     # unchecked answers are not recorded
    qw.set_response(list(reversed(qw.question.items)))
    qw.check_button.click()
    assert "Not correct." in qw.feedback.value
    qw.set_response(list(qw.question.items))
    qw.check_button.click()
    assert "Correct order." in qw.feedback.value


def test_unanswered_inputs_give_a_hint_not_a_grade(store):
    view = quiz("crypto", ids=["crypto-hmac-sha256-key", "crypto-aes-cbc-iv-size", "crypto-gcm-icv-sizes"],
                bank_dir=BANKS, store=store)
    for qw in view.questions[:2]:
        qw.check_button.click()
        assert "Not checked:" in qw.feedback.value
    many = view.questions[2]
    many.check_button.click()                           # nothing ticked is an answer (a wrong one)
    assert "Not correct." in many.feedback.value
    view.questions[1].set_response("sixteen")
    view.questions[1].check_button.click()
    assert "is not a number" in view.questions[1].feedback.value


def test_display_is_stable_and_deterministic(tmp_path):
    a = quiz("crypto", n=4, bank_dir=BANKS, store=False)
    b = quiz("crypto", n=4, bank_dir=BANKS, store=False)
    assert repr(a) == "Quiz: Crypto building blocks, 4 questions"
    bundle = a._repr_mimebundle_()
    assert bundle["text/plain"] == repr(a) + " (run this cell to answer them)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert [q.prompt.value for q in a.questions] == [q.prompt.value for q in b.questions]
    seeded = [quiz("crypto", n=4, seed=3, bank_dir=BANKS, store=False) for _ in range(2)]
    assert [q.question.id for q in seeded[0].questions] == [q.question.id for q in seeded[1].questions]
    assert isinstance(a, QuizWidget) and a.store is None


def test_accessible_labels():
    view = quiz("cloudhub", bank_dir=BANKS, store=False)
    for qw in view.questions:
        assert qw.check_button.tooltip and "question" in qw.check_button.tooltip.lower()
        assert 'role="heading"' in qw.prompt.value
        inputs = [qw.input] if not isinstance(qw.input, w.VBox) else list(qw.input.children)
        for widget in inputs:
            if isinstance(widget, w.Label):
                continue
            assert widget.description, widget
            assert widget.tooltip, widget


def test_no_questions_is_an_error():
    from vpnlearn.errors import ConfigError
    with pytest.raises(ConfigError):
        QuizWidget("x", "x", [])


def test_capstone_mixes_topics():
    view = quiz("capstone", bank_dir=BANKS, store=False)
    topics = {qw.question.topic for qw in view.questions}
    assert len(topics) == 11 and len(view.questions) == 22


def test_in_a_real_kernel_the_cell_output_is_stable_text():
    # What nbval compares: the text/plain of the displayed quiz (the widget view MIME type is skipped).
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'from vpnlearn.quiz import quiz\nquiz("crypto", n=2, store=False)')])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    (out,) = nb.cells[0].outputs
    assert out["data"]["text/plain"] == ("Quiz: Crypto building blocks, 2 questions "
                                         "(run this cell to answer them)")
    assert set(out["data"]) == {"text/plain", "application/vnd.jupyter.widget-view+json"}


def test_unwritable_progress_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the progress folder should be")
    view = quiz("crypto", ids=["crypto-aes-cbc-iv-size"], bank_dir=BANKS,
                store=ProgressStore(blocker / "progress.json"))
    qw = view.questions[0]
    qw.set_response("16")
    qw.check_button.click()
    assert "Correct." in qw.feedback.value
    assert "Progress not saved:" in view.score.value and "not-a-dir" in view.score.value


def test_ordering_dropdowns_are_not_stretched_to_full_width(store):
    # Width "auto" in the VBox stretched every "Position N" dropdown across the whole notebook.
    view = quiz("ikev2", ids=["ikev2-key-order"], bank_dir=BANKS, store=store)
    for s in view.questions[0].slots:
        assert s.layout.width in ("max-content", "fit-content"), s.layout.width
        assert s.layout.max_width == "100%"   # a long item never overflows the notebook
        assert s.layout.min_width             # not narrower than a text input

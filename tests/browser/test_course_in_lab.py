"""Every notebook, opened in a real JupyterLab in Chromium, runs clean and shows what it should.

For each notebook: open it, clear the outputs, Run All, and check that no cell errs, no widget is
stuck on "Loading widget", every SVG diagram the notebook makes is drawn, and (in quizzes) a wrong
and then a right answer give the right feedback. A screenshot of each notebook is saved to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from vpnlearn.quiz import bank
from vpnlearn.quiz.progress import ProgressStore

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

CURRENT = "window.jupyterapp.shell.currentWidget"
VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden)"
KERNEL_READY = f"""() => {{
  const w = window.jupyterapp && {CURRENT};
  if (!w || !w.sessionContext || !w.content) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}}"""
ALL_RUN = f"""() => {{
  const w = {CURRENT};
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  const k = w.sessionContext.session.kernel;
  return code.every(c => c.model.executionCount !== null) && k.status === 'idle';
}}"""
OUTPUT_TYPES = f"""() => {CURRENT}.content.widgets
  .filter(c => c.model.type === 'code')
  .map(c => c.model.outputs.toJSON().map(o => [o.output_type, Object.keys(o.data || {{}}), o.ename || '']))"""


def quiz_calls(name: str) -> list[tuple[int, str, dict]]:
    """(code cell index, topic, literal keyword arguments) of every ``quiz(...)`` call in the notebook
    (notebook 10 ends with two quizzes, one per part)."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    calls = []
    for i, cell in enumerate(code):
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "quiz":
                topic = ast.literal_eval(node.args[0])
                calls.append((i, topic, {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}))
    return calls


def answer_quizzes_in_browser(page, lab_server: dict, name: str) -> None:
    """Answer every quiz of the notebook (none in the contents notebook)."""
    for cell, topic, kwargs in quiz_calls(name):
        answer_quiz_in_browser(page, lab_server, name, cell, topic, kwargs)


def answer_quiz_in_browser(page, lab_server: dict, name: str, cell: int, topic: str, kwargs: dict) -> None:
    """Choose a wrong answer (mouse) and then the right one (keyboard only) to the first
    multiple-choice question of the quiz in code cell ``cell``, and read the feedback each time."""
    _, questions = bank.select(topic, **{k: v for k, v in kwargs.items() if k in ("ids", "n", "seed")})
    mc = [(i, q) for i, q in enumerate(questions) if q.type == "multiple_choice"]
    assert mc, f"{name}: the quiz has no multiple-choice question to answer"
    index, question = mc[0]
    right = question.correct_answers[0].answer
    wrong = next(c for c in question.choices if c != right)
    quiz_out = page.locator(f"{VISIBLE} .jp-CodeCell").nth(cell).locator(".jp-OutputArea")
    # One VBox per question holds prompt, input, the Check button and the feedback.
    box = quiz_out.locator(".widget-vbox:has(> .widget-button)").nth(index)
    radios = box.locator(".widget-radio-box")
    check = box.locator(".widget-button", has_text="Check")
    feedback = box
    before = len(ProgressStore(lab_server["progress"]).attempts())
    radios.locator("label", has_text=wrong).first.click()
    check.click()
    box.get_by_text("Not correct.").wait_for(timeout=30_000)
    assert "Not correct." in feedback.inner_text()
    # The right answer with the keyboard only: Space selects the focused choice, Tab reaches this
    # question's Check button, Enter presses it. (ipywidgets draws the choices as radios without a
    # shared name, so each choice is its own Tab stop and arrow keys do not move between them.)
    radios.locator("label", has_text=right).first.locator("input").focus()
    page.keyboard.press("Space")
    focused = ""
    for _ in range(len(question.choices)):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.innerText.trim()")
        if focused == "Check":
            break
    assert focused == "Check", f"{name}: Tab from the answer never reached the Check button"
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    text = feedback.inner_text()
    assert "Correct." in text.replace("Not correct.", ""), f"{name}: right answer not accepted: {text!r}"
    assert "Why:" in text and "Source:" in text
    # The quiz's own summary line, what the learner reads under the questions.
    summary = quiz_out.locator("[role=status]", has_text="Score:").inner_text()
    assert f"Score: 1 of {len(questions)} correct (1 checked)" in summary, f"{name}: summary says {summary!r}"
    assert "Progress not saved" not in quiz_out.inner_text()
    attempts = ProgressStore(lab_server["progress"]).attempts()[before:]
    assert [(a.question, a.correct) for a in attempts] == [(question.id, False), (question.id, True)], \
        f"{name}: progress did not record the wrong and then the right answer"


def expected_diagrams(name: str) -> int:
    """How many diagrams (vpnlearn.viz Diagram outputs) the committed notebook holds."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    return sum('class="vpnlearn-diagram"' in "".join(out.get("data", {}).get("text/html", ""))
               for c in nb["cells"] if c["cell_type"] == "code" for out in c.get("outputs", []))


CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()
# Outputs (diagrams, tables, hexdumps, widgets) wider than the output area, which would scroll
# sideways: [index, first words, visible width, full width].
TOO_WIDE = f"""() => [...document.querySelectorAll('{VISIBLE} .jp-OutputArea-output')]
  .map((o, i) => [i, o.innerText.slice(0, 60), o.clientWidth, o.scrollWidth])
  .filter(([i, t, shown, full]) => full > shown + 1)"""


def assert_fits_and_readable(page, name: str, when: str) -> None:
    """Nothing scrolls sideways, and every text in the outputs meets WCAG AA contrast (folded tables
    are opened first, so their rows are checked too)."""
    closed = f"[...document.querySelectorAll('{VISIBLE} .jp-OutputArea-output details:not([open])')]"
    page.evaluate(f"() => {closed}.forEach(d => {{ d.open = true; d.dataset.testOpened = '1'; }})")
    try:
        check_fits_and_contrast(page, name, when)
    finally:  # closed again, so the screenshot shows what the learner sees first
        page.evaluate(f"() => document.querySelectorAll('{VISIBLE} details[data-test-opened]')"
                      ".forEach(d => { d.open = false; delete d.dataset.testOpened; })")


def check_fits_and_contrast(page, name: str, when: str) -> None:
    wide = page.evaluate(TOO_WIDE)
    assert not wide, f"{name} {when}: outputs wider than the notebook (index, text, shown, full): {wide}"
    poor = page.evaluate(CONTRAST_JS, f"{VISIBLE} .jp-OutputArea-output")
    assert not poor, \
        f"{name} {when}: text below WCAG AA contrast (text, colour, background, ratio): {poor[:10]}"


def assert_diagrams_drawn(page, name: str, when: str) -> None:
    """Every diagram of the committed notebook is an image with pixels and alt text."""
    want = expected_diagrams(name)
    svgs = page.locator(f"{VISIBLE} img.vpnlearn-diagram")
    if want:
        svgs.nth(want - 1).wait_for(timeout=30_000)
    assert svgs.count() == want, f"{name} {when}: {svgs.count()} of {want} diagrams drawn"
    for i in range(want):
        svgs.nth(i).evaluate("img => img.decode()")
        assert svgs.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), \
            f"{name} {when}: diagram {i} is empty"
        assert svgs.nth(i).get_attribute("alt", timeout=5_000).startswith("Diagram: "), \
            f"{name} {when}: diagram {i} has no alt text"


def screenshot(page, filename: str) -> None:
    """One tall screenshot of the whole notebook, from its top, for people to review."""
    height = page.evaluate(f"() => document.querySelector('{VISIBLE} .jp-WindowedPanel-outer').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 16000)})
    page.evaluate(f"() => {CURRENT}.content.widgets[0].node.scrollIntoView()")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / filename))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(browser, lab_server, name: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # A workspace of its own, reset: nothing left open from the notebook before.
        page.goto(f"{lab_server['url']}/lab/workspaces/test-{name}/tree/{name}.ipynb?reset")
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel picker?) blocks the notebook"
        # What a learner sees on opening, before running anything: the saved diagrams, drawn.
        assert_diagrams_drawn(page, name, "as opened (saved outputs)")
        assert_fits_and_readable(page, name, "as opened")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_RUN, timeout=180_000)
        page.wait_for_timeout(1500)  # let widgets and images render
        outputs = page.evaluate(OUTPUT_TYPES)
        errors = [o for cell in outputs for o in cell if o[0] == "error"]
        assert not errors, f"{name}: error outputs in JupyterLab: {errors}"
        body = page.locator(VISIBLE).inner_text()
        assert "Loading widget" not in body, f"{name}: a widget did not render"
        assert "Traceback" not in body
        assert_diagrams_drawn(page, name, "after Run All")
        answer_quizzes_in_browser(page, lab_server, name)
        assert_fits_and_readable(page, name, "after Run All and the quiz")
        screenshot(page, f"{name}.png")
    finally:
        context.close()


# One notebook per kind of output: hexdumps and the quiz (01), SAD/SPD tables (03), sequence and
# state diagrams (05), findings/rules tables and topology diagrams (06).
DARK = ["01-crypto-building-blocks", "03-security-associations", "05-ikev2-beyond-ikev1",
        "06-aws-site-to-site"]
SET_THEME = """async (theme) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', {theme});
}"""


@pytest.mark.parametrize("name", DARK)
def test_notebook_is_readable_in_the_dark_theme(browser, lab_server, name: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{lab_server['url']}/lab/workspaces/dark-{name}/tree/{name}.ipynb?reset")
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        page.evaluate(SET_THEME, "JupyterLab Dark")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_RUN, timeout=180_000)
        page.wait_for_timeout(1500)
        answer_quizzes_in_browser(page, lab_server, name)
        assert_fits_and_readable(page, name, "in the dark theme")
        screenshot(page, f"{name}-dark.png")
    finally:
        # The theme is a user setting of the shared server: put it back for the other tests.
        page.evaluate(SET_THEME, "JupyterLab Light")
        context.close()

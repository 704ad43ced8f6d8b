"""Cross-check: jupyterquiz's own JavaScript, in Chromium, grades our exported questions as grade() does.

Slow (a browser), so it runs only with --long-fuzz.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from vpnlearn.quiz.bank import load_all
from vpnlearn.quiz.export import to_jupyterquiz
from vpnlearn.quiz.grading import grade

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def page_html(questions: list[dict]) -> str:
    from jupyterquiz.dynamic.loader import load_questions_script
    from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

    div_id = "vpnlearnquiz"
    prefix, static, url = load_questions_script(questions, div_id)
    div = render_div(div_id, False, False, False, 1_000_000, 600, 10, "left")
    styles = build_styles(div_id, {})
    script = build_script(prefix, static, url, div_id, True)
    return f"<html><head>{styles}</head><body>{div}</div><script>{script}</script></body></html>"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def numeric_probes(value, rng, precision) -> list[str]:
    """Typed inputs around an answer: the value as a fraction, range ends, and rounding edges."""
    if rng is not None:
        lo, hi = rng
        return [_num(lo), _num(hi), _num(hi - 0.5), f"{_num(lo * 2)}/2"]
    out = [_num(value), f"{_num(value * 4)}/4"]
    if precision:
        e = math.floor(math.log10(abs(value))) if value else 0
        step = 10 ** (e - precision + 1)
        out += [repr(value + 0.4 * step), repr(value + 0.6 * step)]   # rounds back / rounds away
    return out


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def test_jupyterquiz_grades_numeric_string_and_choice_answers_like_we_do(browser):
    questions = [q for b in load_all(ROOT / "quizzes").values() for q in b.questions
                 if q.type in ("numeric", "string", "multiple_choice", "ordering")]
    page = browser.new_page()
    page.set_content(page_html([to_jupyterquiz(q) for q in questions]))
    page.wait_for_function(f"document.querySelectorAll('.Quiz').length == {len(questions)}")
    wrappers = page.locator(".Quiz")
    checked = 0
    for i, q in enumerate(questions):
        wrap = wrappers.nth(i)
        fb = wrap.locator(".Feedback")
        if q.type in ("numeric", "string"):
            probes: list[str] = []
            for a in q.answers:
                if a.type == "default":
                    continue
                if q.type == "numeric":
                    probes += numeric_probes(a.value, a.range, q.precision)
                else:
                    probes += [a.answer, a.answer.swapcase()]
            probes.append("-123456789" if q.type == "numeric" else "zzz not it")
            box = wrap.locator("input.Input-text")
            for text in probes:
                box.fill(text)
                box.press("Enter")
                theirs = "correct" in (fb.get_attribute("class") or "").split()
                ours = grade(q, text).correct
                assert theirs == ours, (q.id, text, theirs, ours, fb.inner_text())
                checked += 1
        else:
            labels = wrap.locator("label.MCButton")
            exported = to_jupyterquiz(q)["answers"]
            assert labels.count() == len(exported)
            for j in range(labels.count()):
                labels.nth(j).click()
                theirs = "correct" in (fb.get_attribute("class") or "").split()
                if q.type == "multiple_choice":
                    ours = grade(q, j).correct
                else:  # ordering exported as a choice between orders
                    ours = exported[j]["answer"] == " → ".join(q.items)
                assert theirs == ours, (q.id, j)
                checked += 1
    page.close()
    assert checked > 300

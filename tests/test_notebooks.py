"""The course notebooks: uniform shape, executed, deterministic, ending in a quiz, citing real sources.

nbval (scripts/run-nbval.py, part of `make test`) re-runs every notebook and compares its outputs;
these tests check what nbval does not.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
COURSE = yaml.safe_load((ROOT / "course" / "course.yaml").read_text())
SOURCED = [e["name"] for e in COURSE["notebooks"] if (ROOT / "course" / "src" / f"{e['name']}.py").exists()]
AWS_LINK = re.compile(r"https://(?:docs\.aws\.amazon\.com|repost\.aws)/[^\s)<>`\"'\]\\]*")
MAX_IGNORED = 3

_spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "scripts" / "build-notebooks.py")
build = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(build)  # type: ignore[union-attr]


def load(name: str) -> dict:
    path = NB_DIR / f"{name}.ipynb"
    assert path.exists(), f"{path} missing: run `make notebooks`"
    return json.loads(path.read_text())


def allowed_links() -> set[str]:
    lines = (ROOT / "docs" / "sources" / "aws-doc-links.txt").read_text().splitlines()
    return {line.split("#")[0] for line in lines if line.startswith("https://")}


def test_there_are_notebooks() -> None:
    assert SOURCED, "no notebook sources in course/src"
    assert SOURCED[0] == COURSE["notebooks"][0]["name"]


@pytest.mark.parametrize("name", SOURCED)
def test_committed_notebook_matches_its_source(name: str) -> None:
    """Header, navigation and cell sources are what the build script makes: nobody edited by hand."""
    nb = load(name)
    index = [e["name"] for e in COURSE["notebooks"]].index(name)
    expected = build.build_notebook(COURSE, index, SOURCED)
    got = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    want = [(c["cell_type"], c["source"]) for c in expected.cells]
    assert got == want, f"notebooks/{name}.ipynb is out of date: run `make notebooks`"


@pytest.mark.parametrize("name", SOURCED)
def test_notebook_is_executed_cleanly(name: str) -> None:
    nb = load(name)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb["metadata"], "saved widget state: build with store_widget_state=False"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook with no code teaches nothing here"
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "not executed in order"
    for c in code:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"error output in {name}: {out.get('ename')}"
            text = "".join(out.get("text", "")) if out["output_type"] == "stream" else ""
            assert "Traceback" not in text, f"traceback printed in {name}"


@pytest.mark.parametrize("name", SOURCED)
def test_ignored_outputs_are_few_and_explained(name: str) -> None:
    nb = load(name)
    ignored = [c for c in nb["cells"] if "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]
    assert len(ignored) <= MAX_IGNORED
    for c in ignored:
        assert c["metadata"].get("nbval-ignore-reason"), "an ignored output needs a reason"


@pytest.mark.parametrize("name", SOURCED)
def test_uniform_header_and_navigation(name: str) -> None:
    nb = load(name)
    first, last = nb["cells"][0], nb["cells"][-1]
    assert "vpnlearn-header" in first["metadata"].get("tags", [])
    assert "vpnlearn-footer" in last["metadata"].get("tags", [])
    head = "".join(first["source"])
    assert "[Contents](contents.ipynb)" in head and "**In this notebook you will:**" in head
    for target in re.findall(r"\]\(([^)]+\.ipynb)\)", head + "".join(last["source"])):
        assert (NB_DIR / target).exists(), f"{name} links to missing {target}"


@pytest.mark.parametrize("name", SOURCED)
def test_ends_with_a_quiz(name: str) -> None:
    code = [c for c in load(name)["cells"] if c["cell_type"] == "code"]
    assert re.search(r"\bquiz\(", "".join(code[-1]["source"])), f"{name}: the last code cell is not a quiz"


@pytest.mark.parametrize("name", SOURCED)
def test_aws_links_come_from_the_sources(name: str) -> None:
    allowed = allowed_links()
    text = (NB_DIR / f"{name}.ipynb").read_text()
    for link in AWS_LINK.findall(text):
        assert link.split("#")[0] in allowed, f"{name} cites {link}, which is not in the fact sheet"


def test_contents_links_every_notebook() -> None:
    contents = "".join(load(COURSE["contents"])["cells"][0]["source"])
    for name in SOURCED:
        assert f"({name}.ipynb)" in contents

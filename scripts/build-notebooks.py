#!/usr/bin/env python3
"""Regenerate every course notebook: header, navigation, contents, and executed outputs.

Sources: course/course.yaml (order, titles, objectives, time, quiz) and course/src/<name>.py
(the body, in "percent" format: a line ``# %% [markdown]`` starts a Markdown cell whose lines are
comments, a line ``# %%`` starts a code cell). A code cell whose output cannot be deterministic is
marked ``# %% tags=["nbval-ignore-output"] reason="why"``: the reason goes into the cell's metadata.

Usage:
    scripts/build-notebooks.py                 # build and execute all notebooks that have a source
    scripts/build-notebooks.py 02-ipsec-architecture-esp   # just these
    scripts/build-notebooks.py --check         # execute twice and fail if the outputs differ
    scripts/build-notebooks.py --no-execute    # write without running (quick look at the layout)

Outputs are deterministic: notebooks seed their randomness (vpnlearn.course.setup), quiz progress
goes to a throw-away file while building, and no cell reads the clock.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
COURSE_DIR = ROOT / "course"
SRC_DIR = COURSE_DIR / "src"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
HEADER_RE = re.compile(r"^# %%(?P<rest>.*)$")


def load_course() -> dict:
    return yaml.safe_load((COURSE_DIR / "course.yaml").read_text())


def parse_source(path: Path) -> list[dict]:
    """Split a percent-format source into cells: {"type", "source", "tags", "reason"}."""
    cells: list[dict] = []
    current: dict | None = None
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = HEADER_RE.match(line)
        if m:
            rest = m.group("rest").strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            tags_m = re.search(r"tags=(\[[^\]]*\])", rest)
            reason_m = re.search(r'reason="([^"]*)"', rest)
            tags = json.loads(tags_m.group(1)) if tags_m else []
            if "nbval-ignore-output" in tags and not reason_m:
                sys.exit(f"{path}:{lineno}: a cell tagged nbval-ignore-output needs reason=\"...\"")
            current = {"type": kind, "lines": [], "tags": tags,
                       "reason": reason_m.group(1) if reason_m else None}
            cells.append(current)
            continue
        if current is None:
            if line.strip():
                sys.exit(f"{path}:{lineno}: text before the first '# %%' cell marker")
            continue
        if current["type"] == "markdown":
            if line.startswith("# "):
                line = line[2:]
            elif line.startswith("#"):
                line = line[1:]
        current["lines"].append(line)
    for c in cells:
        while c["lines"] and not c["lines"][-1].strip():
            c["lines"].pop()
        while c["lines"] and not c["lines"][0].strip():
            c["lines"].pop(0)
        c["source"] = "\n".join(c.pop("lines"))
    return [c for c in cells if c["source"]]


def nav_line(course: dict, index: int, available: list[str]) -> str:
    """Prev / Contents / Next, in course.yaml's order (every listed notebook must exist by release;
    tests/test_notebooks.py checks the links)."""
    entries = course["notebooks"]
    parts = []
    if index > 0:
        prev = entries[index - 1]
        parts.append(f"[← {prev['title']}]({prev['name']}.ipynb)")
    parts.append(f"[Contents]({course['contents']}.ipynb)")
    if index + 1 < len(entries):
        nxt = entries[index + 1]
        parts.append(f"[{nxt['title']} →]({nxt['name']}.ipynb)")
    return " | ".join(parts)


def header_markdown(course: dict, index: int, available: list[str]) -> str:
    entry = course["notebooks"][index]
    number = entry["name"].split("-", 1)[0]
    by_name = {e["name"]: e for e in course["notebooks"]}
    prereq = ", ".join(f"[{by_name[p]['title']}]({p}.ipynb)" for p in entry["prerequisites"]) or "none"
    objectives = "\n".join(f"- {o}" for o in entry["objectives"])
    return (f"{nav_line(course, index, available)}\n\n"
            f"# {number} · {entry['title']}\n\n"
            f"**In this notebook you will:**\n\n{objectives}\n\n"
            f"**Before this:** {prereq} · **Time:** about {entry['minutes']} minutes\n\n"
            "*Run the cells in order (Shift+Enter), or Run → Run All Cells.*")


def footer_markdown(course: dict, index: int, available: list[str]) -> str:
    return f"---\n{nav_line(course, index, available)}"


def new_notebook(cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def build_notebook(course: dict, index: int, available: list[str]) -> nbformat.NotebookNode:
    entry = course["notebooks"][index]
    cells = [nbformat.v4.new_markdown_cell(header_markdown(course, index, available),
                                           metadata={"tags": ["vpnlearn-header"]})]
    for c in parse_source(SRC_DIR / f"{entry['name']}.py"):
        if c["type"] == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(c["source"]))
        else:
            meta: dict = {}
            if c["tags"]:
                meta["tags"] = c["tags"]
            if c["reason"]:
                meta["nbval-ignore-reason"] = c["reason"]
            cells.append(nbformat.v4.new_code_cell(c["source"], metadata=meta))
    cells.append(nbformat.v4.new_markdown_cell(footer_markdown(course, index, available),
                                               metadata={"tags": ["vpnlearn-footer"]}))
    return new_notebook(cells)


def build_contents(course: dict, available: list[str]) -> nbformat.NotebookNode:
    lines = [f"# {course['title']}", "",
             "A short course in notebooks. Each one teaches one idea with real running code and ends "
             "with a quiz. Start with the first and go in order; the links at the top and bottom of "
             "every notebook lead to the next.", ""]
    for e in course["notebooks"]:
        number = e["name"].split("-", 1)[0]
        if e["name"] in available:
            lines.append(f"{number}. [{e['title']}]({e['name']}.ipynb) · about {e['minutes']} min  ")
        else:
            lines.append(f"{number}. {e['title']} (being written)  ")
        lines.append("   " + "; ".join(e["objectives"]))
    lines += ["", "Your quiz progress is saved on this machine; `vpnlearn progress` in a terminal "
              "shows it, topic by topic."]
    return new_notebook([nbformat.v4.new_markdown_cell("\n".join(lines),
                                                       metadata={"tags": ["vpnlearn-contents"]})])


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(NB_DIR)}},
                            # One stream output per cell and stream, however the kernel happened to
                            # flush (print() in a slow cell may arrive in pieces): byte-stable builds.
                            coalesce_streams=True)
    client.execute()
    stable_widget_ids(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def stable_widget_ids(nb: nbformat.NotebookNode) -> None:
    """Give saved widget views ids made from their place in the notebook, not the kernel's random ones.

    The widget state is not saved (the quiz is re-made when its cell runs), so the id refers to nothing
    either way; a fixed one keeps rebuilds from changing every notebook's diff."""
    for c, cell in enumerate(nb.cells):
        for o, out in enumerate(cell.get("outputs", [])):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                view["model_id"] = hashlib.sha256(f"{c}/{o}".encode()).hexdigest()[:32]


def comparable(nb: nbformat.NotebookNode) -> str:
    """Outputs as text. ``execute`` already joined stream chunks (coalesce_streams) and gave widget
    views fixed ids, so two runs compare equal exactly when the outputs are the same."""
    outs = [cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"]
    return json.dumps(outs, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names (default: all with a source)")
    parser.add_argument("--check", action="store_true", help="execute twice and compare the outputs")
    parser.add_argument("--no-execute", action="store_true")
    args = parser.parse_args(argv)
    course = load_course()
    available = [e["name"] for e in course["notebooks"] if (SRC_DIR / f"{e['name']}.py").exists()]
    wanted = args.names or available
    unknown = set(wanted) - set(available)
    if unknown:
        print(f"no source for: {', '.join(sorted(unknown))} (looked in {SRC_DIR})", file=sys.stderr)
        return 2
    tmp = tempfile.TemporaryDirectory(prefix="vpnlearn-build-")
    os.environ["VPNLEARN_PROGRESS"] = str(Path(tmp.name) / "progress.json")
    os.environ["PYTHONHASHSEED"] = "0"
    nbformat.write(build_contents(course, available), NB_DIR / f"{course['contents']}.ipynb")
    status = 0
    for index, entry in enumerate(course["notebooks"]):
        if entry["name"] not in wanted:
            continue
        nb = build_notebook(course, index, available)
        if not args.no_execute:
            Path(os.environ["VPNLEARN_PROGRESS"]).unlink(missing_ok=True)
            first = execute(nb)
            if args.check:
                Path(os.environ["VPNLEARN_PROGRESS"]).unlink(missing_ok=True)
                second = execute(nb)
                if comparable(first) != comparable(second):
                    print(f"{entry['name']}: outputs differ between two runs", file=sys.stderr)
                    status = 1
            nb = first
        nbformat.write(nb, NB_DIR / f"{entry['name']}.ipynb")
        print(f"wrote notebooks/{entry['name']}.ipynb")
    tmp.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())

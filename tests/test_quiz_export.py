"""Exports: jupyterquiz JSON round trip, nbgrader notebooks checked with nbgrader's own code."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, LockCells
from traitlets.config import Config

from vpnlearn.errors import BankError
from vpnlearn.quiz.bank import load_all, load_bank, select
from vpnlearn.quiz.export import (
    check_answer,
    jupyterquiz_to_bank,
    nbgrader_notebook,
    to_jupyterquiz,
    to_jupyterquiz_json,
    write_nbgrader,
)
from vpnlearn.quiz.grading import grade

ROOT = Path(__file__).resolve().parents[1]
BANKS = ROOT / "quizzes"
ALL = [q for b in load_all(BANKS).values() for q in b.questions]


def comparable(q):
    return q.to_dict()


def test_jupyterquiz_round_trip_is_lossless_for_every_question():
    text = to_jupyterquiz_json(ALL)
    back = jupyterquiz_to_bank(text, topic="crypto")
    assert [comparable(q) for q in back] == [comparable(q) for q in ALL]


def test_jupyterquiz_json_has_jupyterquiz_shape():
    for q, d in zip(ALL, json.loads(to_jupyterquiz_json(ALL)), strict=True):
        assert d["type"] in ("multiple_choice", "many_choice", "numeric", "string")
        assert isinstance(d["question"], str) and d["answers"]
        if d["type"] == "numeric":
            assert all(a["type"] in ("value", "range", "default") for a in d["answers"])
            for a in d["answers"]:
                if a["type"] == "range":
                    assert len(a["range"]) == 2 and a["range"][0] < a["range"][1]
        else:
            for a in d["answers"]:
                assert "answer" in a or a.get("type") == "default"
        if q.type == "ordering":     # exported as a choice between orders, exactly one right
            right = [a for a in d["answers"] if a["correct"]]
            assert len(right) == 1 and right[0]["answer"] == " → ".join(q.items)
            assert len(d["answers"]) >= 2


def test_jupyterquiz_semantics_match_our_grading():
    # jupyterquiz's numeric rule: first matching entry, value equality, range lo <= x < hi.
    for q in ALL:
        if q.type != "numeric":
            continue
        d = to_jupyterquiz(q)
        for a in d["answers"]:
            if a["type"] == "default":
                continue
            x = a.get("value", a.get("range", [None])[0])
            first = next(e for e in d["answers"] if e["type"] != "default" and (
                ("value" in e and e["value"] == x) or ("range" in e and e["range"][0] <= x < e["range"][1])))
            assert grade(q, x).correct is first["correct"], (q.id, x)


def test_plain_jupyterquiz_file_needs_explanation_and_source():
    plain = [{"question": "Pick 2", "type": "multiple_choice",
              "answers": [{"answer": "1", "correct": False}, {"answer": "2", "correct": True}]}]
    with pytest.raises(BankError) as info:
        jupyterquiz_to_bank(json.dumps(plain), topic="crypto", file="plain.json")
    fields = sorted(p.field for p in info.value.problems)
    assert fields == ["explanation", "source"]
    assert "plain.json[0]" in str(info.value)
    with pytest.raises(BankError, match="not valid JSON"):
        jupyterquiz_to_bank("[{", topic="crypto")


def test_cli_export_import_check_round_trip(tmp_path, capsys):
    from vpnlearn.cli import main

    assert main(["export", "jupyterquiz", "ikev2", "-o", str(tmp_path / "ikev2.json")]) == 0
    assert main(["export", "import-jupyterquiz", str(tmp_path / "ikev2.json"), "--topic", "ikev2",
                 "--title", "IKEv2", "-o", str(tmp_path / "ikev2.yaml")]) == 0
    capsys.readouterr()
    assert main(["quiz", "--check", str(tmp_path / "ikev2.yaml")]) == 0
    assert "OK: 1 bank file(s)" in capsys.readouterr().out
    assert [q.to_dict() for q in load_bank(tmp_path / "ikev2.yaml").questions] == \
        [q.to_dict() for q in load_bank(BANKS / "ikev2.yaml").questions]
    assert main(["export", "nbgrader", "crypto", "-o", str(tmp_path / "course")]) == 0
    assert (tmp_path / "course" / "source" / "quiz-crypto" / "crypto.ipynb").exists()
    assert main(["export", "jupyterquiz", "nope"]) == 2          # unknown bank: one-line error, exit 2
    assert "no quiz bank named 'nope'" in capsys.readouterr().err


def _notebook(topic="crypto"):
    title, qs = select(topic, bank_dir=BANKS)
    return qs, nbformat.from_dict(nbgrader_notebook(qs, title=title))


def _run_code(nb, answers: dict[int, object] | None = None) -> None:
    """Run a notebook's code cells in one namespace (answers override ANSWER_n after its cell)."""
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if answers is not None and grade_id.startswith("answer-"):
            n = int(src.split("ANSWER_")[1].split(" ")[0])
            src = f"ANSWER_{n} = {answers[n]!r}"
        exec(compile(src, grade_id, "exec"), ns)


@pytest.mark.parametrize("topic", ["crypto", "ikev2", "client-vpn"])
def test_nbgrader_notebook_validates_with_nbgraders_validator(topic):
    qs, nb = _notebook(topic)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)                  # nbgrader's own schema-3 checks
    metas = [c.metadata["nbgrader"] for c in nb.cells]
    assert all(m["schema_version"] == 3 for m in metas)
    assert len({m["grade_id"] for m in metas}) == len(metas)
    graded = [m for m in metas if m["grade"]]
    assert len(graded) == len(qs) and all(m["locked"] and not m["solution"] for m in graded)
    solutions = [m for m in metas if m["solution"]]
    assert len(solutions) == len(qs) and not any(m["locked"] for m in solutions)
    _run_code(nb)                                        # the instructor version passes its own tests


def test_release_version_hides_answers_and_grades_students():
    qs, nb = _notebook("crypto")
    release = copy.deepcopy(nb)
    cfg = Config()
    resources = {"nbgrader": {"assignment": "quiz-crypto", "notebook": "crypto"}}
    for pre in (ClearSolutions(config=cfg), ClearHiddenTests(config=cfg), LockCells(config=cfg)):
        release, resources = pre.preprocess(release, resources)
    MetadataValidator().validate_nb(release)
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "check_answer(json.loads" not in text and '"correct": true' not in text
    assert text.count("raise NotImplementedError()") == len(qs)
    # A student who answers everything right passes; one wrong answer fails its test cell.
    right = {}
    for n, cell in enumerate([c for c in nb.cells if c.metadata["nbgrader"]["solution"]], 1):
        right[n] = eval(cell.source.split(f"ANSWER_{n} = ")[-1].split("\n")[0])
    hidden_nb = nb   # grading runs the instructor tests (hidden ones included) on the student's answers
    _run_code(hidden_nb, right)
    wrong = dict(right)
    wrong[1] = 8                                          # the AES-CBC IV is 16, not 8
    with pytest.raises(AssertionError, match="question 1 is not right yet"):
        _run_code(hidden_nb, wrong)


def test_check_answer_numbers_are_one_based():
    _, qs = select("crypto", ids=["crypto-aes-cbc-padding", "crypto-gcm-icv-sizes", "crypto-dh-group-sizes"],
                   bank_dir=BANKS)
    mc, many, order = (q.to_dict() for q in qs)
    assert check_answer(mc, qs[0].choices.index("16 bytes") + 1)
    assert not check_answer(mc, qs[0].choices.index("16 bytes"))
    assert check_answer(many, [1, 2, 3]) and not check_answer(many, [1, 2])
    shown = qs[2].display_items()
    assert check_answer(order, [shown.index(i) + 1 for i in qs[2].items])
    assert not check_answer(order, "nonsense") and not check_answer(mc, None)


@pytest.mark.slow
def test_real_nbgrader_generate_assignment_and_validate(tmp_path):
    """Runs the nbgrader command itself (slow: ~20 s here); only with --long-fuzz."""
    title, qs = select("crypto", bank_dir=BANKS)
    write_nbgrader(qs, tmp_path, assignment="quiz-crypto", notebook="crypto", title=title)
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nbgrader = shutil.which("nbgrader", path=env["PATH"])
    out = subprocess.run([nbgrader, "generate_assignment", "quiz-crypto",
                          f"--CourseDirectory.root={tmp_path}",
                          f"--CourseDirectory.db_url=sqlite:///{tmp_path}/gradebook.db"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    release = nbformat.read(tmp_path / "release" / "quiz-crypto" / "crypto.ipynb", 4)
    assert "HIDDEN TESTS" not in "".join(c.source for c in release.cells)
    out = subprocess.run([nbgrader, "validate", str(tmp_path / "source" / "quiz-crypto" / "crypto.ipynb")],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert "Success! Your notebook passes all the tests." in out.stdout, out.stdout + out.stderr

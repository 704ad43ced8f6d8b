"""The bank loader reports every problem with file, line, question id and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vpnlearn.errors import BankError, ConfigError
from vpnlearn.quiz.bank import check_paths, load_bank, select

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "data" / "broken-banks"

# (file, line, question id, field, words in the message): every one must be reported.
EXPECTED = [
    ("missing-source.yaml", 13, "broken-no-source", "source", "missing required field"),
    ("duplicate-ids.yaml", 12, "broken-dup", "id", "duplicate id (also at"),
    ("no-correct.yaml", 9, "broken-no-correct", "answers", "not among the choices"),
    ("unknown-type.yaml", 5, "broken-unknown-type", "type", "unknown type 'true_false'"),
    ("bad-range.yaml", 8, "broken-bad-range", "precision", "1 to 21"),
    ("bad-range.yaml", 10, "broken-bad-range", "answers[0].range", "bad range [3600, 900]"),
    ("bad-range.yaml", 11, "broken-bad-range", "answers[1].range", "two numbers"),
    ("bad-range.yaml", 12, "broken-bad-range", "answers[2].value", "needs a number"),
    ("bad-range.yaml", 14, "broken-bad-range", "answers[4].correct", "default answer cannot be correct"),
    ("bad-range.yaml", 10, "broken-bad-range", "answers", "more than one default"),
    ("bad-yaml.yaml", 8, "", "", "starts on line 6"),
    ("many-problems.yaml", 3, "", "", "unknown top-level field 'colour'"),
    ("many-problems.yaml", 1, "", "topic", "'not-a-topic' is not a known topic"),
    ("many-problems.yaml", 5, "Broken_Id", "id", "not a valid id"),
    ("many-problems.yaml", 7, "Broken_Id", "difficulty", "'trivial'"),
    ("many-problems.yaml", 9, "Broken_Id", "hint", "unknown field"),
    ("many-problems.yaml", 11, "Broken_Id", "answers[0].correct", "true or false"),
    ("many-problems.yaml", 11, "Broken_Id", "answers", "not among the choices"),
    ("many-problems.yaml", 12, "Broken_Id", "answers[1].answer", "same answer text"),
    ("many-problems.yaml", 13, "Broken_Id", "answers[2].colour", "unknown answer field"),
    ("many-problems.yaml", 15, "Broken_Id", "source", "not an AWS documentation URL"),
    ("many-problems.yaml", 16, "broken-ordering", "explanation", "missing required field"),
    ("many-problems.yaml", 22, "broken-ordering", "items", "repeats item 1"),
    ("many-problems.yaml", 24, "broken-ordering", "answers", "lists 'items'"),
    ("many-problems.yaml", 25, "broken-ordering", "source", "'RFC 7296' is neither"),
    ("many-problems.yaml", 30, "", "", "key 'question' appears twice"),
    ("many-problems.yaml", 32, "broken-dup-key", "answers[0].fuzzy_threshold", "(0, 1]"),
]


@pytest.fixture(scope="module")
def problems():
    return check_paths([BROKEN])


@pytest.mark.parametrize("file,line,qid,field,words", EXPECTED)
def test_every_problem_is_reported_with_where(problems, file, line, qid, field, words):
    matches = [p for p in problems if Path(p.file).name == file and p.line == line and p.question == qid
               and p.field == field and words in p.message]
    assert matches, f"not reported: {file}:{line} {qid} {field} {words!r}\n" + "\n".join(map(str, problems))
    text = str(matches[0])
    assert text.startswith(f"{BROKEN / file}:{line}: ")
    if qid:
        assert f"question {qid}" in text
    if field:
        assert f"field '{field}'" in text


def test_no_unexpected_problems(problems):
    # Every reported problem is one the table expects: no noise for authors to wade through.
    for p in problems:
        assert any(Path(p.file).name == f and p.line == ln and p.question == q and p.field == fld
                   and w in p.message for f, ln, q, fld, w in EXPECTED), f"unexpected: {p}"


def test_load_bank_raises_with_all_problems():
    with pytest.raises(BankError) as info:
        load_bank(BROKEN / "bad-range.yaml")
    assert len(info.value.problems) == 6
    assert "bad-range.yaml:10" in str(info.value)


def test_valid_bank_in_the_broken_folder_is_not_flagged(problems):
    # broken-ok sits beside a broken question; nothing is reported against it.
    assert not [p for p in problems if p.question == "broken-ok"]


def test_check_command_exits_nonzero_and_prints_every_problem():
    out = subprocess.run([sys.executable, "-m", "vpnlearn", "quiz", "--check", str(BROKEN)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 1
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    assert len(lines) == len(EXPECTED)
    assert f"{len(EXPECTED)} problem(s) in 7 file(s)" in out.stderr


def test_check_command_passes_on_the_course_banks(capsys):
    from vpnlearn.cli import main

    assert main(["quiz", "--check", str(ROOT / "quizzes")]) == 0
    assert capsys.readouterr().out.startswith("OK: 12 bank file(s)")


def test_duplicate_ids_across_files(tmp_path):
    text = (BROKEN / "missing-source.yaml").read_text()
    good = text.split("  - id: broken-no-source")[0]
    (tmp_path / "a.yaml").write_text(good)
    (tmp_path / "b.yaml").write_text(good.replace("Broken - missing source", "copy"))
    found = check_paths([tmp_path])
    assert len(found) == 1
    assert found[0].file.endswith("b.yaml") and found[0].line == 4
    assert "also at" in found[0].message and "a.yaml:4" in found[0].message


def test_select_unknown_topic_and_ids(tmp_path):
    with pytest.raises(ConfigError, match="no quiz bank named 'nope'"):
        select("nope", bank_dir=ROOT / "quizzes")
    with pytest.raises(ConfigError, match="no question with id missing-id"):
        select("crypto", ids=["missing-id"], bank_dir=ROOT / "quizzes")


def test_select_is_deterministic_without_seed_and_seeded_with_seed():
    _, a = select("crypto", n=4, bank_dir=ROOT / "quizzes")
    _, b = select("crypto", n=4, bank_dir=ROOT / "quizzes")
    assert [q.id for q in a] == [q.id for q in b]
    _, everything = select("crypto", bank_dir=ROOT / "quizzes")
    assert [q.id for q in a] == [q.id for q in everything[:4]]
    _, s1 = select("crypto", n=4, seed=7, bank_dir=ROOT / "quizzes")
    _, s2 = select("crypto", n=4, seed=7, bank_dir=ROOT / "quizzes")
    assert [q.id for q in s1] == [q.id for q in s2]
    seeds = {tuple(q.id for q in select("crypto", n=4, seed=s, bank_dir=ROOT / "quizzes")[1])
             for s in range(6)}
    assert len(seeds) > 1

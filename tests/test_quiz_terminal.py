"""The terminal runner, driven as a person would (pexpect), and in-process with scripted answers."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from vpnlearn.quiz.bank import select
from vpnlearn.quiz.progress import ProgressStore
from vpnlearn.quiz.terminal import parse_response, run

ROOT = Path(__file__).resolve().parents[1]
IDS = ["crypto-aes-cbc-iv-size", "crypto-aes-cbc-padding", "crypto-dh-group-sizes", "crypto-gcm-icv-sizes",
       "crypto-prf-plus"]


def spawn(args: list[str], progress: Path) -> pexpect.spawn:
    env = dict(os.environ, VPNLEARN_PROGRESS=str(progress), PYTHONPATH=str(ROOT))
    return pexpect.spawn(sys.executable, ["-m", "vpnlearn", *args], cwd=str(ROOT), env=env,
                         encoding="utf-8", timeout=30, dimensions=(50, 200))


def numbered(text: str) -> dict[str, int]:
    """{choice text: number} from lines like '  2) 16 bytes'."""
    return {m.group(2).strip(): int(m.group(1)) for m in re.finditer(r"^\s+(\d+)\) (.+?)\r?$", text, re.M)}


def test_a_learner_takes_the_crypto_quiz(tmp_path):
    progress = tmp_path / "progress.json"
    child = spawn(["quiz", "crypto", "--ids", *IDS], progress)
    child.expect(r"== Crypto building blocks: 5 questions ==")

    child.expect(r"Question 1/5")
    child.expect_exact("Your answer (a number): ")
    child.sendline("8")
    child.expect_exact("Not correct. 8 bytes is the IV of AES-GCM")
    child.expect_exact("The answer: 16")
    child.expect_exact("Source: RFC 3602 §3")

    child.expect(r"Question 2/5")
    child.expect_exact("Your answer (a number): ")
    choices = numbered(child.before)
    assert len(choices) == 4
    child.sendline("seven")                               # a typo is not graded, just re-asked
    child.expect_exact("(please type the number(s) shown before the answers)")
    child.expect_exact("Your answer (a number): ")
    child.sendline("9")
    child.expect_exact("(choose numbers from 1 to 4)")
    child.expect_exact("Your answer (a number): ")
    child.sendline(str(choices["16 bytes"]))
    child.expect_exact("Correct. Right: CBC encrypts whole 16-byte AES blocks.")

    child.expect(r"Question 3/5")
    child.expect_exact("Your order (all the numbers, first to last, separated by spaces): ")
    items = numbered(child.before)
    order = ["Group 2 (1024-bit MODP)", "Group 5 (1536-bit MODP)", "Group 14 (2048-bit MODP)",
             "Group 15 (3072-bit MODP)", "Group 16 (4096-bit MODP)"]
    assert set(items) == set(order)
    child.sendline(" ".join(str(items[o]) for o in order))
    child.expect_exact("Correct. Correct order.")

    child.expect(r"Question 4/5")
    child.expect_exact("Your answers (numbers separated by spaces): ")
    sizes = numbered(child.before)
    child.sendline(f"{sizes['8 bytes']} {sizes['16 bytes']}")       # forgot 12 bytes
    child.expect_exact("Not correct. You left out 1 correct answer.")

    child.expect(r"Question 5/5")
    child.expect_exact("Your answer: ")
    child.sendline("0x02")
    child.expect_exact("Correct. Yes: T2 = prf(K, T1 | S | 0x02).")
    child.expect_exact("Score: 3/5 correct (5 questions in the quiz)")
    child.expect_exact(f"(progress saved in {progress})")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    got = [(a.question, a.correct) for a in ProgressStore(progress).attempts()]
    assert got == [(IDS[0], False), (IDS[1], True), (IDS[2], True), (IDS[3], False), (IDS[4], True)]


def test_ctrl_d_stops_early(tmp_path):
    progress = tmp_path / "progress.json"
    child = spawn(["quiz", "ikev2", "-n", "3"], progress)
    child.expect_exact("Question 1/3")
    child.expect_exact("Your ")
    child.sendeof()
    child.expect_exact("Score: 0/0 correct (3 questions in the quiz)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not progress.exists() or ProgressStore(progress).attempts() == []


def test_unknown_topic_is_a_one_line_error(capsys):
    from vpnlearn.cli import main

    assert main(["quiz", "no-such-topic", "--no-record"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vpnlearn quiz: error: no quiz bank named 'no-such-topic'")


def test_run_in_process_with_scripted_answers(tmp_path):
    _, questions = select("ikev2", ids=["ikev2-exchange-type-numbers", "ikev2-child-keymat",
                                        "ikev2-initiator-flag"], bank_dir=ROOT / "quizzes")
    flag = questions[2]
    right_flag = flag.choices.index("The I (Initiator) flag") + 1
    answers = iter(["34", "sk_d", str(right_flag)])
    out: list[str] = []
    store = ProgressStore(tmp_path / "p.json", clock=lambda: 7.0)
    results = run(questions, ask=lambda prompt: next(answers), say=out.append, store=store)
    assert [r.correct for r in results] == [True, True, True]
    assert out[-1] == "Score: 3/3 correct (3 questions in the quiz)"
    assert [a.response for a in store.attempts()] == ["34", "sk_d", str(right_flag)]


@pytest.mark.parametrize("text,msg", [("", "type an answer"), ("1 1 2", "exactly once"), ("0", "from 1 to")])
def test_parse_response_errors(text, msg):
    _, (q,) = select("crypto", ids=["crypto-dh-group-sizes"], bank_dir=ROOT / "quizzes")
    from vpnlearn.errors import ConfigError
    with pytest.raises(ConfigError, match=msg):
        parse_response(q, text)

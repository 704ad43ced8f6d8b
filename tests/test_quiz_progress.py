"""Progress store: atomic writes, fcntl lock with merge-on-write, corrupt files moved aside."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vpnlearn.quiz.progress import FORMAT, ProgressStore, ProgressWarning, default_path, format_summary

ROOT = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys
from vpnlearn.quiz.progress import ProgressStore
import os, time
path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4:  # announce each fsync and pause, so the test can kill inside a save
    real_fsync = os.fsync
    def slow_fsync(fd):
        print("F", flush=True)
        time.sleep(0.1)
        real_fsync(fd)
    os.fsync = slow_fsync
store = ProgressStore(path, clock=lambda: 0.0)
for i in range(count):
    store.record(f"{tag}-{i}", "crypto", i % 2 == 0, response=[i, "x" * 50])
    print(i, flush=True)
"""


def run_writer(path: Path, tag: str, count: int, pause: bool = False) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    extra = ["pause"] if pause else []
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(count), *extra], env=env,
                            stdout=subprocess.PIPE, text=True)


def test_record_and_read_back_with_injected_clock(tmp_path):
    now = [1000.0]
    store = ProgressStore(tmp_path / "p.json", clock=lambda: now[0])
    store.record("crypto-a", "crypto", True, response=2)
    now[0] = 1060.5
    store.record("crypto-a", "crypto", False, score=0.5, response={"odd": "object"})
    store.record("ikev2-b", "ikev2", False, when=5.0)
    got = store.attempts()
    assert [(a.question, a.correct, a.time) for a in got] == [("crypto-a", True, 1000.0),
                                                               ("crypto-a", False, 1060.5),
                                                               ("ikev2-b", False, 5.0)]
    assert got[1].score == 0.5 and got[1].response == "{'odd': 'object'}"
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["format"] == FORMAT and data["version"] == 1
    assert store.summary() == {"crypto": {"attempts": 2, "tried": 1, "solved": 1},
                               "ikev2": {"attempts": 1, "tried": 1, "solved": 0}}
    table = format_summary(store.summary(), {"crypto": 15})
    assert "crypto" in table and "1/15" in table
    assert format_summary({}) == "No quiz attempts recorded yet."


def test_default_path_order(monkeypatch, tmp_path):
    monkeypatch.setenv("VPNLEARN_PROGRESS", str(tmp_path / "x.json"))
    assert default_path() == tmp_path / "x.json"
    monkeypatch.delenv("VPNLEARN_PROGRESS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "vpnlearn" / "progress.json"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "vpnlearn" / "progress.json"


@pytest.mark.parametrize("content,why", [
    (b"{not json", "not valid JSON"),
    (b'{"attempts": []}', "not a vpnlearn progress file"),
    (b'{"format": "vpnlearn-progress", "attempts": [1, 2]}', "damaged"),
    (b"\xff\xfe\x00", "not valid JSON"),
])
def test_corrupt_file_is_moved_aside_and_a_fresh_one_started(tmp_path, content, why):
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    store = ProgressStore(path, clock=lambda: 1.0)
    with pytest.warns(ProgressWarning) as warned:
        store.record("crypto-a", "crypto", True)
    message = str(warned[0].message)
    assert why in message and str(path) in message and "progress.json.corrupt-1" in message
    assert (tmp_path / "progress.json.corrupt-1").read_bytes() == content
    assert [a.question for a in store.attempts()] == ["crypto-a"]
    path.write_bytes(b"again broken")
    with pytest.warns(ProgressWarning, match="corrupt-2"):
        assert store.attempts() == []


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared.json"
    n = 60
    procs = [run_writer(path, tag, n) for tag in ("kernel1", "kernel2")]
    for p in procs:
        p.communicate(timeout=60)
        assert p.returncode == 0
    got = [a.question for a in ProgressStore(path).attempts()]
    assert len(got) == 2 * n
    for tag in ("kernel1", "kernel2"):
        mine = [q for q in got if q.startswith(tag)]
        assert mine == [f"{tag}-{i}" for i in range(n)]       # all there, in order
    # they really did interleave (both wrote while the other was running)
    first_k2 = got.index("kernel2-0")
    assert any(q.startswith("kernel1") for q in got[first_k2:])


def test_process_killed_mid_save_never_leaves_a_broken_file(tmp_path):
    rng = random.Random(20261125)
    path = tmp_path / "killed.json"
    # A big file makes each save take long enough that kills land inside writes.
    seed = ProgressStore(path, clock=lambda: 0.0)
    seed.record("seed-0", "crypto", True, response="y" * 200_000)
    trials = 10
    total_acked = 1
    for trial in range(trials):
        proc = run_writer(path, f"t{trial}", 10_000)
        acked = 0
        deadline = time.monotonic() + rng.uniform(0.05, 0.4)
        proc.stdout.readline()            # the first record is saved: the writer is running
        acked = 1
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked += 1
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        acked += len(rest.split())
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        with warnings_as_errors():
            got = [a.question for a in ProgressStore(path).attempts()]
        mine = [q for q in got if q.startswith(f"t{trial}-")]
        # every acknowledged save is there; at most the one in flight may also have landed
        assert acked <= len(mine) <= acked + 1, (trial, acked, len(mine))
        assert mine == [f"t{trial}-{i}" for i in range(len(mine))]
        total_acked += len(mine)
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert len(ProgressStore(path).attempts()) == total_acked


def test_kill_between_temp_write_and_replace_keeps_the_old_file(tmp_path):
    # Kill exactly inside a save (the temp file is written, os.replace has not run), several times.
    path = tmp_path / "p.json"
    for trial in range(4):
        proc = run_writer(path, f"k{trial}", 100, pause=True)
        acked, fsyncs = 0, 0
        for line in proc.stdout:
            if line.strip() == "F":
                fsyncs += 1
                if acked >= 1 and fsyncs > 2 * acked:   # the first fsync of save number acked+1
                    break
            else:
                acked += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = list(tmp_path.glob(".p.json.*.tmp"))
        assert len(left) == 1                      # the kill landed inside a save
        with warnings_as_errors():
            mine = [a.question for a in ProgressStore(path).attempts() if a.question.startswith(f"k{trial}-")]
        assert mine == [f"k{trial}-{i}" for i in range(acked)]   # exactly the finished saves
    ProgressStore(path).record("after", "crypto", True)
    assert not list(tmp_path.glob(".p.json.*.tmp"))               # stale temp files are cleaned up


class warnings_as_errors:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error", ProgressWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_progress_command_prints_a_per_topic_summary(tmp_path, monkeypatch, capsys):
    path = tmp_path / "p.json"
    store = ProgressStore(path, clock=lambda: 0.0)
    store.record("crypto-aes-cbc-iv-size", "crypto", False)
    store.record("crypto-aes-cbc-iv-size", "crypto", True)
    store.record("ikev2-min-messages", "ikev2", False)
    from vpnlearn.cli import main

    monkeypatch.setenv("VPNLEARN_PROGRESS", str(path))
    assert main(["progress"]) == 0
    stdout = capsys.readouterr().out
    lines = stdout.splitlines()
    assert lines[0].split() == ["topic", "solved", "tried", "attempts"]
    crypto = next(ln for ln in lines if ln.startswith("crypto"))
    ikev2 = next(ln for ln in lines if ln.startswith("ikev2"))
    assert crypto.split()[1:] == ["1/15", "1", "2"]
    assert ikev2.split()[1].startswith("0/") and ikev2.split()[2:] == ["1", "1"]
    assert str(path) in stdout

"""A learner's progress: every attempt at every question, in one JSON file.

Where: ``$VPNLEARN_PROGRESS`` if set (a file path), else ``$XDG_DATA_HOME/vpnlearn/progress.json``,
else ``~/.local/share/vpnlearn/progress.json``.

Safe with several kernels and terminals at once:

- each :meth:`ProgressStore.record` takes an exclusive ``fcntl`` lock on ``progress.json.lock``,
  re-reads the file, appends, and writes it back, so two writers lose nothing (merge on write);
- the write is atomic: a temporary file in the same folder, ``fsync``, ``os.replace``, then an
  ``fsync`` of the folder, so a process killed at any moment leaves either the old or the new file;
- a file that is not valid progress JSON is moved aside to ``progress.json.corrupt-N`` (with a
  :class:`ProgressWarning` that names both paths) and a fresh one is started.

Time is passed in: the store takes a ``clock`` (default :func:`time.time`) so tests can inject one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vpnlearn.errors import ConfigError

FORMAT = "vpnlearn-progress"
VERSION = 1


class ProgressWarning(UserWarning):
    """The progress file had to be moved aside (it was corrupt)."""


@dataclass(frozen=True)
class Attempt:
    """One answer a learner gave."""

    question: str
    topic: str
    correct: bool
    time: float
    score: float = 0.0
    response: Any = None


def default_path() -> Path:
    """The progress file for this user (see the module docstring for the order of precedence)."""
    env = os.environ.get("VPNLEARN_PROGRESS")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "vpnlearn" / "progress.json"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return str(value)


class ProgressStore:
    """The progress file of one learner. Cheap to create; every call opens the file anew."""

    def __init__(self, path: str | os.PathLike | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.clock = clock

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r})"

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"progress file {self.path}: cannot create its folder or lock: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- reading --------------------------------------------------------------------------------
    def _read_unlocked(self) -> list[dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(f"progress file {self.path}: cannot read it: {exc}") from exc
        problem = None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"not valid JSON ({exc})"
        else:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                problem = f"not a vpnlearn progress file (no \"format\": \"{FORMAT}\")"
            elif not isinstance(data.get("attempts"), list) or not all(
                    isinstance(a, dict) and isinstance(a.get("question"), str) for a in data["attempts"]):
                problem = "its 'attempts' list is damaged"
            else:
                return data["attempts"]
        self._move_aside(problem)
        return []

    def _move_aside(self, problem: str) -> None:
        n = 1
        while True:
            target = self.path.with_name(f"{self.path.name}.corrupt-{n}")
            if not target.exists():
                break
            n += 1
        os.replace(self.path, target)
        warnings.warn(
            f"progress file {self.path} was {problem}; moved it to {target} and started a fresh one",
            ProgressWarning, stacklevel=4)

    def attempts(self) -> list[Attempt]:
        """Every attempt recorded so far, oldest first."""
        with self._locked():
            raw = self._read_unlocked()
        out = []
        for a in raw:
            out.append(Attempt(question=a["question"], topic=str(a.get("topic", "")),
                               correct=bool(a.get("correct")), time=float(a.get("time", 0.0)),
                               score=float(a.get("score", 0.0)), response=a.get("response")))
        return out

    # -- writing --------------------------------------------------------------------------------
    def _write_unlocked(self, attempts: list[dict[str, Any]]) -> None:
        data = {"format": FORMAT, "version": VERSION, "attempts": attempts}
        payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        # Temp files left by a writer that was killed mid-save: safe to remove, we hold the lock.
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def record(self, question: str, topic: str, correct: bool, *, score: float | None = None,
               response: Any = None, when: float | None = None) -> Attempt:
        """Add one attempt (time from ``when`` or the store's clock) and save. Returns it."""
        attempt = Attempt(question=question, topic=topic, correct=bool(correct),
                          time=float(self.clock() if when is None else when),
                          score=float(score if score is not None else (1.0 if correct else 0.0)),
                          response=_jsonable(response))
        with self._locked():
            current = self._read_unlocked()
            current.append(asdict(attempt))
            self._write_unlocked(current)
        return attempt

    def record_result(self, result: Any, topic: str, response: Any = None) -> Attempt:
        """Record a :class:`~vpnlearn.quiz.grading.Result`."""
        return self.record(result.question_id, topic, result.correct, score=result.score, response=response)

    # -- summaries ------------------------------------------------------------------------------
    def summary(self) -> dict[str, dict[str, int]]:
        """Per topic: attempts, questions tried, questions answered correctly at least once."""
        out: dict[str, dict[str, Any]] = {}
        for a in self.attempts():
            t = out.setdefault(a.topic, {"attempts": 0, "tried": set(), "solved": set()})
            t["attempts"] += 1
            t["tried"].add(a.question)
            if a.correct:
                t["solved"].add(a.question)
        return {k: {"attempts": v["attempts"], "tried": len(v["tried"]), "solved": len(v["solved"])}
                for k, v in sorted(out.items())}


def format_summary(summary: dict[str, dict[str, int]], totals: dict[str, int] | None = None) -> str:
    """The per-topic table printed by ``vpnlearn progress``."""
    if not summary:
        return "No quiz attempts recorded yet."
    width = max(len("topic"), *(len(t) for t in summary))
    lines = [f"{'topic':<{width}}  solved  tried  attempts"]
    for topic, s in summary.items():
        of = f"/{totals[topic]}" if totals and topic in totals else ""
        solved = f"{s['solved']}{of}"
        lines.append(f"{topic:<{width}}  {solved:>6}  {s['tried']:>5}  {s['attempts']:>8}")
    return "\n".join(lines)

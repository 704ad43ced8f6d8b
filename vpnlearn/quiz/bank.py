"""Question banks: load and validate ``quizzes/*.yaml``, reporting EVERY problem with file and line.

The YAML is read with :func:`yaml.compose` so each value keeps its node's ``start_mark``: a problem
says ``quizzes/ikev2.yaml:42: question ikev2-007, field 'source': ...``. The loader never stops at
the first problem: :func:`check_paths` returns them all, and :func:`load_bank` raises
:class:`~vpnlearn.errors.BankError` listing them all.

A bank file::

    topic: ikev2                      # one of vpnlearn.quiz.model.TOPICS
    title: IKEv2
    questions:
      - id: ikev2-sa-init-pair        # unique across every bank
        type: multiple_choice         # multiple_choice | many_choice | numeric | string | ordering
        difficulty: easy              # easy | medium | hard
        question: ...
        answers:
          - {answer: ..., correct: true, feedback: ...}
        explanation: ...              # shown after answering
        source: RFC 7296 §1.2         # AWS doc URL or RFC + section (required)

A *mix* bank (the capstone) has ``mix: {topics: [...], per_topic: N}`` instead of ``questions``.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vpnlearn.errors import BankError, ConfigError
from vpnlearn.quiz.model import DIFFICULTIES, TOPICS, TYPES, Question

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
AWS_URL_RE = re.compile(r"^https://(docs\.aws\.amazon\.com|repost\.aws)/\S+$")
RFC_RE = re.compile(r"^RFC \d{3,5}(,? (§ ?|[Ss]ection |[Aa]ppendix )[0-9A-Z][0-9.]*)")

BANK_KEYS = {"topic", "title", "description", "questions", "mix"}
QUESTION_KEYS = {"id", "type", "topic", "difficulty", "question", "code", "answers", "items",
                 "precision", "points", "explanation", "source"}
ANSWER_KEYS = {"answer", "correct", "feedback", "type", "value", "range", "match_case", "fuzzy_threshold",
               "code"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a bank, with where it is."""

    file: str
    line: int
    message: str
    question: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = []
        if self.question:
            where.append(f"question {self.question}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return prefix + (", ".join(where) + ": " if where else "") + self.message


@dataclass(frozen=True)
class Bank:
    """A loaded, valid bank: its topic, title and questions (or, for a mix bank, what it draws)."""

    topic: str
    title: str
    questions: tuple[Question, ...]
    file: str
    mix_topics: tuple[str, ...] = ()
    per_topic: int = 0


# -- YAML with line numbers ------------------------------------------------------------------------
class LDict(dict):
    """A dict from a YAML mapping that remembers lines: ``.line`` and ``.lines[key]`` (1-based)."""

    line: int = 0
    lines: dict


class LList(list):
    """A list from a YAML sequence that remembers ``.line`` and ``.lines[index]``."""

    line: int = 0
    lines: list


_SCALARS = yaml.constructor.SafeConstructor()


def _build(node: yaml.Node, problems: list[Problem], file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for knode, vnode in node.value:
            key = _build(knode, problems, file)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                problems.append(Problem(file, knode.start_mark.line + 1,
                                        f"key '{key}' appears twice in one mapping (first on line "
                                        f"{out.lines[key]}); YAML would silently keep the last one"))
            out[key] = _build(vnode, problems, file)
            out.lines[key] = vnode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList(_build(v, problems, file) for v in node.value)
        seq.line = node.start_mark.line + 1
        seq.lines = [v.start_mark.line + 1 for v in node.value]
        return seq
    return _SCALARS.construct_object(node, deep=True)


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Parse one YAML file into LDict/LList values, and the problems met while parsing."""
    file = str(path)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(file, 0, f"cannot read the file: {exc}")]
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        detail = getattr(exc, "problem", None) or str(exc)
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None:
            detail += f" ({context} that starts on line {cmark.line + 1})"
        return None, [Problem(file, line, f"not valid YAML: {detail}")]
    if node is None:
        return None, [Problem(file, 1, "the file is empty")]
    try:
        return _build(node, problems, file), problems
    except yaml.YAMLError as exc:
        return None, [Problem(file, 0, f"not valid YAML: {exc}")]


# -- validation ------------------------------------------------------------------------------------
def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_source(source: Any) -> str | None:
    """Why ``source`` is not acceptable, or None. An AWS doc URL, or ``RFC NNNN §x.y``."""
    if not isinstance(source, str) or not source.strip():
        return "missing required field (an AWS doc URL or 'RFC NNNN §section')"
    first = source.strip().split()[0]
    if first.startswith("http"):
        if not AWS_URL_RE.match(first):
            return f"{first!r} is not an AWS documentation URL (https://docs.aws.amazon.com/...)"
        return None
    if not RFC_RE.match(source.strip()):
        return f"{source!r} is neither an AWS doc URL nor 'RFC NNNN §section'"
    return None


def check_question(q: Any, *, file: str, bank_topic: str | None, line: int = 0) -> list[Problem]:
    """Every problem in one question mapping (as read by :func:`read_yaml`)."""
    if not isinstance(q, dict):
        return [Problem(file, line, "a question must be a mapping of fields")]
    lines = getattr(q, "lines", {})
    qline = getattr(q, "line", line)
    qid = q.get("id")
    qname = str(qid) if qid is not None else f"#(line {qline})"
    out: list[Problem] = []

    def add(field: str, message: str, ln: int | None = None) -> None:
        out.append(Problem(file, ln or lines.get(field, qline), message, qname, field))

    for key in q:
        if key not in QUESTION_KEYS:
            add(key, f"unknown field (known: {', '.join(sorted(QUESTION_KEYS))})")
    if qid is None:
        add("id", "missing required field")
    elif not isinstance(qid, str) or not ID_RE.match(qid):
        add("id", f"{qid!r} is not a valid id (lower-case letters, digits and '-')")
    for req in ("question", "explanation"):
        if not isinstance(q.get(req), str) or not q.get(req, "").strip():
            add(req, "missing required field" if req not in q else "must be non-empty text")
    problem = check_source(q.get("source"))
    if problem:
        add("source", problem)
    diff = q.get("difficulty")
    if diff is None:
        add("difficulty", f"missing required field (one of {', '.join(DIFFICULTIES)})")
    elif diff not in DIFFICULTIES:
        add("difficulty", f"{diff!r} is not one of {', '.join(DIFFICULTIES)}")
    if "topic" in q and q["topic"] not in TOPICS:  # a bad bank-level topic is reported once, by the bank
        add("topic", f"{q['topic']!r} is not a known topic ({', '.join(TOPICS)})")
    pts = q.get("points", 1)
    if not isinstance(pts, int) or isinstance(pts, bool) or pts < 1:
        add("points", "must be a positive whole number")
    qtype = q.get("type")
    if qtype is None:
        add("type", f"missing required field (one of {', '.join(TYPES)})")
        return out
    if qtype not in TYPES:
        add("type", f"unknown type {qtype!r} (known: {', '.join(TYPES)})")
        return out
    if qtype == "ordering":
        _check_ordering(q, add, lines, qline)
    else:
        if "items" in q:
            add("items", f"'items' belongs to ordering questions, not {qtype}")
        _check_answers(q, qtype, add, lines, qline)
    return out


def _check_ordering(q: dict, add, lines: dict, qline: int) -> None:
    items = q.get("items")
    if "answers" in q:
        add("answers", "an ordering question lists 'items' in the correct order, not 'answers'")
    if not isinstance(items, list) or len(items) < 2:
        add("items", "an ordering question needs a list of at least 2 items, in the correct order")
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ln = items.lines[i] if hasattr(items, "lines") else None
        if not isinstance(item, str) or not item.strip():
            add("items", f"item {i + 1} must be non-empty text", ln)
        elif item in seen:
            add("items", f"item {i + 1} repeats item {seen[item] + 1} ({item!r})", ln)
        else:
            seen[item] = i


def _check_answers(q: dict, qtype: str, add, lines: dict, qline: int) -> None:
    answers = q.get("answers")
    if not isinstance(answers, list) or not answers:
        add("answers", "missing required field (a list of answers)" if answers is None
            else "must be a non-empty list")
        return
    if "precision" in q:
        p = q["precision"]
        if qtype != "numeric":
            add("precision", "only numeric questions have a precision")
        elif not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= 21:
            add("precision", f"{p!r} must be a whole number of significant digits, 1 to 21")
    n_correct = 0
    texts: dict[str, int] = {}
    defaults = 0
    for i, a in enumerate(answers):
        ln = answers.lines[i] if hasattr(answers, "lines") else None
        where = f"answers[{i}]"
        if not isinstance(a, dict):
            add(where, "each answer must be a mapping (answer/correct/feedback ...)", ln)
            continue
        alines = getattr(a, "lines", {})
        for key in a:
            if key not in ANSWER_KEYS:
                add(f"{where}.{key}", f"unknown answer field (known: {', '.join(sorted(ANSWER_KEYS))})",
                    alines.get(key, ln))
        if "correct" in a and not isinstance(a["correct"], bool):
            add(f"{where}.correct", f"must be true or false, not {a['correct']!r}", alines.get("correct", ln))
        if "feedback" in a and not isinstance(a["feedback"], str):
            add(f"{where}.feedback", "must be text", alines.get("feedback", ln))
        atype = a.get("type")
        if atype == "default":
            defaults += 1
            if a.get("correct") is True:
                add(f"{where}.correct", "a default answer cannot be correct", alines.get("correct", ln))
            if qtype not in ("numeric", "string"):
                add(f"{where}.type", f"{qtype} answers have no 'default' entry", alines.get("type", ln))
            continue
        if a.get("correct") is True:
            n_correct += 1
        if qtype in ("multiple_choice", "many_choice", "string"):
            if atype is not None:
                add(f"{where}.type", f"unknown answer type {atype!r} for {qtype}", alines.get("type", ln))
            text = a.get("answer")
            if not isinstance(text, (str, int, float)) or isinstance(text, bool) or str(text).strip() == "":
                add(f"{where}.answer", "missing answer text", ln)
            else:
                key = str(text).strip() if qtype != "string" else str(text).strip().lower()
                if key in texts:
                    add(f"{where}.answer", f"same answer text as answers[{texts[key]}]",
                        alines.get("answer", ln))
                texts.setdefault(key, i)
            if qtype == "string":
                if "match_case" in a and not isinstance(a["match_case"], bool):
                    add(f"{where}.match_case", "must be true or false", alines.get("match_case", ln))
                ft = a.get("fuzzy_threshold")
                if ft is not None and (not _is_num(ft) or not 0 < ft <= 1):
                    add(f"{where}.fuzzy_threshold", f"{ft!r} must be a number in (0, 1]",
                        alines.get("fuzzy_threshold", ln))
        else:  # numeric
            if atype == "value" or (atype is None and "value" in a):
                if not _is_num(a.get("value")):
                    add(f"{where}.value", f"a value answer needs a number, got {a.get('value')!r}",
                        alines.get("value", ln))
            elif atype == "range" or (atype is None and "range" in a):
                r = a.get("range")
                rl = alines.get("range", ln)
                if not isinstance(r, list) or len(r) != 2 or not all(_is_num(x) for x in r):
                    add(f"{where}.range", f"a range is [low, high] with two numbers, got {r!r}", rl)
                elif not r[0] < r[1]:
                    add(f"{where}.range", f"bad range [{r[0]}, {r[1]}]: low must be below high "
                        "(ranges are low <= x < high)", rl)
            else:
                add(f"{where}.type", f"a numeric answer is type value, range or default, got {atype!r}",
                    alines.get("type", ln))
    if defaults > 1:
        add("answers", "more than one default answer")
    if qtype in ("multiple_choice", "many_choice") and len(answers) < 2:
        add("answers", "a choice question needs at least 2 answers")
    if n_correct == 0:
        add("answers", "no answer is marked correct: true (the correct answer is not among the choices)")


def check_bank_data(data: Any, *, file: str) -> list[Problem]:
    """Every problem in one bank file's data (without cross-file checks such as duplicate ids)."""
    if not isinstance(data, dict):
        return [Problem(file, getattr(data, "line", 1),
                        "a bank is a mapping with topic, title and questions")]
    lines = getattr(data, "lines", {})
    out: list[Problem] = []
    for key in data:
        if key not in BANK_KEYS:
            out.append(Problem(file, lines.get(key, 1), f"unknown top-level field '{key}' "
                               f"(known: {', '.join(sorted(BANK_KEYS))})"))
    topic = data.get("topic")
    is_mix = "mix" in data
    if not is_mix and topic not in TOPICS:
        out.append(Problem(file, lines.get("topic", 1), f"'topic' {topic!r} is not a known topic "
                           f"({', '.join(TOPICS)})", field="topic"))
    if not isinstance(data.get("title"), str):
        out.append(Problem(file, lines.get("title", 1), "missing required field 'title'", field="title"))
    if is_mix:
        mix = data["mix"]
        ml = lines.get("mix", 1)
        if not isinstance(mix, dict) or not isinstance(mix.get("topics"), list):
            out.append(Problem(file, ml, "mix needs 'topics' (a list) and 'per_topic'", field="mix"))
        else:
            for t in mix["topics"]:
                if t not in TOPICS:
                    out.append(Problem(file, ml, f"mix topic {t!r} is not a known topic", field="mix.topics"))
            pt = mix.get("per_topic")
            if not isinstance(pt, int) or isinstance(pt, bool) or pt < 1:
                out.append(Problem(file, ml, f"per_topic {pt!r} must be a positive whole number",
                                   field="mix.per_topic"))
        return out
    qs = data.get("questions")
    if not isinstance(qs, list) or not qs:
        out.append(Problem(file, lines.get("questions", 1), "missing 'questions' (a non-empty list)",
                           field="questions"))
        return out
    for i, q in enumerate(qs):
        out.extend(check_question(q, file=file, bank_topic=topic, line=qs.lines[i]))
    return out


def bank_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The ``.yaml``/``.yml`` files named, or found directly inside the directories named (sorted)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml")))
        else:
            files.append(p)
    return files


def _scan(paths: Iterable[str | os.PathLike]) -> tuple[list[Problem], dict[Path, Any]]:
    """Parse and check every bank under ``paths`` once: (all problems, parsed data per file)."""
    problems: list[Problem] = []
    parsed: dict[Path, Any] = {}
    seen: dict[str, tuple[str, int]] = {}
    paths = list(paths)
    files = bank_files(paths)
    if not files:
        return [Problem(", ".join(map(str, paths)), 0, "no .yaml bank files found")], parsed
    for f in files:
        if not f.exists():
            problems.append(Problem(str(f), 0, "no such file"))
            continue
        data, parse_problems = read_yaml(f)
        problems.extend(parse_problems)
        if data is None:
            continue
        parsed[f] = data
        problems.extend(check_bank_data(data, file=str(f)))
        qs = data.get("questions") if isinstance(data, dict) else None
        if isinstance(qs, list):
            for i, q in enumerate(qs):
                if isinstance(q, dict) and isinstance(q.get("id"), str):
                    ln = q.lines.get("id", qs.lines[i]) if hasattr(q, "lines") else qs.lines[i]
                    if q["id"] in seen:
                        ofile, oline = seen[q["id"]]
                        problems.append(Problem(str(f), ln, f"duplicate id (also at {ofile}:{oline})",
                                                q["id"], "id"))
                    else:
                        seen[q["id"]] = (str(f), ln)
    return sort_problems(problems), parsed


def check_paths(paths: Iterable[str | os.PathLike]) -> list[Problem]:
    """Every problem in every bank under ``paths``, including ids repeated across files."""
    return _scan(paths)[0]


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file, then line, order (stable for problems on one line)."""
    return sorted(problems, key=lambda p: (p.file, p.line))


def _raise(problems: list[Problem], what: str) -> None:
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise BankError(f"{len(problems)} problem(s) in {what}:\n{lines}", problems=problems)


def _bank_from(path: Path, data: Any) -> Bank:
    if "mix" in data:
        return Bank(topic=str(data.get("topic") or path.stem), title=data["title"], questions=(),
                    file=str(path), mix_topics=tuple(data["mix"]["topics"]),
                    per_topic=int(data["mix"]["per_topic"]))
    questions = tuple(
        Question.from_dict(q, topic=data["topic"], file=str(path), line=q.line) for q in data["questions"]
    )
    return Bank(topic=data["topic"], title=data["title"], questions=questions, file=str(path))


def load_bank(path: str | os.PathLike) -> Bank:
    """Load and validate one bank file. Raises :class:`BankError` listing every problem."""
    path = Path(path)
    problems, parsed = _scan([path])
    _raise(problems, str(path))
    return _bank_from(path, parsed[path])


def default_bank_dir() -> Path:
    """Where the banks live: ``$VPNLEARN_QUIZZES``, else the ``quizzes/`` folder of the checkout."""
    env = os.environ.get("VPNLEARN_QUIZZES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "quizzes"


def load_all(bank_dir: str | os.PathLike | None = None) -> dict[str, Bank]:
    """Every bank in ``bank_dir`` by topic name (file stem for mix banks), checked together."""
    d = Path(bank_dir) if bank_dir is not None else default_bank_dir()
    problems, parsed = _scan([d])
    _raise(problems, str(d))
    banks = {}
    for f, data in parsed.items():
        bank = _bank_from(f, data)
        banks[bank.topic] = bank
    return banks


def select(topic: str, *, ids: Sequence[str] | None = None, n: int | None = None, seed: Any = None,
           bank_dir: str | os.PathLike | None = None) -> tuple[str, list[Question]]:
    """The questions for ``topic`` (its title and list). Nothing random unless ``seed`` is given.

    ``ids`` picks those questions (in that order); ``n`` keeps the first n (or, with ``seed``, a
    seeded sample of n). A mix bank (the capstone) takes ``per_topic`` questions from each topic
    (the first ones, or with ``seed`` a seeded sample of each topic), grouped by topic; an ``n``
    smaller than that pool (without ``ids``) takes them round-robin across the topics, in the
    bank's topic order: the first question of every topic, then the second, and so on.
    """
    d = Path(bank_dir) if bank_dir is not None else default_bank_dir()
    path = next((p for p in (d / f"{topic}.yaml", d / f"{topic}.yml") if p.exists()), None)
    if path is None:
        known = sorted(p.stem for p in bank_files([d])) if d.is_dir() else []
        raise ConfigError(f"no quiz bank named {topic!r} in {d} (known: {', '.join(known) or 'none'})")
    bank = load_bank(path)
    by_topic: list[list[Question]] = []
    if bank.mix_topics:
        pool: list[Question] = []
        for t in bank.mix_topics:
            _, qs = select(t, bank_dir=d)
            if seed is not None:
                qs = random.Random(f"{seed}:{t}").sample(qs, min(bank.per_topic, len(qs)))
            by_topic.append(qs[: bank.per_topic])
            pool.extend(qs[: bank.per_topic])
        questions = pool
    else:
        questions = list(bank.questions)
    if ids is not None:
        by_id = {q.id: q for q in questions}
        if bank.mix_topics:
            for t in bank.mix_topics:
                by_id.update({q.id: q for q in select(t, bank_dir=d)[1]})
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ConfigError(f"bank {path}: no question with id {', '.join(missing)}")
        questions = [by_id[i] for i in ids]
    if n is not None:
        if n < 1:
            raise ConfigError(f"n must be at least 1, not {n}")
        if seed is not None and not bank.mix_topics:
            questions = random.Random(f"{seed}").sample(questions, min(n, len(questions)))
        elif bank.mix_topics and ids is None and seed is None and n < len(questions):
            questions = _round_robin(by_topic)[:n]
        else:
            # A seeded mix keeps its seeded pool's order (per-topic samples, grouped by topic).
            questions = questions[:n]
    elif seed is not None and not bank.mix_topics and ids is None:
        questions = random.Random(f"{seed}").sample(questions, len(questions))
    return bank.title, questions


def _round_robin(groups: Sequence[Sequence[Question]]) -> list[Question]:
    """The first of every group, then the second of every group, ...; a short group is skipped once
    it runs out."""
    out: list[Question] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.extend(g[i] for g in groups if i < len(g))
    return out

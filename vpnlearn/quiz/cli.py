"""``vpnlearn quiz``, ``vpnlearn progress`` and ``vpnlearn export``.

- ``vpnlearn quiz TOPIC [--ids ID ...] [-n N] [--seed S]``: run a bank in the terminal.
- ``vpnlearn quiz --check quizzes/``: validate banks, print every problem, exit 1 if any.
- ``vpnlearn progress``: per-topic summary of the recorded attempts.
- ``vpnlearn export jupyterquiz TOPIC [-o FILE]``: JSON that jupyterquiz's ``display_quiz`` loads.
- ``vpnlearn export import-jupyterquiz FILE --topic T [-o FILE.yaml]``: back to a bank.
- ``vpnlearn export nbgrader TOPIC -o DIR [--assignment NAME]``: ``DIR/source/NAME/TOPIC.ipynb``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the quiz commands to the ``vpnlearn`` parser."""
    p = subparsers.add_parser("quiz", help="run a quiz in the terminal, or check banks (--check)")
    p.add_argument("topic", nargs="?", help="bank name, e.g. ikev2 (see quizzes/)")
    p.add_argument("--ids", nargs="+", metavar="ID", help="only these questions, in this order")
    p.add_argument("-n", type=int, help="only N questions (the first N, or a seeded sample with --seed)")
    p.add_argument("--seed", help="shuffle / sample with this seed (no randomness without it)")
    p.add_argument("--bank-dir", help="folder of bank files (default: the course's quizzes/)")
    p.add_argument("--no-record", action="store_true", help="do not record progress")
    p.add_argument("--check", nargs="+", metavar="PATH", help="validate bank files or folders and exit")
    p.set_defaults(func=cmd_quiz)

    p = subparsers.add_parser("progress", help="per-topic summary of your quiz attempts")
    p.add_argument("--file", help="progress file (default: $VPNLEARN_PROGRESS or the per-user data dir)")
    p.add_argument("--bank-dir", help="folder of bank files (for the number of questions per topic)")
    p.set_defaults(func=cmd_progress)

    p = subparsers.add_parser("export", help="export a bank to jupyterquiz JSON or an nbgrader notebook")
    sub = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    j = sub.add_parser("jupyterquiz", help="JSON for jupyterquiz's display_quiz")
    j.add_argument("topic")
    j.add_argument("-o", "--output", help="file to write (default: stdout)")
    j.add_argument("--bank-dir")
    j.set_defaults(func=cmd_export_jupyterquiz)
    i = sub.add_parser("import-jupyterquiz", help="read jupyterquiz JSON back into a bank (YAML)")
    i.add_argument("file")
    i.add_argument("--topic", required=True)
    i.add_argument("--title")
    i.add_argument("-o", "--output", help="file to write (default: stdout)")
    i.set_defaults(func=cmd_import_jupyterquiz)
    n = sub.add_parser("nbgrader", help="an nbgrader source notebook with hidden tests")
    n.add_argument("topic")
    n.add_argument("-o", "--output", required=True, help="course folder; writes source/<assignment>/...")
    n.add_argument("--assignment", help="assignment name (default: quiz-<topic>)")
    n.add_argument("--bank-dir")
    n.set_defaults(func=cmd_export_nbgrader)


def cmd_quiz(args: argparse.Namespace) -> int:
    from vpnlearn.errors import ConfigError
    from vpnlearn.quiz import bank, terminal
    from vpnlearn.quiz.progress import ProgressStore

    if args.check:
        problems = bank.check_paths(args.check)
        for p in problems:
            print(p)
        files = bank.bank_files(args.check)
        if problems:
            print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
            return 1
        total = sum(len(bank.load_bank(f).questions) for f in files)
        print(f"OK: {len(files)} bank file(s), {total} questions")
        return 0
    if not args.topic:
        raise ConfigError("name a topic (e.g. `vpnlearn quiz ikev2`) or use --check PATH")
    title, questions = bank.select(args.topic, ids=args.ids, n=args.n, seed=args.seed,
                                   bank_dir=args.bank_dir)
    store = None if args.no_record else ProgressStore()
    terminal.run(questions, title=title, store=store)
    if store is not None:
        print(f"(progress saved in {store.path})")
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from vpnlearn.errors import VpnlearnError
    from vpnlearn.quiz import bank
    from vpnlearn.quiz.progress import ProgressStore, format_summary

    store = ProgressStore(args.file)
    totals = None
    try:
        totals = {t: len(b.questions) for t, b in bank.load_all(args.bank_dir).items() if b.questions}
    except VpnlearnError:
        totals = None
    print(format_summary(store.summary(), totals))
    print(f"(from {store.path})")
    return 0


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_export_jupyterquiz(args: argparse.Namespace) -> int:
    from vpnlearn.quiz import bank, export

    _, questions = bank.select(args.topic, bank_dir=args.bank_dir)
    _write(export.to_jupyterquiz_json(questions), args.output)
    return 0


def cmd_import_jupyterquiz(args: argparse.Namespace) -> int:
    from vpnlearn.quiz import export

    text = Path(args.file).read_text(encoding="utf-8")
    _write(export.jupyterquiz_to_bank_yaml(text, topic=args.topic, title=args.title, file=args.file),
           args.output)
    return 0


def cmd_export_nbgrader(args: argparse.Namespace) -> int:
    from vpnlearn.quiz import bank, export

    title, questions = bank.select(args.topic, bank_dir=args.bank_dir)
    path = export.write_nbgrader(questions, args.output, assignment=args.assignment or f"quiz-{args.topic}",
                                 notebook=args.topic, title=title)
    print(path)
    return 0

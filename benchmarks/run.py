"""Run every benchmark: ``make bench`` (or ``python benchmarks/run.py [--quick] [name ...]``).

Each ``benchmarks/bench_*.py`` module defines ``main(quick: bool = False) -> None``, which prints a
small table. Speed is reported as ratios against a reference on the same machine and in the same
run (raw ``cryptography`` calls, scapy), never as absolute targets: absolute numbers vary with the
machine and its load.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if names:
        found = [p for p in found if any(n in p.stem for n in names)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("names", nargs="*", help="only benchmarks whose file name contains one of these")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    paths = discover(args.names)
    if not paths:
        print("no benchmarks found", file=sys.stderr)
        return 1
    for path in paths:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem} ==")
        start = time.perf_counter()
        if "quick" in inspect.signature(module.main).parameters:
            module.main(quick=args.quick)
        else:
            module.main()
        print(f"({path.stem} took {time.perf_counter() - start:.1f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Run nbval over every course notebook (part of `make test`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("run-nbval: no notebooks yet, nothing to compare")
        return 0
    cmd = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
           "-o", "addopts=", "-o", "testpaths=", *map(str, notebooks)]
    sanitize = ROOT / "notebooks" / "nbval-sanitize.cfg"
    if sanitize.exists():
        cmd[4:4] = ["--nbval-sanitize-with", str(sanitize)]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())

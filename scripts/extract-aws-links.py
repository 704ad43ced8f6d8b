#!/usr/bin/env python3
"""Write docs/sources/aws-doc-links.txt: every AWS doc link in the shared fact sheet.

The notebooks and quiz banks may cite only these links (tests/test_notebooks.py checks it).
Usage: scripts/extract-aws-links.py [path/to/aws-facts.md]   (default: ../shared/aws-facts.md)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"https://(?:docs\.aws\.amazon\.com|repost\.aws)/[^\s)>`\"\]]*")


def main() -> int:
    sheet = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "aws-facts.md"
    links = sorted({m.group(0).rstrip(".,;:") for m in URL.finditer(sheet.read_text())})
    out = ROOT / "docs" / "sources" / "aws-doc-links.txt"
    out.write_text("# AWS doc links in the project's fact sheet (shared/aws-facts.md), one per line.\n"
                   "# Regenerate with scripts/extract-aws-links.py.\n" + "\n".join(links) + "\n")
    print(f"{len(links)} links written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``vpnlearn`` command.

Each area adds its own sub-commands in a module of its own that defines
``register(subparsers) -> None``; the sub-command's function is stored as ``func`` in its parser's
defaults and is called with the parsed arguments, returning the exit code. Modules are listed in
``COMMAND_MODULES`` and imported only when the command line is parsed, so ``import vpnlearn`` stays
fast. A module that is not written yet is skipped.

Errors the library raises on purpose (:class:`~vpnlearn.errors.VpnlearnError`) are printed as one
line on stderr and the command exits 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vpnlearn import __version__
from vpnlearn.errors import VpnlearnError

# (module, what it adds). Order is the order of --help.
COMMAND_MODULES = (
    "vpnlearn.ike.cli",        # vpnlearn ike initiate|respond|...
    "vpnlearn.aws.cli",        # vpnlearn aws check|diagram|...
    "vpnlearn.quiz.cli",       # vpnlearn quiz, progress, export
    "vpnlearn.ipsec.cli",      # vpnlearn esp ...
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpnlearn",
        description="Learn IPsec, IKE and AWS VPN from the packet up.",
    )
    parser.add_argument("--version", action="version", version=f"vpnlearn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except VpnlearnError as exc:
        print(f"vpnlearn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

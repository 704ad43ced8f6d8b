"""``vpnlearn aws ...``: command-line tools for the AWS models.

``vpnlearn aws check FILE.json [FILE.json ...]`` reads what ``aws ec2 describe-vpn-connections``,
``describe-customer-gateways``, ``describe-vpn-gateways`` (and ``describe-transit-gateways``) print,
validates it against AWS's documented rules and prints every finding with its JSON path and doc
link. Exit status: 0 no errors (warnings allowed; ``--strict`` makes warnings count), 1 errors
found, 2 input that cannot be read (malformed JSON, a CIDR that does not parse, ...).

``vpnlearn aws diagram FILE.json [FILE.json ...] -o out.svg`` draws the same files as a topology
diagram (gateways, both tunnels of every connection with state, inside CIDR and outside IP, customer
gateways, static routes); ``.svg``/``.png``/``.pdf`` need Graphviz's ``dot``, ``.dot`` does not.
Exit status 0 written, 2 unreadable input or no Graphviz.

Adding a sub-command is one function: write ``def add_xyz(sub) -> None`` that calls
``sub.add_parser("xyz", ...)`` and sets ``func``, then list it in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


def _check(args: argparse.Namespace) -> int:
    from vpnlearn.aws.importer import load_files
    from vpnlearn.aws.rules import ERROR
    from vpnlearn.aws.site_to_site import validate

    inv = load_files(args.files, region=args.region)
    findings = validate(inv)
    if args.errors_only:
        findings = [f for f in findings if f.severity == ERROR]
    n_err = sum(f.severity == ERROR for f in findings)
    n_warn = len(findings) - n_err
    if args.json:
        rows = [{**f.as_row(), "where": inv.locate(f.path)} for f in findings]
        json.dump({"findings": rows, "errors": n_err, "warnings": n_warn},
                  sys.stdout, indent=2, default=str)
        print()
    else:
        print(f"checked {len(inv.vpn_connections)} VPN connection(s), {len(inv.customer_gateways)} customer "
              f"gateway(s), {len(inv.vpn_gateways)} VPN gateway(s), {len(inv.transit_gateways)} transit "
              f"gateway(s) from {len(args.files)} file(s)" + (f" in {args.region}" if args.region else ""))
        for f in findings:
            print(f"{f.severity.upper():7} {inv.locate(f.path)} = {f.value!r}")
            print(f"        {f.message} [{f.rule_id}]")
            print(f"        {f.doc_url}")
        print(f"{n_err} error(s), {n_warn} warning(s)")
    if n_err or (args.strict and n_warn):
        return 1
    return 0


def add_check(sub: Any) -> None:
    """``vpnlearn aws check``."""
    p = sub.add_parser("check", help="validate describe-vpn-connections JSON against AWS's rules",
                       description=_check.__doc__ or __doc__.split("\n\n")[1])
    p.add_argument("files", nargs="+", metavar="FILE.json",
                   help="output of aws ec2 describe-vpn-connections / -customer-gateways / -vpn-gateways")
    p.add_argument("--region", help="AWS Region (enables Region-specific reserved ASN checks)")
    p.add_argument("--errors-only", action="store_true", help="print errors only")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=_check)


def _diagram(args: argparse.Namespace) -> int:
    """Draw imported describe-vpn-connections JSON as a topology diagram (SVG/PNG/PDF/DOT)."""
    from vpnlearn.aws.importer import load_files
    from vpnlearn.errors import ConfigError
    from vpnlearn.viz.display import GraphvizMissing
    from vpnlearn.viz.topology import inventory_diagram

    inv = load_files(args.files, region=args.region)
    diagram = inventory_diagram(inv)
    try:
        path = diagram.save(args.output)
    except GraphvizMissing:
        print(f"vpnlearn aws diagram: cannot write {args.output}: Graphviz's `dot` program is not on the "
              "PATH. Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
              "(macOS) or `conda install graphviz`; or write the DOT source with -o FILE.dot",
              file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"vpnlearn aws diagram: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({len(inv.vpn_connections)} VPN connection(s), "
          f"{sum(len(v.tunnels) for v in inv.vpn_connections)} tunnel(s))")
    return 0


def add_diagram(sub: Any) -> None:
    """``vpnlearn aws diagram``."""
    p = sub.add_parser("diagram", help="draw describe-vpn-connections JSON as a diagram",
                       description=_diagram.__doc__)
    p.add_argument("files", nargs="+", metavar="FILE.json",
                   help="output of aws ec2 describe-vpn-connections / -customer-gateways / -vpn-gateways")
    p.add_argument("-o", "--output", required=True, metavar="OUT.svg",
                   help="where to write the diagram: .svg, .png, .pdf or .dot (by suffix)")
    p.add_argument("--region", help="AWS Region (shown in the diagram)")
    p.set_defaults(func=_diagram)


def _outage(text: str) -> Any:
    from vpnlearn.aws.failover import Outage
    from vpnlearn.errors import ConfigError

    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        tunnel, start = int(parts[0]), float(parts[1])
        end = float(parts[2]) if len(parts) == 3 and parts[2] else None
    except ValueError:
        raise ConfigError(f"field --outage: {text!r} is not TUNNEL:START[:END] (e.g. 1:100:400)") from None
    return Outage(tunnel, start, end)


def _simulate(args: argparse.Namespace) -> int:
    """Print the timeline of one imported connection: DPD, routes, rekeys, which tunnel carries traffic."""
    from vpnlearn.aws.failover import outages_from_telemetry, simulate
    from vpnlearn.aws.importer import load_files
    from vpnlearn.errors import ConfigError
    from vpnlearn.rand import DemoRandom

    inv = load_files(args.files)
    vpns = [v for v in inv.vpn_connections if args.connection in (None, v.id)]
    if not vpns:
        raise ConfigError(f"field --connection: no VPN connection {args.connection!r} in the input")
    vpn = vpns[0]
    outages = [*([] if args.ignore_telemetry else outages_from_telemetry(vpn)),
               *(_outage(o) for o in args.outage)]
    rng = None if args.seed is None else DemoRandom(args.seed, _warn=False)
    tl = simulate(vpn, duration=args.duration, outages=outages, rng=rng)
    print(tl.format())
    print(f"AWS -> on-premises traffic lost for {tl.lost_seconds:g} s of {args.duration:g} s")
    return 0


def add_simulate(sub: Any) -> None:
    """``vpnlearn aws simulate``."""
    p = sub.add_parser("simulate", help="tunnel failover timeline for describe-vpn-connections JSON",
                       description=_simulate.__doc__)
    p.add_argument("files", nargs="+", metavar="FILE.json",
                   help="describe-vpn-connections output (and gateways)")
    p.add_argument("--connection", help="VPN connection id (default: the first)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds to simulate (default 600)")
    p.add_argument("--outage", action="append", default=[], metavar="TUNNEL:START[:END]",
                   help="the path to tunnel 1 or 2 is lost from START to END seconds (repeatable)")
    p.add_argument("--ignore-telemetry", action="store_true",
                   help="do not start tunnels that VgwTelemetry reports DOWN as down")
    p.add_argument("--seed", help="deterministic demo randomness (preferred tunnel, rekey fuzz)")
    p.set_defaults(func=_simulate)


# One entry per `vpnlearn aws <name>` sub-command.
SUBCOMMANDS: list[Callable[[Any], None]] = [add_check, add_diagram, add_simulate]


def register(subparsers: Any) -> None:
    """Add ``vpnlearn aws`` and its sub-commands to the ``vpnlearn`` command."""
    aws = subparsers.add_parser("aws", help="AWS VPN models: check configurations",
                                description="AWS VPN models and checks.")
    sub = aws.add_subparsers(dest="aws_command", metavar="AWS_COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    aws.set_defaults(func=lambda args: (aws.print_help(), 2)[1])


__all__ = ["SUBCOMMANDS", "add_check", "add_diagram", "add_simulate", "register"]

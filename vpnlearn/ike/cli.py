"""``vpnlearn ike initiate`` and ``vpnlearn ike respond``: run an IKEv2 peer over real UDP.

Examples (inside a network namespace, with a strongSwan peer at 10.97.0.2)::

    vpnlearn ike initiate 10.97.0.2 --source 10.97.0.1 --local-id a.example --remote-id b.example \\
        --psk 'shared secret' --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16 \\
        --local-ts 10.98.1.0/24 --remote-ts 10.98.2.0/24 --ping 10.98.2.1 \\
        --pcap out.pcap --keys keys/

    vpnlearn ike respond --listen 10.97.0.1 --local-id a.example --remote-id b.example --psk ... \\
        --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16 \\
        --local-ts 10.98.1.0/24 --remote-ts 10.98.2.0/24

Proposals use strongSwan's syntax (``aes256-sha256-modp2048``; several separated by commas). The
command prints one line per event. When the exchange fails it exits 1 with one line naming the
notify that was received or sent (``NO_PROPOSAL_CHOSEN``, ``AUTHENTICATION_FAILED`` ...).

``--force-encap`` puts ESP in UDP 4500 even when there is no NAT (``IkeConfig.force_encap``, like
strongSwan's ``encap = yes``): our NAT_DETECTION_SOURCE_IP is a hash that matches no address, so both
peers believe a NAT is in the way (RFC 7296 §2.23).

``--pcap FILE`` writes every datagram sent and received (IKE and ESP-in-UDP) as a pcap file;
``--keys DIR`` writes Wireshark's ``ikev2_decryption_table`` and ``esp_sa`` key tables into DIR,
so ``tshark -o uat:...`` or ``WIRESHARK_CONFIG_DIR=DIR tshark -r FILE`` shows the decrypted IKE_AUTH
and ESP.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vpnlearn.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

FAILURE_EVENTS = ("ProtocolFailure", "PeerDead", "ErrorNotifyReceived")
RETRIED_NOTIFIES = ("INVALID_KE_PAYLOAD", "COOKIE")


def _out(line: str) -> None:
    print(line, flush=True)


@contextlib.contextmanager
def _short_warnings() -> Iterator[None]:
    """While a command runs, show library warnings (weak algorithms, demo randomness) as one line
    each, once; the previous warning display is restored afterwards."""
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = f"vpnlearn ike: warning: {message}"
        if text not in seen:
            seen.add(text)
            print(text, file=sys.stderr, flush=True)

    old = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = old


def register(subparsers: Any) -> None:
    """Add ``ike initiate`` and ``ike respond`` to the ``vpnlearn`` command."""
    ike = subparsers.add_parser("ike", help="run an IKEv2 peer over UDP (initiate or respond)",
                                description="Run an IKEv2 (RFC 7296) peer over real UDP sockets.")
    sub = ike.add_subparsers(dest="ike_command", metavar="ACTION")
    ini = sub.add_parser("initiate", help="start an IKE SA + CHILD_SA with REMOTE",
                         description="Initiate IKE_SA_INIT + IKE_AUTH with REMOTE, optionally ping "
                                     "through the CHILD_SA, then delete the IKE SA.")
    ini.add_argument("remote", metavar="REMOTE", help="the peer's IPv4 address")
    ini.add_argument("--source", metavar="ADDR", help="local address to bind 500/4500 on "
                     "(default: the one the kernel would use to reach REMOTE)")
    _common(ini)
    ini.add_argument("--ping", metavar="ADDRESS",
                     help="send ICMP echo requests to ADDRESS through the tunnel")
    ini.add_argument("--ping-source", metavar="ADDR",
                     help="inner source address of the pings (default: first address of --local-ts)")
    ini.add_argument("--count", type=int, default=3, help="number of echo requests (default 3)")
    ini.add_argument("--rekey-child", action="store_true", help="rekey the CHILD_SA (then ping again)")
    ini.add_argument("--rekey-ike", action="store_true", help="rekey the IKE SA (then ping again)")
    ini.add_argument("--hold", type=float, default=0.0, metavar="SECONDS",
                     help="stay up this long after the pings, answering echo requests")
    ini.add_argument("--no-delete", action="store_true", help="do not send DELETE at the end")
    ini.set_defaults(func=cmd_initiate)

    resp = sub.add_parser("respond", help="answer one initiator",
                          description="Wait for an initiator, answer IKE_SA_INIT/IKE_AUTH and "
                                      "CREATE_CHILD_SA, and answer ICMP echo requests through the "
                                      "CHILD_SA for addresses in --local-ts.")
    resp.add_argument("--listen", "--source", dest="source", metavar="ADDR", required=True,
                      help="local address to bind 500/4500 on")
    resp.add_argument("--remote", metavar="ADDR", help="accept only this initiator address")
    _common(resp)
    resp.add_argument("--duration", type=float, default=0.0, metavar="SECONDS",
                      help="stop after this long (default: when the IKE SA is deleted)")
    resp.set_defaults(func=cmd_respond)
    ike.set_defaults(func=lambda args: (ike.print_help(), EXIT_USAGE)[1])


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--local-id", required=True, help="our identity (FQDN, IPv4 address, user@fqdn, or DN)")
    p.add_argument("--remote-id", required=True, help="the identity we expect from the peer")
    auth = p.add_mutually_exclusive_group(required=True)
    auth.add_argument("--psk", help="pre-shared key")
    auth.add_argument("--cert", type=Path, help="our certificate (PEM); needs --key and --ca")
    p.add_argument("--key", type=Path, help="our private key (PEM, unencrypted)")
    p.add_argument("--ca", type=Path, action="append", help="CA certificate (PEM) to trust (repeatable)")
    p.add_argument("--ike", default="aes128gcm16-prfsha256-x25519",
                   help="IKE proposals, strongSwan syntax, comma-separated (default %(default)s)")
    p.add_argument("--esp", default="aes128gcm16",
                   help="ESP proposals, strongSwan syntax, comma-separated (default %(default)s)")
    p.add_argument("--local-ts", action="append", required=True, metavar="CIDR", help="our traffic selector")
    p.add_argument("--remote-ts", action="append", required=True, metavar="CIDR",
                   help="the peer's traffic selector")
    p.add_argument("--force-encap", action="store_true",
                   help="put ESP in UDP 4500 even without a NAT, like strongSwan's encap = yes "
                        "(fakes NAT detection, RFC 7296 §2.23)")
    p.add_argument("--pcap", type=Path, metavar="FILE", help="write every datagram as a pcap file")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="write Wireshark's ikev2_decryption_table and esp_sa into DIR")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each step (default 10)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the result")


# ------------------------------------------------------------------------------------------------
# building the configuration


def parse_identity(text: str) -> Any:
    """An ``Identity`` from text: an IPv4 address, ``user@fqdn``, a DN (``CN=...``) or an FQDN."""
    from vpnlearn.ike import Identity

    try:
        ipaddress.IPv4Address(text)
        for name in ("ipv4", "ipv4_addr", "ip"):
            if hasattr(Identity, name):
                return getattr(Identity, name)(text)
    except ValueError:
        pass
    if "=" in text:
        for name in ("dn", "der_asn1_dn"):
            if hasattr(Identity, name):
                return getattr(Identity, name)(text)
    if "@" in text:
        for name in ("rfc822", "email", "rfc822_addr"):
            if hasattr(Identity, name):
                return getattr(Identity, name)(text)
    return Identity.fqdn(text)


def _selectors(cidrs: list[str], what: str) -> tuple[Any, ...]:
    from vpnlearn.ike import TrafficSelector

    out = []
    for c in cidrs:
        try:
            ipaddress.ip_network(c, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{what}: {c!r} is not a CIDR prefix ({exc})") from exc
        out.append(TrafficSelector.subnet(c))
    return tuple(out)


def build_config(args: argparse.Namespace) -> Any:
    """The ``IkeConfig`` the command line describes."""
    from vpnlearn.ike import IkeConfig

    kw: dict[str, Any] = dict(
        local_id=parse_identity(args.local_id), remote_id=parse_identity(args.remote_id),
        ike_proposals=tuple(p.strip() for p in args.ike.split(",") if p.strip()),
        esp_proposals=tuple(p.strip() for p in args.esp.split(",") if p.strip()),
        local_ts=_selectors(args.local_ts, "--local-ts"),
        remote_ts=_selectors(args.remote_ts, "--remote-ts"),
        force_encap=bool(getattr(args, "force_encap", False)),
    )
    if args.psk is not None:
        kw["psk"] = args.psk.encode()
    else:
        if args.key is None or not args.ca:
            raise ConfigError("--cert needs --key and --ca")
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        def read(path: Path, what: str) -> bytes:
            try:
                return path.read_bytes()
            except OSError as exc:
                raise ConfigError(f"{what} {path}: {exc.strerror}") from exc

        try:
            kw["certificate"] = x509.load_pem_x509_certificate(read(args.cert, "--cert"))
            kw["private_key"] = serialization.load_pem_private_key(read(args.key, "--key"), None)
            kw["trust"] = [x509.load_pem_x509_certificate(read(c, "--ca")) for c in args.ca]
        except ValueError as exc:
            raise ConfigError(f"cannot read PEM ({exc})") from exc
    return IkeConfig(**kw)


def _default_source(remote: str) -> str:
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((remote, 500))              # no packet is sent: this only asks the routing table
        return s.getsockname()[0]
    finally:
        s.close()


# ------------------------------------------------------------------------------------------------
# results


def _events_named(runner: Any, *names: str) -> list[Any]:
    return [e for e in runner.events if type(e).__name__ in names]


def failure_line(runner: Any) -> str | None:
    """One line naming why the exchange failed (the notify received or sent), or None."""
    received = [e for e in runner.events if type(e).__name__ == "ErrorNotifyReceived"]
    for ev in runner.events:
        name = type(ev).__name__
        if name == "ProtocolFailure":
            notify = getattr(ev, "notify", "") or "failure"
            got = [r for r in received if getattr(r, "notify", None) == notify]
            if got:
                where = f"received {notify} from the peer in {getattr(got[0], 'exchange', '?')}"
            elif getattr(ev, "sent_to_peer", False):
                where = f"sent {notify} to the peer"
            else:
                where = notify
            reason = getattr(ev, "reason", "")
            return f"{where}: {reason}" if reason else where
        if name == "PeerDead":
            return (f"no answer to {getattr(ev, 'exchange', 'the request')} (message ID "
                    f"{getattr(ev, 'message_id', '?')}) after all retransmissions (PeerDead)")
    if received:
        r = received[0]
        return f"received {getattr(r, 'notify', '?')} from the peer in {getattr(r, 'exchange', '?')}"
    return None


def _established(runner: Any) -> bool:
    return bool(_events_named(runner, "IkeSaEstablished")) and bool(runner.children())


def _failed(runner: Any) -> bool:
    return bool(_events_named(runner, *FAILURE_EVENTS))


def _fatal(runner: Any) -> bool:
    """The IKE SA cannot come up any more: a fatal ``ProtocolFailure`` or ``PeerDead``. (A responder
    that sent INVALID_KE_PAYLOAD or a COOKIE waits for the initiator's retry.)"""
    return any(type(e).__name__ == "PeerDead"
               or (type(e).__name__ == "ProtocolFailure" and getattr(e, "fatal", True)
                   and getattr(e, "notify", "") not in RETRIED_NOTIFIES)
               for e in runner.events)


def _write_outputs(args: argparse.Namespace, runner: Any, recorder: Any) -> None:
    if args.pcap is not None:
        from vpnlearn.ike.udp import write_pcap

        write_pcap(args.pcap, recorder.datagrams)
        _out(f"wrote {args.pcap} ({len(recorder.datagrams)} datagrams)")
    if args.keys is not None:
        from vpnlearn.ike.udp import write_key_tables

        for path in write_key_tables(args.keys, runner.keylog):
            _out(f"wrote {path}")


# ------------------------------------------------------------------------------------------------
# the commands


def cmd_initiate(args: argparse.Namespace) -> int:
    """``vpnlearn ike initiate``: 0 when everything asked for worked, 1 when the exchange failed."""
    with _short_warnings():
        return _initiate(args)


def cmd_respond(args: argparse.Namespace) -> int:
    """``vpnlearn ike respond``: 0 when an IKE SA was established, 1 when it failed."""
    with _short_warnings():
        return _respond(args)


def _initiate(args: argparse.Namespace) -> int:
    from vpnlearn.ike import Initiator
    from vpnlearn.ike.udp import Recorder, UdpRunner

    config = build_config(args)
    source = args.source or _default_source(args.remote)
    recorder = Recorder()
    log = (lambda line: None) if args.quiet else _out
    runner = UdpRunner(Initiator(config), source, args.remote, recorder=recorder, log=log)
    status = EXIT_OK
    with runner:
        try:
            started = time.monotonic()
            runner.start()
            ok = runner.run_until(lambda: _established(runner) or _failed(runner), args.timeout)
            elapsed = time.monotonic() - started
            if not ok or _failed(runner) or not _established(runner):
                reason = failure_line(runner) or f"no IKE SA after {args.timeout:g} s"
                print(f"vpnlearn ike initiate: failed: {reason}", file=sys.stderr)
                status = EXIT_FAILED
            else:
                child = runner.children()[-1]
                _out(f"IKE SA and CHILD_SA established with {args.remote} in {elapsed * 1000:.1f} ms"
                     f" ({describe_child(child)})")
                if args.ping and not _ping(args, runner):
                    status = EXIT_FAILED
                for flag, method, event in ((args.rekey_child, "rekey_child", "ChildSaRekeyed"),
                                            (args.rekey_ike, "rekey_ike", "IkeSaRekeyed")):
                    if not flag or status != EXIT_OK:
                        continue
                    before = len(_events_named(runner, event))
                    runner.request(method, *([runner.children()[-1]] if method == "rekey_child" else []))
                    if not runner.run_until(lambda e=event, b=before: len(_events_named(runner, e)) > b
                                            or _failed(runner), args.timeout) or _failed(runner):
                        reason = failure_line(runner) or f"no answer after {args.timeout:g} s"
                        print(f"vpnlearn ike initiate: {method} failed: {reason}", file=sys.stderr)
                        status = EXIT_FAILED
                    else:
                        _out(f"{method.replace('_', ' ')}: done")
                        if args.ping and not _ping(args, runner):
                            status = EXIT_FAILED
                if args.hold > 0:
                    # Stay up, answering echo requests through the tunnel, until the time is over or
                    # the peer deletes the IKE SA.
                    runner.run_until(lambda: bool(_events_named(runner, "IkeSaDeleted")), args.hold)
                    _out(f"answered {runner.echo_answered} echo requests through the tunnel")
                if _events_named(runner, "IkeSaDeleted"):
                    _out("IKE SA deleted by the peer")
                elif not args.no_delete:
                    runner.request("delete_ike")
                    runner.run_until(lambda: bool(_events_named(runner, "IkeSaDeleted")), args.timeout)
                    _out("IKE SA deleted" if _events_named(runner, "IkeSaDeleted")
                         else "DELETE sent, no answer")
        finally:
            _report_drops(runner)
            _write_outputs(args, runner, recorder)
    return status


def _report_drops(runner: Any) -> None:
    if runner.esp_dropped:
        _out(f"dropped {len(runner.esp_dropped)} ESP packets; first: {runner.esp_dropped[0]}")


def _ping(args: argparse.Namespace, runner: Any) -> bool:
    src = args.ping_source or str(next(ipaddress.ip_network(args.local_ts[0], strict=False).hosts()))
    replies = runner.ping(args.ping, src, args.count, timeout=min(args.timeout, 3.0))
    _out(f"ping {args.ping} from {src} through the tunnel: {len(replies)}/{args.count} replies")
    if len(replies) < args.count:
        print(f"vpnlearn ike initiate: failed: {args.count - len(replies)} of {args.count} echo requests "
              f"to {args.ping} got no reply through the CHILD_SA", file=sys.stderr)
        return False
    return True


def describe_child(child: Any) -> str:
    """``inbound SPI 0x..., outbound SPI 0x...`` for a CHILD_SA."""
    parts = []
    for attr in ("inbound", "outbound"):
        sa = getattr(child, attr, None)
        spi = getattr(sa, "spi", None)
        if spi is not None:
            parts.append(f"{attr} SPI 0x{int(spi):08x}")
    return ", ".join(parts) or "CHILD_SA"


def _respond(args: argparse.Namespace) -> int:
    from vpnlearn.ike import Responder
    from vpnlearn.ike.udp import Recorder, UdpRunner

    config = build_config(args)
    recorder = Recorder()
    log = (lambda line: None) if args.quiet else _out
    runner = UdpRunner(Responder(config), args.source, args.remote, recorder=recorder, log=log)
    status = EXIT_OK
    with runner:
        _out(f"listening on {args.source} UDP 500 and 4500")
        try:
            deadline = time.monotonic() + args.duration if args.duration > 0 else None
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                runner.step(0.2)
                if _events_named(runner, "IkeSaDeleted") and getattr(runner.peer, "ike_sa", None) is None:
                    break
                if _fatal(runner) and not _events_named(runner, "IkeSaEstablished"):
                    # Stay a moment to answer retransmissions of the refused request, then stop.
                    runner.run_until(lambda: False, 1.0)
                    break
            if _fatal(runner) and not _events_named(runner, "IkeSaEstablished"):
                print(f"vpnlearn ike respond: failed: {failure_line(runner)}", file=sys.stderr)
                status = EXIT_FAILED
            elif not _events_named(runner, "IkeSaEstablished"):
                print("vpnlearn ike respond: failed: no IKE SA was established", file=sys.stderr)
                status = EXIT_FAILED
            _out(f"answered {runner.echo_answered} echo requests through the tunnel")
        except KeyboardInterrupt:
            pass
        finally:
            _report_drops(runner)
            _write_outputs(args, runner, recorder)
    return status

"""The ``vpnlearn ike`` command without a network: arguments, configuration, messages, files.

The real exchanges (over UDP, against strongSwan) are in tests/interop/ (marker ``root``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from vpnlearn import cli
from vpnlearn.ike import events as ev
from vpnlearn.ike.cli import build_config, failure_line, parse_identity
from vpnlearn.ike.payloads import ID_DER_ASN1_DN, ID_FQDN, ID_IPV4_ADDR, ID_RFC822_ADDR
from vpnlearn.ike.udp import Datagram, _in_any, describe_event, write_pcap
from vpnlearn.ipsec.packets import UDP, IPv4
from vpnlearn.pcap import read_pcap

BASE = ["--local-id", "a.example", "--remote-id", "b.example", "--local-ts", "10.98.1.0/24",
        "--remote-ts", "10.98.2.0/24"]


def _args(*extra: str) -> argparse.Namespace:
    parser = cli.build_parser()
    return parser.parse_args(["ike", "initiate", "192.0.2.2", *BASE, *extra])


def test_ike_commands_are_registered() -> None:
    args = _args("--psk", "secret", "--ping", "10.98.2.1")
    assert args.func.__name__ == "cmd_initiate"
    assert args.remote == "192.0.2.2" and args.ping == "10.98.2.1"
    resp = cli.build_parser().parse_args(["ike", "respond", "--listen", "192.0.2.1", *BASE, "--psk", "x"])
    assert resp.func.__name__ == "cmd_respond" and resp.source == "192.0.2.1"


def test_psk_or_certificate_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["ike", "initiate", "192.0.2.2", *BASE])
    assert exc.value.code == 2
    assert "--psk" in capsys.readouterr().err


def test_cert_without_key_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = cli.main(["ike", "initiate", "192.0.2.2", *BASE, "--cert", str(tmp_path / "c.pem")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["vpnlearn ike: error: --cert needs --key and --ca"]


def test_missing_certificate_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = cli.main(["ike", "initiate", "192.0.2.2", *BASE, "--cert", str(tmp_path / "nope.pem"),
                     "--key", str(tmp_path / "k.pem"), "--ca", str(tmp_path / "ca.pem")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.pem" in err and "--cert" in err


def test_bad_traffic_selector_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["ike", "initiate", "192.0.2.2", "--local-id", "a", "--remote-id", "b", "--psk", "x",
                     "--local-ts", "10.98.1.0/33", "--remote-ts", "10.98.2.0/24"])
    err = capsys.readouterr().err
    assert code == 2 and "--local-ts" in err and "10.98.1.0/33" in err


def test_bad_proposal_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Exception) as exc:
        build_config(_args("--psk", "x", "--ike", "aes128-nosuchprf-x25519"))
    assert "nosuchprf" in str(exc.value)


def test_build_config_from_the_command_line() -> None:
    two = "aes256-sha256-modp2048,aes128gcm16-prfsha256-x25519"
    cfg = build_config(_args("--psk", "s3cret", "--ike", two, "--esp", "aes256-sha256"))
    assert cfg.psk == b"s3cret"
    assert cfg.ike_proposals == ("aes256-sha256-modp2048", "aes128gcm16-prfsha256-x25519")
    assert cfg.esp_proposals == ("aes256-sha256",)
    assert str(cfg.local_ts[0].start) == "10.98.1.0" and str(cfg.local_ts[0].end) == "10.98.1.255"
    assert cfg.local_id.id_type == ID_FQDN and cfg.local_id.data == b"a.example"


@pytest.mark.parametrize(("text", "id_type"), [
    ("vpn.example.com", ID_FQDN), ("192.0.2.7", ID_IPV4_ADDR), ("alice@example.com", ID_RFC822_ADDR),
    ("CN=right.example,O=vpnlearn", ID_DER_ASN1_DN),
])
def test_parse_identity(text: str, id_type: int) -> None:
    assert parse_identity(text).id_type == id_type


class _Runner:
    def __init__(self, *events: ev.Event) -> None:
        self.events = list(events)


def test_failure_line_names_the_notify_and_who_sent_it() -> None:
    got = _Runner(ev.ErrorNotifyReceived("AUTHENTICATION_FAILED", "IKE_AUTH"),
                  ev.ProtocolFailure("AUTHENTICATION_FAILED", "the responder refused IKE_AUTH"))
    assert failure_line(got) == ("received AUTHENTICATION_FAILED from the peer in IKE_AUTH: "
                                 "the responder refused IKE_AUTH")
    sent = _Runner(ev.ProtocolFailure("NO_PROPOSAL_CHOSEN", "no common IKE proposal", True, True))
    assert failure_line(sent) == "sent NO_PROPOSAL_CHOSEN to the peer: no common IKE proposal"
    dead = _Runner(ev.RetransmitSent("IKE_SA_INIT", 0, 2), ev.PeerDead("IKE_SA_INIT", 0))
    assert "IKE_SA_INIT" in failure_line(dead) and "PeerDead" in failure_line(dead)
    assert failure_line(_Runner(ev.NatDetected(False, True))) is None


def test_describe_event_is_one_line() -> None:
    line = describe_event(ev.InvalidKeRetry(31, 19))
    assert line == "InvalidKeRetry(old_group=31, new_group=19)"


def test_traffic_selector_membership() -> None:
    from vpnlearn.ike import TrafficSelector

    sel = [TrafficSelector.subnet("10.98.1.0/24")]
    assert _in_any("10.98.1.1", sel) and _in_any("10.98.1.255", sel)
    assert not _in_any("10.98.2.1", sel)
    rng = ["10.98.1.0-10.98.1.10"]
    assert _in_any("10.98.1.9", rng) and not _in_any("10.98.1.11", rng)


def test_write_pcap_keeps_ports_and_payloads(tmp_path: Path) -> None:
    a, b = "192.0.2.1", "192.0.2.2"
    grams = [Datagram(1000.25, (a, 500), (b, 500), b"\x01" * 28, "ike"),
             Datagram(1000.5, (b, 4500), (a, 4500), b"\x00\x00\x00\x00" + b"\x02" * 28, "ike"),
             Datagram(1000.75, (a, 4500), (b, 4500), b"\x12\x34\x56\x78" + b"\x03" * 40, "esp")]
    path = tmp_path / "x.pcap"
    write_pcap(path, grams)
    back = read_pcap(path)
    assert len(back.packets) == 3
    for g, p in zip(grams, back.packets, strict=True):
        ip = IPv4.parse(p.data)
        udp = UDP.parse(ip.payload, ip.src, ip.dst)     # checks the UDP checksum
        assert (ip.src, udp.src_port, ip.dst, udp.dst_port) == (g.src[0], g.src[1], g.dst[0], g.dst[1])
        assert udp.payload == g.payload
        assert p.time == pytest.approx(g.time)


def _respond_args(*extra: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(
        ["ike", "respond", "--listen", "192.0.2.2", "--local-id", "b.example", "--remote-id", "a.example",
         "--local-ts", "10.98.2.0/24", "--remote-ts", "10.98.1.0/24", *extra])


def test_force_encap_flag_reaches_the_config() -> None:
    assert build_config(_args("--psk", "x", "--force-encap")).force_encap is True
    assert build_config(_respond_args("--psk", "x", "--force-encap")).force_encap is True
    assert build_config(_args("--psk", "x")).force_encap is False  # off unless asked (no NAT: port 500)
    assert build_config(_respond_args("--psk", "x")).force_encap is False


def test_force_encap_from_the_command_line_puts_esp_in_udp_4500() -> None:
    # The two configurations the commands build, run against each other in-process (no sockets).
    from test_ike_helpers import connect

    w = connect(build_config(_args("--psk", "s3cret", "--force-encap")),
                build_config(_respond_args("--psk", "s3cret")), seed="cli-encap")
    assert w.ini.port == 4500 and w.resp.port == 4500
    assert [type(e).__name__ for e in w.events_i].count("SwitchToPort4500") == 1
    child = w.ini.child_sas[0]
    assert child.outbound.udp_encap is not None and child.inbound.udp_encap is not None
    plain = connect(build_config(_args("--psk", "s3cret")), build_config(_respond_args("--psk", "s3cret")),
                    seed="cli-plain")
    assert plain.ini.port == 500 and plain.ini.child_sas[0].outbound.udp_encap is None

"""A real OpenVPN 2.6 server configured like a Client VPN endpoint, and real clients using our profiles.

Two network namespaces joined by a veth (tests/openvpn/netns.py). The server config comes from
``vpnlearn.aws.ovpn.server_config`` and each client's profile from ``client_profile`` (with
``remote`` pointed at the server's veth address). Certificates and CRLs come from
``vpnlearn.aws.pki``. Checked with the real peer:

* a good client: "Initialization Sequence Completed" on both sides, the split-tunnel route is pushed,
  and a ping crosses the tunnel to the "VPC" host behind the server;
* a revoked client and a client of another CA are refused (server log ``VERIFY ERROR``);
* what ``pki.check_crl`` warns about really happens: a CRL signed by another CA is ignored (the
  revoked client gets in) and an expired CRL locks out a good client.

Skips only when not root or when namespaces / tun cannot be made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openvpn.netns import SERVER_OUTER, VPC_HOST, NetPair, namespaces_possible, wait_log

from vpnlearn.aws import ovpn, pki
from vpnlearn.aws.clientvpn import AuthenticationOption, ClientVpnEndpoint, TargetSubnet

pytestmark = [pytest.mark.root, pytest.mark.timeout(120)]

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 1, 1, tzinfo=UTC)
T1 = dt.datetime(2045, 1, 1, tzinfo=UTC)
DONE = "Initialization Sequence Completed"
REFUSED_CLIENT = r"TLS key negotiation failed|TLS Error|AUTH_FAILED|Initialization Sequence Completed"

_ok, _why = namespaces_possible()
if not _ok:
    pytestmark.append(pytest.mark.skip(reason=f"real OpenVPN test needs root and netns: {_why}"))


@dataclass
class Lab:
    pair: NetPair
    dir: Path
    endpoint: ClientVpnEndpoint
    ca: pki.CertificateAuthority
    other_ca: pki.CertificateAuthority
    server: pki.Issued
    good: pki.Issued
    revoked: pki.Issued
    stranger: pki.Issued
    crl_path: Path
    server_log: Path
    _n: int = 0

    def second_server(self, server: pki.Issued, port: int) -> tuple[ClientVpnEndpoint, Path]:
        """Start another server (same CA and CRL, another certificate) on ``port``; its endpoint and log."""
        self._n += 1
        # Another endpoint (own client CIDR, so replies find their own tun device in the server netns).
        endpoint = dataclasses.replace(self.endpoint, vpn_port=port, client_cidr=f"10.{200 + self._n}.0.0/22")
        conf = self.dir / f"server{self._n}.conf"
        conf.write_text(ovpn.server_config(endpoint, ca_pem=self.ca.cert_pem(), cert_pem=server.cert_pem(),
                                           key_pem=server.key_pem(), crl_path=str(self.crl_path),
                                           local=SERVER_OUTER))
        log = self.dir / f"server{self._n}.log"
        proc = self.pair.openvpn(self.pair.server_ns, conf, log)
        assert wait_log(log, DONE, proc=proc), log.read_text(errors="replace")
        return endpoint, log

    def set_crl(self, crl: object) -> None:
        """Replace the CRL file; OpenVPN reads it again at the next connection."""
        self.crl_path.write_text(pki.crl_pem(crl))  # type: ignore[arg-type]

    def connect(self, client: pki.Issued, *, expect_up: bool,
                while_up: Callable[[NetPair], None] | None = None,
                endpoint: ClientVpnEndpoint | None = None, server_log: Path | None = None) -> tuple[str, str]:
        """Start a client with our profile; return (new server log text, client log text).

        ``while_up`` runs while the tunnel is up (checks on routes, pings)."""
        self._n += 1
        profile = ovpn.client_profile(endpoint or self.endpoint, ca_pem=self.ca.cert_pem(),
                                      cert_pem=client.cert_pem(), key_pem=client.key_pem(),
                                      remote_host=SERVER_OUTER)
        server_log = server_log or self.server_log
        conf = self.dir / f"client{self._n}.ovpn"
        conf.write_text(profile)
        log = self.dir / f"client{self._n}.log"
        start = len(server_log.read_text(errors="replace"))
        proc = self.pair.openvpn(self.pair.client_ns, conf, log, "--hand-window", "3")
        try:
            m = wait_log(log, DONE if expect_up else REFUSED_CLIENT, timeout=20, proc=proc)
            if expect_up and m:
                # The tunnel is up: ping the VPC host behind the endpoint through it.
                ping = self.pair.ping(self.pair.client_ns, VPC_HOST)
                assert ping.returncode == 0, ping.stdout + ping.stderr
                routes = self.pair.sh(self.pair.client_ns, "ip route").stdout
                assert "10.77.0.0/16" in routes and "tun" in routes, routes
                if while_up is not None:
                    while_up(self.pair)
            return server_log.read_text(errors="replace")[start:], log.read_text(errors="replace")
        finally:
            self.pair.stop(proc)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    d = Path(tempfile.mkdtemp(prefix="vpnlearn-ovpn-"))
    ca = pki.CertificateAuthority.create("vpnlearn test CA", not_before=T0, not_after=T1)
    other = pki.CertificateAuthority.create("some other CA", not_before=T0, not_after=T1)
    server = ca.issue_server("server.cvpn.test", not_before=T0, not_after=T1)
    good = ca.issue_client("alice.cvpn.test", not_before=T0, not_after=T1)
    revoked = ca.issue_client("mallory.cvpn.test", not_before=T0, not_after=T1)
    stranger = other.issue_client("eve.cvpn.test", not_before=T0, not_after=T1)
    ca.revoke(revoked, T0 + dt.timedelta(days=1))

    arn = "arn:aws:acm:us-east-1:111122223333:certificate/s"
    endpoint = ClientVpnEndpoint("10.200.0.0/22", "vpc-0a1", ("10.77.0.0/16",), arn,
                                 (AuthenticationOption("certificate-authentication", arn),),
                                 split_tunnel=True)
    endpoint.associate(TargetSubnet("subnet-a", "10.77.1.0/24", "us-east-1a", "vpc-0a1"))
    endpoint.associate(TargetSubnet("subnet-b", "10.77.2.0/24", "us-east-1b", "vpc-0a1"))
    endpoint.authorize_ingress("10.77.0.0/16", all_users=True)
    assert [f for f in endpoint.validate() if f.severity == "error"] == []

    crl_path = d / "crl.pem"
    crl_path.write_text(pki.crl_pem(ca.crl(last_update=T0 + dt.timedelta(days=1), next_update=T1)))
    conf = d / "server.conf"
    conf.write_text(ovpn.server_config(endpoint, ca_pem=ca.cert_pem(), cert_pem=server.cert_pem(),
                                       key_pem=server.key_pem(), crl_path=str(crl_path), local=SERVER_OUTER))
    pair = NetPair.create()
    try:
        server_log = d / "server.log"
        proc = pair.openvpn(pair.server_ns, conf, server_log)
        assert wait_log(server_log, DONE, proc=proc), server_log.read_text(errors="replace")
        yield Lab(pair, d, endpoint, ca, other, server, good, revoked, stranger, crl_path, server_log)
    finally:
        pair.destroy()
        shutil.rmtree(d, ignore_errors=True)


def route_dev(pair: NetPair, ns: str, dst: str) -> str:
    """The device the kernel of ``ns`` would send ``dst`` out of ("" if unreachable). No packet is sent."""
    out = pair.sh(ns, f"ip -o route get {dst}", check=False).stdout
    words = out.split()
    return words[words.index("dev") + 1] if "dev" in words else ""


def test_good_client_tunnel_up_and_ping_crosses(lab: Lab) -> None:
    def split_tunnel_routes(pair: NetPair) -> None:
        # The model says: VPC address -> "vpn", internet address -> "local" (split tunnel on).
        assert lab.endpoint.route(VPC_HOST).path == "vpn"
        assert lab.endpoint.route("198.51.100.7").path == "local"
        assert route_dev(pair, pair.client_ns, VPC_HOST).startswith("tun")
        assert not route_dev(pair, pair.client_ns, "198.51.100.7").startswith("tun")

    server_log, client_log = lab.connect(lab.good, expect_up=True, while_up=split_tunnel_routes)
    assert DONE in client_log, client_log
    assert "VERIFY OK: depth=0, CN=alice.cvpn.test" in server_log
    # The split-tunnel route and the data-channel cipher the profile asks for.
    assert "route 10.77.0.0 255.255.0.0" in client_log
    assert "Data Channel: cipher 'AES-256-GCM'" in client_log
    # remote-cert-tls server: the client checked keyUsage and serverAuth on our server cert.
    assert "VERIFY EKU OK" in client_log and "VERIFY KU OK" in client_log


def test_revoked_client_is_refused(lab: Lab) -> None:
    server_log, client_log = lab.connect(lab.revoked, expect_up=False)
    assert "VERIFY ERROR: depth=0, error=certificate revoked" in server_log, server_log
    assert DONE not in client_log


def test_client_of_another_ca_is_refused(lab: Lab) -> None:
    server_log, client_log = lab.connect(lab.stranger, expect_up=False)
    assert "VERIFY ERROR: depth=0, error=unable to get local issuer certificate" in server_log, server_log
    assert DONE not in client_log


def test_crl_from_wrong_ca_is_ignored_by_openvpn_and_flagged_by_library(lab: Lab) -> None:
    # A CRL that lists mallory's serial but is signed by the other CA.
    lab.other_ca.revoked[lab.revoked.serial_number] = T0
    wrong = lab.other_ca.crl(last_update=T0, next_update=T1)
    findings = pki.check_crl(wrong, lab.ca.certificate, at=T0 + dt.timedelta(days=2))
    assert [f.rule_id for f in findings] == ["CVPN-CRL-VALID"]
    lab.set_crl(wrong)
    try:
        _, client_log = lab.connect(lab.revoked, expect_up=True)
        assert DONE in client_log  # the revoked client got in: exactly what the finding warns about
    finally:
        lab.set_crl(lab.ca.crl(last_update=T0 + dt.timedelta(days=1), next_update=T1))


def test_expired_crl_locks_out_good_client(lab: Lab) -> None:
    expired = lab.ca.crl(last_update=T0, next_update=T0 + dt.timedelta(days=7))
    findings = pki.check_crl(expired, lab.ca.certificate, at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    assert [f.path for f in findings] == ["crl.next_update"]
    lab.set_crl(expired)
    try:
        server_log, client_log = lab.connect(lab.good, expect_up=False)
        assert "VERIFY ERROR" in server_log and "CRL has expired" in server_log, server_log
        assert DONE not in client_log
    finally:
        lab.set_crl(lab.ca.crl(last_update=T0 + dt.timedelta(days=1), next_update=T1))


def test_server_san_is_not_checked_by_openvpn_but_flagged_by_library(lab: Lab) -> None:
    # A server certificate whose SAN names another host: OpenVPN's client connects anyway.
    wrong_san = lab.ca.issue_server("server.cvpn.test", not_before=T0, not_after=T1,
                                    dns_names=["somewhere-else.example"])
    endpoint, log = lab.second_server(wrong_san, 1194)
    _, client_log = lab.connect(lab.good, expect_up=True, endpoint=endpoint, server_log=log)
    assert DONE in client_log
    found = pki.check_certificate(wrong_san, "server", at=T0 + dt.timedelta(days=2),
                                  server_name="server.cvpn.test")
    assert [(f.path, f.rule_id) for f in found] == [("server.subjectAltName", "CVPN-CERT-SERVER")]


def test_server_without_server_auth_eku_is_refused_by_remote_cert_tls(lab: Lab) -> None:
    # remote-cert-tls server in the profile: keyUsage + serverAuth EKU are required.
    no_eku = lab.ca.issue_server("server.cvpn.test", not_before=T0, not_after=T1, eku=())
    assert any(f.path == "server.extendedKeyUsage" for f in
               pki.check_certificate(no_eku, "server", at=T0 + dt.timedelta(days=2)))
    endpoint, log = lab.second_server(no_eku, 8443)
    _, client_log = lab.connect(lab.good, expect_up=False, endpoint=endpoint, server_log=log)
    assert "VERIFY EKU ERROR" in client_log or "Certificate does not have extended key usage extension" \
        in client_log, client_log
    assert DONE not in client_log


def test_full_tunnel_over_tcp_1194() -> None:
    """Split tunnel off (AWS default) and TCP on port 1194: everything the client sends enters the tunnel."""
    d = Path(tempfile.mkdtemp(prefix="vpnlearn-ovpn-tcp-"))
    ca = pki.CertificateAuthority.create("vpnlearn tcp CA", not_before=T0, not_after=T1)
    server = ca.issue_server("server.cvpn.test", not_before=T0, not_after=T1)
    client = ca.issue_client("bob.cvpn.test", not_before=T0, not_after=T1)
    arn = "arn:aws:acm:us-east-1:111122223333:certificate/t"
    endpoint = ClientVpnEndpoint("10.210.0.0/22", "vpc-0a1", ("10.77.0.0/16",), arn,
                                 (AuthenticationOption("certificate-authentication", arn),),
                                 transport="tcp", vpn_port=1194)
    endpoint.associate(TargetSubnet("subnet-a", "10.77.1.0/24", "us-east-1a", "vpc-0a1"))
    endpoint.associate(TargetSubnet("subnet-b", "10.77.2.0/24", "us-east-1b", "vpc-0a1"))
    endpoint.authorize_ingress("10.77.0.0/16", all_users=True)
    assert endpoint.pushed_routes() == ("0.0.0.0/0",)
    (d / "server.conf").write_text(ovpn.server_config(
        endpoint, ca_pem=ca.cert_pem(), cert_pem=server.cert_pem(), key_pem=server.key_pem(),
        local=SERVER_OUTER))
    (d / "client.ovpn").write_text(ovpn.client_profile(
        endpoint, ca_pem=ca.cert_pem(), cert_pem=client.cert_pem(), key_pem=client.key_pem(),
        remote_host=SERVER_OUTER))
    pair = NetPair.create()
    try:
        # A default route into the server namespace, so OpenVPN can save it and redirect it
        # (redirect-gateway def1). Nothing leaves the two namespaces.
        pair.sh(pair.client_ns, f"ip route add default via {SERVER_OUTER}")
        s = pair.openvpn(pair.server_ns, d / "server.conf", d / "server.log")
        assert wait_log(d / "server.log", DONE, proc=s), (d / "server.log").read_text()
        assert "TCPv4_SERVER link local (bound): [AF_INET]10.251.0.1:1194" in (d / "server.log").read_text()
        c = pair.openvpn(pair.client_ns, d / "client.ovpn", d / "client.log")
        assert wait_log(d / "client.log", DONE, proc=c), (d / "client.log").read_text()
        client_log = (d / "client.log").read_text()
        assert "redirect-gateway def1" in client_log
        # Both an internet address and the VPC go into the tunnel; the server keeps its own route.
        assert route_dev(pair, pair.client_ns, "198.51.100.7").startswith("tun")
        assert route_dev(pair, pair.client_ns, VPC_HOST).startswith("tun")
        assert not route_dev(pair, pair.client_ns, SERVER_OUTER).startswith("tun")
        # The model agrees: nothing is "local" with split tunnel off.
        assert endpoint.route("198.51.100.7").path == "dropped"   # enters the tunnel, no endpoint route
        assert endpoint.route(VPC_HOST).path == "vpn"
        ping = pair.ping(pair.client_ns, VPC_HOST)
        assert ping.returncode == 0, ping.stdout + ping.stderr
    finally:
        pair.destroy()
        shutil.rmtree(d, ignore_errors=True)

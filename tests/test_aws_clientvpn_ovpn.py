"""The client .ovpn profile (AWS export shape) and the look-alike OpenVPN server configuration.

Shape reference: the profile ``ExportClientVpnClientConfiguration`` returns, as described in
https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-endpoint-export.html, plus the
client <cert>/<key> AWS tells mutual-authentication users to add. The real OpenVPN test
(test_openvpn_real.py) runs both files against OpenVPN 2.6.
"""

from __future__ import annotations

import re
import warnings

import pytest

from vpnlearn.aws import ovpn
from vpnlearn.aws.clientvpn import AuthenticationOption, ClientVpnEndpoint, TargetSubnet
from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.rand import DemoRandom

CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"
CERT = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n"


def demo(seed: str) -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DemoRandom(seed)


def endpoint(**kw: object) -> ClientVpnEndpoint:
    e = ClientVpnEndpoint("10.200.0.0/22", "vpc-1", ("10.0.0.0/16",), "arn:s",
                          (AuthenticationOption("certificate-authentication", "arn:s"),),
                          endpoint_id="cvpn-endpoint-0a1b2c3d4e5f60718", region="eu-west-2", **kw)  # type: ignore
    e.associate(TargetSubnet("subnet-a", "10.0.1.0/24", "eu-west-2a", "vpc-1"))
    e.authorize_ingress("10.0.0.0/16", all_users=True)
    return e


def test_profile_shape_matches_aws_export() -> None:
    text = ovpn.client_profile(endpoint(), ca_pem=CA, cert_pem=CERT, key_pem=KEY, rng=demo("p"))
    p = ovpn.parse_profile(text)
    names = [n for n, _ in p.directives]
    assert names == ["client", "dev", "proto", "remote", "remote-random-hostname", "resolv-retry", "nobind",
                     "remote-cert-tls", "cipher", "verb", "reneg-sec"]
    assert p.get("dev") == ["tun"] and p.get("proto") == ["udp"]
    host, port = p.get("remote")  # type: ignore[misc]
    assert port == "443"
    name = r"[0-9a-f]{12}\.cvpn-endpoint-0a1b2c3d4e5f60718\.prod\.clientvpn\.eu-west-2\.amazonaws\.com"
    assert re.fullmatch(name, host), host
    assert p.get("resolv-retry") == ["infinite"] and p.get("remote-cert-tls") == ["server"]
    assert p.get("cipher") == ["AES-256-GCM"] and p.get("reneg-sec") == ["0"]
    assert p.inline == {"ca": CA, "cert": CERT, "key": KEY}
    # inline blocks sit between verb and reneg-sec, as in the exported file
    assert text.index("verb 3") < text.index("<ca>") < text.index("<cert>") < text.index("<key>") \
        < text.index("reneg-sec 0")


def test_profile_random_prefix_is_deterministic_with_demo_random() -> None:
    e = endpoint()
    a = ovpn.client_profile(e, ca_pem=CA, rng=demo("x"))
    assert a == ovpn.client_profile(e, ca_pem=CA, rng=demo("x"))
    assert a != ovpn.client_profile(e, ca_pem=CA, rng=demo("y"))
    plain = ovpn.parse_profile(ovpn.client_profile(e, ca_pem=CA, random_prefix=False))
    assert plain.get("remote") == [e.dns_name, "443"]
    assert "cert" not in plain.inline and "key" not in plain.inline


def test_profile_tcp_1194_and_ip_remote() -> None:
    e = endpoint(transport="tcp", vpn_port=1194)
    p = ovpn.parse_profile(ovpn.client_profile(e, ca_pem=CA, remote_host="192.0.2.10"))
    assert p.get("proto") == ["tcp"] and p.get("remote") == ["192.0.2.10", "1194"]
    assert not p.has("remote-random-hostname")     # a random label only makes sense on a DNS name


def test_profile_input_errors() -> None:
    with pytest.raises(ConfigError, match="cert_pem and key_pem"):
        ovpn.client_profile(endpoint(), ca_pem=CA, cert_pem=CERT)
    with pytest.raises(ConfigError, match="<ca>"):
        ovpn.client_profile(endpoint(), ca_pem="  ")
    with pytest.raises(ConfigError, match="transport"):
        ovpn.client_profile(endpoint(transport="quic"), ca_pem=CA)


def test_parse_errors_name_line_and_offset() -> None:
    text = "client\ndev tun\n<ca>\nAAAA\n"
    with pytest.raises(ParseError) as exc:
        ovpn.parse_profile(text)
    assert exc.value.offset == len("client\ndev tun\n") and "never closed" in str(exc.value)
    with pytest.raises(ParseError, match="line 2"):
        ovpn.parse_profile("client\n<secret>\nx\n</secret>\n")
    with pytest.raises(ParseError, match="without an opening tag"):
        ovpn.parse_profile("client\n</ca>\n")
    with pytest.raises(ParseError, match="given twice"):
        ovpn.parse_profile(f"<ca>\n{CA}</ca>\n<ca>\n{CA}</ca>\n")
    p = ovpn.parse_profile("# comment\n; other comment\n\nclient\n")
    assert p.directives == [("client", [])]


def test_server_config_split_tunnel() -> None:
    e = endpoint(split_tunnel=True, dns_servers=("10.0.0.2",), session_timeout_hours=8)
    e.add_route("192.168.10.0/24", "subnet-a")
    e.authorize_ingress("192.168.10.0/24", all_users=True)
    p = ovpn.parse_profile(ovpn.server_config(e, ca_pem=CA, cert_pem=CERT, key_pem=KEY, crl_path="/x/crl.pem",
                                              local="10.251.0.1"))
    d = {n: a for n, a in p.directives}
    assert d["server"] == ["10.200.0.0", "255.255.252.0"]      # the client CIDR is the address pool
    assert d["port"] == ["443"] and d["proto"] == ["udp"] and d["dev"] == ["tun"]
    assert d["local"] == ["10.251.0.1"]
    assert d["dh"] == ["none"] and d["crl-verify"] == ["/x/crl.pem"] and d["remote-cert-tls"] == ["client"]
    assert d["session-timeout"] == [str(8 * 3600)]
    assert "AES-256-GCM" in d["data-ciphers"][0]
    pushes = [" ".join(a) for n, a in p.directives if n == "push"]
    assert pushes == ['"route 10.0.0.0 255.255.0.0"', '"route 192.168.10.0 255.255.255.0"',
                      '"dhcp-option DNS 10.0.0.2"']
    assert p.inline == {"ca": CA, "cert": CERT, "key": KEY}


def test_server_config_full_tunnel_and_tcp() -> None:
    e = endpoint(transport="tcp", vpn_port=1194)
    p = ovpn.parse_profile(ovpn.server_config(e, ca_pem=CA, cert_pem=CERT, key_pem=KEY))
    assert p.get("proto") == ["tcp-server"] and p.get("port") == ["1194"]
    assert [" ".join(a) for n, a in p.directives if n == "push"] == ['"redirect-gateway def1"']
    assert not p.has("crl-verify")
    with pytest.raises(ConfigError, match="client_cidr"):
        ovpn.server_config(ClientVpnEndpoint("bad", "vpc-1", ()), ca_pem=CA, cert_pem=CERT, key_pem=KEY)


@pytest.mark.parametrize("types,expected", [
    (("certificate-authentication",), []),
    (("certificate-authentication", "directory-service-authentication"), ["auth-user-pass"]),
    (("federated-authentication",), ["auth-user-pass", "auth-federate", "auth-retry"]),
])
def test_user_based_auth_lines(types: tuple[str, ...], expected: list[str]) -> None:
    e = endpoint()
    e.authentication = tuple(AuthenticationOption(t, "ref") for t in types)
    p = ovpn.parse_profile(ovpn.client_profile(e, ca_pem=CA, random_prefix=False))
    names = [n for n, _ in p.directives]
    assert names[names.index("verb") + 1:] == [*expected, "reneg-sec"]

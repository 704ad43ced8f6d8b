"""SPD (RFC 4301 §4.4.1) and SAD (RFC 4301 §4.4.2): first-match policy with reasons, SA lookups."""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.errors import ConfigError, ParseError, PolicyError
from vpnlearn.ipsec.packets import ICMP, PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4, icmp_echo, ipv4_udp
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.ipsec.sad import SAD
from vpnlearn.ipsec.spd import SPD, Action, Selector, entry
from vpnlearn.rand import DemoRandom


def site_spd() -> SPD:
    return SPD([
        entry("ike", "BYPASS", protocol="UDP", local_ports=500, remote_ports=500),
        entry("natt", "BYPASS", protocol="UDP", local_ports=4500, remote_ports=4500),
        entry("no-telnet", "DISCARD", remote="10.2.0.0/16", protocol="TCP", remote_ports=23),
        entry("site-b", "PROTECT", local="10.1.0.0/16", remote="10.2.0.0/16", ipsec="esp tunnel"),
        entry("internet", "BYPASS", local="10.1.0.0/16"),
    ])


def test_first_match_wins_and_trace_explains_skips():
    spd = site_spd()
    pkt = icmp_echo("10.1.0.5", "10.2.3.4")
    d = spd.lookup(pkt, "outbound")
    assert d.action is Action.PROTECT and d.entry is spd["site-b"]
    assert [s.entry.name for s in d.steps] == ["ike", "natt", "no-telnet", "site-b"]
    assert [s.matched for s in d.steps] == [False, False, False, True]
    assert "protocol ICMP is not UDP" in d.steps[0].reason
    assert "protocol ICMP is not TCP" in d.steps[2].reason
    assert "first match wins" in d.why and "site-b" in d.why
    assert d.rows()[3]["matched"] == "yes"


def test_order_matters_discard_before_protect():
    spd = site_spd()
    telnet = IPv4("10.1.0.5", "10.2.0.9", PROTO_TCP, (40000).to_bytes(2, "big") + (23).to_bytes(2, "big")
                  + bytes(16)).build()
    assert spd.lookup(telnet).action is Action.DISCARD
    assert spd.lookup(telnet).entry.name == "no-telnet"
    spd.remove("no-telnet")
    spd.add(entry("no-telnet", "DISCARD", remote="10.2.0.0/16", protocol="TCP", remote_ports=23))
    # now after site-b: the PROTECT entry matches first
    assert spd.lookup(telnet).entry.name == "site-b"


def test_ports_and_direction():
    spd = site_spd()
    ike_out = ipv4_udp("192.0.2.1", "198.51.100.7", 500, 500, b"x")
    assert spd.lookup(ike_out).entry.name == "ike"
    wrong_port = ipv4_udp("192.0.2.1", "198.51.100.7", 500, 501, b"x")
    d = spd.lookup(wrong_port)
    assert d.entry is None and d.action is Action.DISCARD
    assert "remote port 501 not in 500" in d.steps[0].reason
    assert "no entry matched" in d.why
    with pytest.raises(PolicyError, match="no SPD entry matched"):
        d.require_protect_or_bypass()
    # inbound: the packet's destination is the local side
    inbound = icmp_echo("10.2.3.4", "10.1.0.5")
    assert spd.lookup(inbound, "inbound").entry.name == "site-b"
    d_out = spd.lookup(inbound, "outbound")
    assert d_out.entry is None
    assert "local address 10.2.3.4 not in 10.1.0.0/16" in d_out.steps[3].reason


def test_direction_only_entries_and_port_ranges():
    spd = SPD([entry("in-web", "BYPASS", direction="inbound", protocol="TCP", local_ports="80-443"),
               entry("rest", "DISCARD")])
    web = Selector("203.0.113.9", "10.1.0.5", PROTO_TCP, 51000, 443)
    assert spd.lookup(web, "inbound").entry.name == "in-web"
    d = spd.lookup(web, "outbound")
    assert d.entry.name == "rest" and "inbound traffic only" in d.steps[0].reason
    other = Selector("203.0.113.9", "10.1.0.5", PROTO_TCP, 51000, 8080)
    assert "local port 8080 not in 80-443" in spd.lookup(other, "inbound").steps[0].reason


def test_icmp_type_and_code_selectors():
    spd = SPD([entry("echo-only", "BYPASS", protocol="ICMP", local_ports=8, remote_ports=0)])
    req = icmp_echo("10.0.0.1", "10.0.0.2")
    assert Selector.from_packet(req) == Selector("10.0.0.1", "10.0.0.2", PROTO_ICMP, 8, 0)
    assert spd.lookup(req).action is Action.BYPASS
    reply = IPv4("10.0.0.2", "10.0.0.1", PROTO_ICMP, ICMP.echo_request(1, 1).echo_reply().build()).build()
    d = spd.lookup(reply)
    assert d.action is Action.DISCARD and "ICMP type 0 not in 8" in d.steps[0].reason


def test_address_ranges_and_single_addresses():
    spd = SPD([entry("range", "BYPASS", remote="10.9.0.10-10.9.0.20"),
               entry("host", "PROTECT", remote="10.9.0.99", sa_name="to-host")])
    assert spd.lookup(Selector("1.1.1.1", "10.9.0.15", PROTO_UDP, 1, 2)).entry.name == "range"
    assert spd.lookup(Selector("1.1.1.1", "10.9.0.21", PROTO_UDP, 1, 2)).action is Action.DISCARD
    assert spd.lookup(Selector("1.1.1.1", "10.9.0.99", PROTO_UDP, 1, 2)).entry.sa_name == "to-host"
    assert spd.rows()[0]["remote"] == "10.9.0.10-10.9.0.20"
    assert spd.rows()[1]["remote"] == "10.9.0.99"


@pytest.mark.parametrize("kwargs,needle", [
    ({"action": "ALLOW"}, "PROTECT, BYPASS or DISCARD"),
    ({"action": "BYPASS", "local": "10.0.0.0/33"}, "local"),
    ({"action": "BYPASS", "local": "10.0.0.1/24"}, "local"),
    ({"action": "BYPASS", "protocol": "GRE"}, "protocol"),
    ({"action": "BYPASS", "local_ports": 80}, "need protocol"),
    ({"action": "BYPASS", "protocol": "UDP", "local_ports": "9-1"}, "low <= high"),
    ({"action": "BYPASS", "direction": "sideways"}, "direction"),
])
def test_bad_entries_raise_config_error(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        entry("x", **kwargs)


def test_duplicate_entry_names_and_unknown_names():
    spd = site_spd()
    with pytest.raises(ConfigError, match="already"):
        spd.add(entry("ike", "BYPASS"))
    with pytest.raises(ConfigError, match="no entry named 'nope'"):
        spd["nope"]


def test_truncated_packet_raises_parse_error():
    with pytest.raises(ParseError):
        Selector.from_packet(b"\x45\x00")
    short_udp = IPv4("10.0.0.1", "10.0.0.2", PROTO_UDP, b"\x01").build()
    with pytest.raises(ParseError, match="ports"):
        Selector.from_packet(short_udp)


# ---- SAD -------------------------------------------------------------------------------------------

def make_sa(spi: int, **kw) -> SecurityAssociation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SecurityAssociation(spi, tunnel_src="192.0.2.1", tunnel_dst="198.51.100.7",
                                   rng=DemoRandom(spi, _warn=False), **kw)


def test_inbound_lookup_by_spi_and_protocol():
    sad = SAD()
    esp_sa = make_sa(0x1000, direction="inbound")
    ah_sa = make_sa(0x1000, protocol="ah", direction="inbound")
    sad.add_inbound(esp_sa, destination="192.0.2.1")
    sad.add_inbound(ah_sa)  # same SPI, other protocol: allowed
    assert sad.inbound(0x1000) is esp_sa
    assert sad.inbound(0x1000, protocol="ah") is ah_sa
    assert sad.inbound(0x1000, destination="192.0.2.1") is esp_sa
    with pytest.raises(PolicyError, match="belongs to destination 192.0.2.1"):
        sad.inbound(0x1000, destination="192.0.2.99")
    with pytest.raises(PolicyError, match="unknown SPI 0xdeadbeef") as exc:
        sad.inbound(0xDEADBEEF)
    assert "0x00001000" in str(exc.value)


def test_duplicate_spi_is_refused():
    sad = SAD()
    sad.add_inbound(make_sa(0xABCD, direction="inbound"))
    with pytest.raises(ConfigError, match="duplicate SPI 0x0000abcd"):
        sad.add_inbound(make_sa(0xABCD, direction="inbound", encryption="aes256gcm16"))
    assert sad.remove_inbound(0xABCD).spi == 0xABCD
    with pytest.raises(PolicyError, match="0x0000abcd"):
        sad.inbound(0xABCD)


def test_outbound_through_the_spd():
    spd, sad = site_spd(), SAD()
    pkt = icmp_echo("10.1.0.5", "10.2.3.4")
    decision = spd.lookup(pkt)
    with pytest.raises(PolicyError, match="IKE must negotiate"):
        sad.outbound(decision)
    sa = make_sa(0x2222)
    sad.add_outbound(sa, spd["site-b"])
    assert sad.outbound(decision) is sa
    assert sad.outbound("site-b") is sa
    newer = make_sa(0x3333)
    sad.add_outbound(newer, "site-b")  # a rekey replaces it
    assert sad.outbound(decision) is newer
    bypass = spd.lookup(ipv4_udp("10.1.0.5", "8.8.8.8", 5353, 53, b"q"))
    assert bypass.action is Action.BYPASS
    with pytest.raises(PolicyError, match="BYPASS"):
        sad.outbound(bypass)
    rows = sad.rows()
    assert rows == [{"direction": "outbound", "spi": "0x00003333", "protocol": "ESP",
                     "destination": "198.51.100.7", "spd entry": "site-b",
                     "encryption": "aes128gcm16", "integrity": ""}]


def test_sad_accepts_any_object_with_spi_and_protocol():
    class Minimal:
        spi = 0x5000
        protocol = "ESP"

    sad = SAD()
    sad.add_inbound(Minimal())
    assert isinstance(sad.inbound(0x5000), Minimal)
    with pytest.raises(ConfigError, match="SPI"):
        sad.add_inbound(object())


def test_inbound_for_packet_reads_the_spi_from_esp_natt_and_ah():
    from vpnlearn.ipsec import ah, esp
    from vpnlearn.ipsec.natt import UdpEncap, wrap_ike

    sad = SAD()
    out_plain, out_natt = make_sa(0x7001), make_sa(0x7002, udp_encap=UdpEncap())
    out_ah = make_sa(0x7003, protocol="ah")
    for out in (out_plain, out_natt, out_ah):
        sad.add_inbound(out.peer(), destination="198.51.100.7")
    inner = icmp_echo("10.1.0.5", "10.2.0.9")
    for out in (out_plain, out_natt):
        wire = esp.protect(out, inner, now=0.0)
        sa_in = sad.inbound_for_packet(wire)
        assert sa_in.spi == out.spi
        assert esp.unprotect(sa_in, wire, now=0.0) == inner.build()
    ah_wire = ah.protect(out_ah, inner, now=0.0)
    assert sad.inbound_for_packet(ah_wire).spi == 0x7003
    ike = ipv4_udp("192.0.2.1", "198.51.100.7", 4500, 4500, wrap_ike(bytes(28))).build()
    with pytest.raises(PolicyError, match="carries ike"):
        sad.inbound_for_packet(ike)
    unknown = make_sa(0x7FFF)
    with pytest.raises(PolicyError, match="unknown SPI 0x00007fff"):
        sad.inbound_for_packet(esp.protect(unknown, inner, now=0.0))
    with pytest.raises(PolicyError, match="protocol 1"):
        sad.inbound_for_packet(inner.build())

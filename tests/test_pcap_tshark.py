"""tshark (Wireshark 4.0) decrypts what the library sends, using the key tables vpnlearn.pcap writes.

One pcap holds, for every ESP suite Wireshark 4.0 can decrypt (AES-CBC with each HMAC, AES-GCM
with 8/12/16-octet ICVs), one good packet and one with a single byte flipped, in tunnel mode,
plain and UDP-encapsulated (port 4500). tshark must show the inner ICMP/UDP, the right SPI and
``esp.icv_good`` for the good packet, ``esp.icv_bad`` for the flipped one. A real in-process IKEv2
exchange (vpnlearn.ike) checks the ikev2_decryption_table the same way.

tshark runs once per table set (a few seconds in all). Skipped only if tshark is not installed.
"""

from __future__ import annotations

import warnings

import pytest

from vpnlearn import pcap
from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.natt import UdpEncap
from vpnlearn.ipsec.packets import icmp_echo, ipv4_udp
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

pytestmark = pytest.mark.skipif(not pcap.tshark_available(), reason="tshark is not installed")

OUTER_A, OUTER_B = "192.0.2.1", "198.51.100.7"


def wireshark_esp_suites() -> list[tuple[str, str | None]]:
    """Every (encryption, integrity) pair from the suite table that Wireshark 4.0 can decrypt."""
    out: list[tuple[str, str | None]] = []
    for e in suites.ENCRYPTION:
        if e.wireshark_esp is None:
            continue
        if e.aead:
            out.append((e.name, None))
        else:
            out += [(e.name, i.name) for i in suites.INTEGRITY if i.wireshark_esp]
    return out


SUITES = wireshark_esp_suites()
CASES = [(enc, integ, natt) for enc, integ in SUITES for natt in (False, True)]


def case_id(enc: str, integ: str | None, natt: bool) -> str:
    return f"{enc}{'-' + integ if integ else ''}{'-natt' if natt else ''}"


def make_sa(index: int, enc: str, integ: str | None, natt: bool) -> SecurityAssociation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # weak suites (SHA-1, short GCM ICVs) warn: tested on purpose
        return SecurityAssociation(0x10000 + index, encryption=enc, integrity=integ, tunnel_src=OUTER_A,
                                   tunnel_dst=OUTER_B, udp_encap=UdpEncap() if natt else None,
                                   rng=DemoRandom(f"tshark-{index}", _warn=False))


@pytest.fixture(scope="module")
def esp_capture(tmp_path_factory):
    """One pcap with a good and a tampered packet per case, decoded by one tshark run."""
    packets: list[bytes] = []
    sas = []
    for i, (enc, integ, natt) in enumerate(CASES):
        sa = make_sa(i, enc, integ, natt)
        sas.append(sa)
        rng = DemoRandom(f"iv-{i}", _warn=False)
        inner = (icmp_echo("10.1.0.5", "10.2.0.9", identifier=i, sequence=1, payload=b"ping through ESP")
                 if i % 2 == 0 else ipv4_udp("10.1.0.5", "10.2.0.9", 40000 + i, 33000, b"udp through ESP"))
        good = esp.protect_packet(sa, inner, now=0.0, rng=rng).data
        bad = bytearray(esp.protect_packet(sa, inner, now=0.0, rng=rng).data)
        bad[-1] ^= 0x01  # last byte of the ICV
        packets += [good, bytes(bad)]
    path = pcap.write_pcap(tmp_path_factory.mktemp("tshark") / "esp.pcap", packets)
    fields = ["frame.number", "esp.spi", "esp.sequence", "udp.dstport", "ip.src", "ip.dst", "icmp.type",
              "udp.srcport", "esp.icv_good", "esp.icv_bad"]
    rows = pcap.run_tshark(path, fields, esp=sas)
    assert len(rows) == 2 * len(CASES)
    return {case: (rows[2 * i], rows[2 * i + 1], sas[i]) for i, case in enumerate(CASES)}


def test_every_wireshark_suite_is_covered():
    names = {case_id(*c) for c in CASES}
    assert "aes128gcm16" in names and "aes256-sha512-natt" in names and "aes128-sha1" in names
    assert len(SUITES) == 2 * 4 + 6   # AES-CBC 128/256 x 4 HMACs, AES-GCM 128/256 x ICV 8/12/16


@pytest.mark.parametrize("enc,integ,natt", CASES, ids=[case_id(*c) for c in CASES])
def test_tshark_decrypts_and_checks_icv(esp_capture, enc, integ, natt):
    good, bad, sa = esp_capture[(enc, integ, natt)]
    index = CASES.index((enc, integ, natt))
    assert good["esp.spi"] == f"0x{sa.spi:08x}"
    # outer and inner IPv4 headers both decoded: the payload was decrypted
    assert good["ip.src"] == f"{OUTER_A},10.1.0.5" and good["ip.dst"] == f"{OUTER_B},10.2.0.9"
    if index % 2 == 0:
        assert good["icmp.type"] == "8"
    else:
        assert str(40000 + index) in good["udp.srcport"].split(",")
    if natt:
        assert good["udp.dstport"].split(",")[0] == "4500"
    else:
        assert good["udp.dstport"] in ("", "33000")
    assert (good["esp.icv_good"], good["esp.icv_bad"]) == ("1", "0"), good
    assert (bad["esp.icv_good"], bad["esp.icv_bad"]) == ("0", "1"), bad


def test_wrong_key_is_not_good(tmp_path):
    sa = make_sa(99, "aes128", "sha256", False)
    pkt = esp.protect_packet(sa, icmp_echo("10.1.0.5", "10.2.0.9"), now=0.0,
                             rng=DemoRandom("x", _warn=False)).data
    path = pcap.write_pcap(tmp_path / "w.pcap", [pkt])
    wrong = pcap.EspSaKey(OUTER_A, OUTER_B, sa.spi, sa.encryption, sa.enc_key, sa.integrity,
                          bytes(len(sa.integ_key)))
    rows = pcap.run_tshark(path, ["esp.icv_good", "esp.icv_bad"], esp=[wrong])
    assert rows == [{"esp.icv_good": "0", "esp.icv_bad": "1"}]


def test_bad_table_is_reported_not_ignored(tmp_path):
    path = pcap.write_pcap(tmp_path / "b.pcap", [icmp_echo("10.0.0.1", "10.0.0.2")])

    class Broken(pcap.EspSaKey):
        def uat_line(self) -> str:
            return '"IPv4","*","*","0x00001000","AES-CBC-WRONG","0x00","NULL",""'

    sa = make_sa(98, "aes128", "sha256", False)
    broken = Broken(OUTER_A, OUTER_B, sa.spi, sa.encryption, sa.enc_key, sa.integrity, sa.integ_key)
    with pytest.raises(pcap.TsharkError, match="AES-CBC-WRONG"):
        pcap.run_tshark(path, ["frame.number"], esp=[broken])


# ---- IKEv2: a real in-process exchange, decrypted with our ikev2_decryption_table ------------------

IKE_SUITES = ["aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"]


def _ike_exchange(proposal: str):
    from vpnlearn.ike import Identity, IkeConfig, Initiator, Responder, TrafficSelector

    def config(me: str, peer: str, mine: str, theirs: str) -> IkeConfig:
        return IkeConfig(local_id=Identity.fqdn(me), remote_id=Identity.fqdn(peer),
                         psk=b"tshark test psk", ike_proposals=(proposal,), esp_proposals=("aes128gcm16",),
                         local_ts=(TrafficSelector.subnet(mine),),
                         remote_ts=(TrafficSelector.subnet(theirs),))

    a, b = (OUTER_A, 500), (OUTER_B, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ini = Initiator(config("left.example", "right.example", "10.1.0.0/24", "10.2.0.0/24"),
                        rng=DemoRandom("ike-i", _warn=False))
        resp = Responder(config("right.example", "left.example", "10.2.0.0/24", "10.1.0.0/24"),
                         rng=DemoRandom("ike-r", _warn=False))
    wire: list[bytes] = []
    queue = [(True, m) for m in ini.start(0.0, local=a, remote=b).send]
    while queue:
        to_resp, msg = queue.pop(0)
        src, dst = (a, b) if to_resp else (b, a)
        wire.append(ipv4_udp(src[0], dst[0], src[1], dst[1], msg).build())
        out = (resp.receive(msg, 0.0, local=b, remote=a) if to_resp
               else ini.receive(msg, 0.0, local=a, remote=b))
        queue += [(not to_resp, m) for m in out.send]
    return ini, wire


@pytest.mark.parametrize("proposal", IKE_SUITES)
def test_tshark_decrypts_ikev2_sk_payloads(tmp_path, proposal):
    ini, wire = _ike_exchange(proposal)
    ike_sa = ini.ike_sa
    assert ike_sa is not None, "IKE SA not established"
    keys = ike_sa.keys
    enc = suites.encryption(ike_sa.chosen.encr.name)
    integ = suites.integrity(ike_sa.chosen.integ.name) if ike_sa.chosen.integ is not None else None
    entry = pcap.IkeSaKey(ike_sa.spi_i, ike_sa.spi_r, enc, keys.SK_ei, keys.SK_er, integ,
                          keys.SK_ai or b"", keys.SK_ar or b"")
    path = pcap.write_pcap(tmp_path / "ike.pcap", wire)
    rows = pcap.run_tshark(path, ["isakmp.exchangetype", "isakmp.id.data.fqdn", "isakmp.auth.method"],
                           ike=[entry])
    auth = [r for r in rows if r["isakmp.exchangetype"] == "35"]  # IKE_AUTH
    assert len(auth) == 2, rows
    # The identities are inside the encrypted SK payload: seeing them means tshark decrypted it.
    assert {r["isakmp.id.data.fqdn"] for r in auth} == {"left.example", "right.example"}
    assert {r["isakmp.auth.method"] for r in auth} == {"2"}  # Shared Key Message Integrity Code


def test_every_ikev2_table_name_and_key_length_is_accepted(tmp_path):
    """tshark rejects unknown algorithm names and wrong key lengths in the table: none may be rejected."""
    entries = []
    n = 0
    for enc in suites.ENCRYPTION:
        if enc.wireshark_ikev2 is None:
            continue
        for integ in ([None] if enc.aead else [i for i in suites.INTEGRITY if i.wireshark_ikev2]):
            n += 1
            ik = integ.key_bytes if integ else 0
            entries.append(pcap.IkeSaKey(n.to_bytes(8, "big"), (n + 1000).to_bytes(8, "big"), enc,
                                         bytes([n]) * enc.keymat_bytes, bytes([n + 1]) * enc.keymat_bytes,
                                         integ, bytes([2]) * ik, bytes([3]) * ik))
    assert len(entries) == 2 * 4 + 6
    path = pcap.write_pcap(tmp_path / "one.pcap", [icmp_echo("10.0.0.1", "10.0.0.2")])
    assert pcap.run_tshark(path, ["frame.number"], ike=entries) == [{"frame.number": "1"}]
    with pytest.raises(ConfigError, match="SK_ei for aes256 is 32 bytes"):
        pcap.IkeSaKey(bytes(8), bytes(8), suites.encryption("aes256"), bytes(16), bytes(16)).uat_line()

    class Unchecked(pcap.IkeSaKey):  # what tshark itself says about a 16-byte AES-256 key
        def uat_line(self) -> str:
            return ",".join([self.spi_i.hex(), self.spi_r.hex(), "00" * 16, "00" * 16,
                             '"AES-CBC-256 [RFC3602]"', "", "", '"NONE [RFC4306]"'])

    with pytest.raises(pcap.TsharkError):
        pcap.run_tshark(path, ["frame.number"],
                        ike=[Unchecked(bytes(8), bytes(8), suites.encryption("aes256"), b"", b"")])


@pytest.mark.parametrize("enc,integ", [("aes128gcm16", None), ("aes256", "sha256")])
def test_transport_mode_with_wildcard_addresses(tmp_path, enc, integ):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = SecurityAssociation(0x4242, encryption=enc, integrity=integ, mode="transport",
                                 rng=DemoRandom("transport", _warn=False))
    inner = icmp_echo("192.0.2.10", "192.0.2.20", payload=b"transport mode")
    pkts = [esp.protect_packet(sa, inner, now=0.0, rng=DemoRandom("t-iv", _warn=False)).data]
    key = pcap.esp_sa_key(sa)
    assert (key.src, key.dst) == ("*", "*")  # no tunnel endpoints: the table row matches any address
    rows = pcap.run_tshark(pcap.write_pcap(tmp_path / "t.pcap", pkts),
                           ["ip.src", "esp.spi", "icmp.type", "esp.icv_good"], esp=[key])
    assert rows == [{"ip.src": "192.0.2.10", "esp.spi": "0x00004242", "icmp.type": "8", "esp.icv_good": "1"}]

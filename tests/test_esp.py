"""ESP behaviour: padding, truncated tags, malformed packets, NAT-T demultiplexing, modes, spans."""

from __future__ import annotations

import struct
import warnings

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vpnlearn.errors import AuthenticationError, ConfigError, ParseError, ReplayError
from vpnlearn.ipsec import esp, natt
from vpnlearn.ipsec.packets import PROTO_ESP, PROTO_NONE, PROTO_UDP, UDP, IPv4, icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    RNG = DemoRandom("esp-tests")

T = {"tunnel_src": "203.0.113.9", "tunnel_dst": "198.51.100.1"}


def pair(**kw: object) -> tuple[SecurityAssociation, SecurityAssociation]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = SecurityAssociation(0x7000, rng=RNG, **{**T, **kw})  # type: ignore[arg-type]
    return sa, sa.peer()


def decrypt_raw(sa: SecurityAssociation, data: bytes) -> bytes:
    """Decrypt with cryptography directly (no vpnlearn checks) to look at the padding."""
    assert sa.encryption is not None
    if sa.encryption.aead:
        key, salt = sa.enc_key[:-4], sa.enc_key[-4:]
        return AESGCM(key).decrypt(salt + data[8:16], data[16:], data[:8])
    icv = sa.integrity.icv_bytes if sa.integrity else 0
    dec = Cipher(algorithms.AES(sa.enc_key), modes.CBC(data[8:24])).decryptor()
    return dec.update(data[24:len(data) - icv]) + dec.finalize()


@pytest.mark.parametrize(("enc", "integ", "align"), [("aes128gcm16", None, 4), ("aes128", "sha256", 16)])
def test_padding_is_1_2_3_and_aligned(enc: str, integ: str | None, align: int) -> None:
    sa, peer = pair(encryption=enc, integrity=integ)
    for n in range(0, 40):
        pkt = esp.seal(sa, bytes([0xEE]) * n, 4)
        pt = decrypt_raw(sa, pkt.data)
        assert len(pt) % align == 0
        pad = pt[-2]
        assert pad == (-(n + 2)) % align == pkt.pad_length
        assert pt[n:n + pad] == bytes(range(1, pad + 1))
        assert pt[-1] == 4
        assert esp.open(peer, pkt.data).payload == bytes([0xEE]) * n


def test_extra_padding_hides_length() -> None:
    sa, peer = pair()
    pkt = esp.seal(sa, b"abc", 17, extra_padding=8)
    assert pkt.pad_length == 3 + 8              # 3 + 2 trailer bytes -> 3 to reach 8, then 8 more
    assert esp.open(peer, pkt.data).payload == b"abc"
    with pytest.raises(ConfigError, match="multiple of 4"):
        esp.seal(sa, b"abc", 17, extra_padding=3)


def forged_gcm(sa: SecurityAssociation, plaintext: bytes, seq: int = 1) -> bytes:
    """A correctly authenticated GCM packet with whatever trailer we like (a buggy sender)."""
    header = struct.pack("!II", sa.spi, seq)
    iv = seq.to_bytes(8, "big")
    key, salt = sa.enc_key[:-4], sa.enc_key[-4:]
    return header + iv + AESGCM(key).encrypt(salt + iv, plaintext, header)


def test_wrong_padding_bytes_are_reported() -> None:
    sa, peer = pair()
    data = forged_gcm(sa, b"hello!!!" + b"\x01\x07\x02" + b"\x04")   # padding 1, 7 (should be 1, 2)
    with pytest.raises(ParseError, match="padding byte 2 of 2") as info:
        esp.open(peer, data)
    assert info.value.field == "Padding" and info.value.offset == 16 + 8 + 1
    assert peer.replay.top == 0


def test_pad_length_too_big_is_reported() -> None:
    sa, peer = pair()
    data = forged_gcm(sa, b"ab" + b"\x09\x04")
    with pytest.raises(ParseError, match="Pad Length 9") as info:
        esp.open(peer, data)
    assert info.value.field == "Pad Length" and info.value.offset == 16 + 2


@pytest.mark.parametrize("enc", ["aes128gcm8", "aes256gcm12"])
def test_truncated_gcm_icv_is_the_leftmost_bytes_of_the_full_tag(enc: str) -> None:
    sa, peer = pair(encryption=enc)
    pkt = esp.seal(sa, b"x" * 20, 4)
    assert sa.encryption is not None
    icv_len = sa.encryption.icv_bytes
    key, salt = sa.enc_key[:-4], sa.enc_key[-4:]
    full = AESGCM(key).encrypt(salt + pkt.iv, decrypt_plain(pkt), pkt.data[:8])
    assert pkt.icv == full[-16:][:icv_len]
    assert esp.open(peer, pkt.data).payload == b"x" * 20
    bad = bytearray(esp.seal(sa, b"y" * 20, 4).data)
    bad[-1] ^= 0x80
    with pytest.raises(AuthenticationError):
        esp.open(peer, bytes(bad))


def decrypt_plain(pkt: esp.ESPPacket) -> bytes:
    return pkt.payload + bytes(range(1, pkt.pad_length + 1)) + bytes([pkt.pad_length, pkt.next_header])


@pytest.mark.parametrize(("enc", "integ"), [("aes128gcm16", None), ("aes128", "sha256")])
def test_short_packets_name_the_missing_field(enc: str, integ: str | None) -> None:
    sa, peer = pair(encryption=enc, integrity=integ)
    good = esp.seal(sa, b"", 59).data
    fields = set()
    for n in range(len(good)):
        with pytest.raises(ParseError) as info:
            esp.open(peer, good[:n], offset=20)
        assert info.value.offset is not None and info.value.offset >= 20
        fields.add(info.value.field)
    assert {"SPI", "Sequence Number", "IV"} <= fields
    assert esp.open(peer, good).next_header == 59


def test_cbc_ciphertext_must_be_whole_blocks() -> None:
    sa, peer = pair(encryption="aes128", integrity="sha256")
    good = esp.seal(sa, b"abcdef", 1).data
    bad = good[:24] + good[24:-16][:-4] + good[-16:]           # 12 bytes of ciphertext
    with pytest.raises(ParseError, match="multiple of 16") as info:
        esp.open(peer, bad)
    assert info.value.field == "Payload Data" and info.value.offset == 24


def test_spi_of_another_sa() -> None:
    sa, _ = pair()
    other = SecurityAssociation(0x7001, direction="inbound", **T)
    with pytest.raises(ParseError, match="does not belong") as info:
        esp.open(other, esp.seal(sa, b"x", 4).data, offset=28)
    assert info.value.field == "SPI" and info.value.offset == 28


def test_direction_and_protocol_misuse() -> None:
    sa, peer = pair()
    pkt = icmp_echo("10.0.0.1", "10.0.0.2")
    with pytest.raises(ConfigError, match="inbound"):
        esp.protect(peer, pkt)
    with pytest.raises(ConfigError, match="outbound"):
        esp.unprotect(sa, esp.protect(sa, pkt))
    with pytest.raises(ConfigError, match="seal with the outbound"):
        esp.seal(peer, b"", 4)
    with pytest.raises(ConfigError, match="open with the inbound"):
        esp.open(sa, esp.seal(sa, b"", 4).data)
    ah_sa = SecurityAssociation(0x7002, protocol="ah", **T)
    with pytest.raises(ConfigError, match="not ESP"):
        esp.seal(ah_sa, b"", 4)


def test_tunnel_mode_outer_header() -> None:
    sa, peer = pair()
    inner = IPv4("10.1.1.1", "10.2.2.2", 1, b"\x08\x00" + bytes(30), dscp=46, ecn=1, ttl=9)
    pp = esp.protect_packet(sa, inner)
    outer = IPv4.parse(pp.data)
    assert (outer.src, outer.dst, outer.protocol) == (T["tunnel_src"], T["tunnel_dst"], PROTO_ESP)
    assert (outer.dscp, outer.ecn) == (46, 1)          # copied from the inner header (RFC 4301 §5.1.2.1)
    back = esp.unprotect_packet(peer, pp.data)
    assert back.inner == inner and back.esp.next_header == 4


def test_transport_mode_keeps_the_header() -> None:
    sa, peer = pair(mode="transport")
    inner = IPv4("10.1.1.1", "10.2.2.2", 17, UDP(1000, 53, b"q").build("10.1.1.1", "10.2.2.2"),
                 ttl=33, identification=77)
    wire = esp.protect(sa, inner)
    outer = IPv4.parse(wire)
    assert (outer.src, outer.dst, outer.protocol, outer.ttl, outer.identification) == \
        ("10.1.1.1", "10.2.2.2", PROTO_ESP, 33, 77)
    assert esp.unprotect(peer, wire) == inner.build()


def test_udp_encapsulation_and_demultiplexing() -> None:
    sa, peer = pair(udp_encap=natt.UdpEncap(4500, 4500))
    pp = esp.protect_packet(sa, icmp_echo("10.0.0.1", "10.0.0.2"))
    outer = IPv4.parse(pp.data)
    assert outer.protocol == PROTO_UDP
    udp = UDP.parse(outer.payload)
    assert (udp.src_port, udp.dst_port) == (4500, 4500)
    assert outer.payload[6:8] == b"\x00\x00"           # checksum zero (RFC 3948 §2.1)
    assert natt.classify(udp.payload) == "esp"
    assert pp.esp_offset == 28
    assert esp.unprotect(peer, pp.data) == icmp_echo("10.0.0.1", "10.0.0.2").build()

    ike = IPv4("203.0.113.9", "198.51.100.1", PROTO_UDP,
               UDP(4500, 4500, natt.wrap_ike(b"IKE message bytes")).build())
    with pytest.raises(ParseError, match="IKE message"):
        esp.unprotect(peer, ike.build())
    assert natt.unwrap_ike(UDP.parse(ike.payload).payload) == b"IKE message bytes"
    with pytest.raises(ParseError, match="keepalive"):
        esp.unprotect(peer, natt.keepalive("203.0.113.9", "198.51.100.1"))
    with pytest.raises(ParseError, match="not IKE"):
        natt.unwrap_ike(natt.NAT_KEEPALIVE)
    with pytest.raises(ParseError, match="truncated"):
        natt.classify(b"\x00\x01")


def test_keepalive_packet_bytes() -> None:
    ka = natt.keepalive("192.0.2.1", "192.0.2.2")
    ip = IPv4.parse(ka)
    udp = UDP.parse(ip.payload, ip.src, ip.dst)
    assert udp.payload == b"\xff" and udp.dst_port == 4500
    assert natt.classify(udp.payload) == "keepalive"
    assert [s.label for s in natt.spans(udp.payload)] == ["NAT-Keepalive"]


def test_dummy_packet_is_discarded() -> None:
    sa, peer = pair()
    pkt = esp.seal(sa, b"", PROTO_NONE)
    outer = IPv4(T["tunnel_src"], T["tunnel_dst"], PROTO_ESP, pkt.data).build()
    res = esp.unprotect_packet(peer, outer)
    assert res.inner is None and res.inner_bytes == b""


def test_transport_mode_refuses_protocol_59() -> None:
    sa, _ = pair(mode="transport")
    with pytest.raises(ConfigError, match="dummy packet"):
        esp.protect(sa, IPv4("10.0.0.1", "10.0.0.2", PROTO_NONE, b""))


def test_other_protocols_are_refused() -> None:
    _, peer = pair()
    with pytest.raises(ParseError, match="not ESP") as info:
        esp.unprotect(peer, icmp_echo("1.1.1.1", "2.2.2.2").build())
    assert info.value.field == "Protocol" and info.value.offset == 9


@pytest.mark.parametrize("kw", [{}, {"encryption": "aes128", "integrity": "sha256"},
                                {"udp_encap": natt.UdpEncap()}, {"mode": "transport"}])
def test_spans_cover_every_byte_once(kw: dict) -> None:
    sa, peer = pair(**kw)
    pp = esp.protect_packet(sa, icmp_echo("10.0.0.1", "10.0.0.2", payload=b"span me"))
    spans = pp.spans()
    byte_spans = [s for s in spans if s.label not in ("IHL", "ECN", "Flags")]   # share a byte
    covered = sorted((s.start, s.end) for s in byte_spans)
    pos = 0
    for start, end in covered:
        assert start == pos, f"gap or overlap at {pos}: {covered}"
        pos = end
    assert pos == len(pp.data)
    by_label = {s.label: s for s in spans}
    assert by_label["Payload Data"].encrypted and by_label["Payload Data"].authenticated
    assert by_label["SPI"].authenticated and not by_label["SPI"].encrypted
    assert not by_label["ICV"].authenticated and not by_label["ICV"].encrypted
    assert by_label["Next Header"].encrypted and by_label["Next Header"].value == pp.esp.next_header
    assert not by_label["Source Address"].authenticated        # ESP does not cover the outer header
    opened = esp.unprotect_packet(peer, pp.data)
    assert [(s.start, s.end, s.label) for s in opened.spans()] == [(s.start, s.end, s.label) for s in spans]


def test_authentication_error_does_not_count_or_move() -> None:
    sa, peer = pair()
    good = esp.seal(sa, b"top secret payload", 4).data
    bad = good[:-1] + bytes([good[-1] ^ 1])
    with pytest.raises(AuthenticationError) as info:
        esp.open(peer, bad)
    assert "top secret" not in str(info.value)
    assert peer.counters.auth_failures == 1 and peer.counters.packets == 0 and peer.replay.top == 0
    esp.open(peer, good)
    assert peer.counters.packets == 1 and peer.replay.top == 1


def test_replayed_packet_error_names_field_and_offset() -> None:
    sa, peer = pair(udp_encap=natt.UdpEncap())
    wire = esp.protect(sa, icmp_echo("10.0.0.1", "10.0.0.2"))
    esp.unprotect(peer, wire)
    with pytest.raises(ReplayError, match=r"Sequence Number: 1 was already received .*byte offset 32"):
        esp.unprotect(peer, wire)
    assert peer.counters.replay_drops == 1


def test_tunnel_outer_identification_changes_per_packet() -> None:
    sa, _ = pair()
    ids = {IPv4.parse(esp.protect(sa, icmp_echo("10.0.0.1", "10.0.0.2"))).identification for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("integ", ["sha256", "sha384", "sha512", "sha1"])
@pytest.mark.parametrize("esn", [False, True])
def test_cbc_icv_matches_the_crypto_modules_integrity_icv(integ: str, esn: bool) -> None:
    """RFC 4303 §2.8 / §3.3.2.1: ICV over SPI .. Next Header (ciphertext), plus seq high bits with ESN."""
    from vpnlearn.crypto.prf import integrity_icv
    sa, _ = pair(encryption="aes256", integrity=integ, esn=esn)
    sa.seq = (7 << 32) + 1 if esn else 1
    pkt = esp.seal(sa, b"payload", 4)
    assert sa.integrity is not None
    covered = pkt.data[:len(pkt.data) - pkt.icv_len] + (struct.pack("!I", pkt.seq >> 32) if esn else b"")
    assert pkt.icv == integrity_icv(sa.integrity, sa.integ_key, covered)
    assert len(pkt.icv) == sa.integrity.icv_bytes


def test_esn_packet_from_below_the_window_fails_authentication() -> None:
    """RFC 4303 A2.2: a low number below the window is read as the next 2^32 subspace; the ICV,
    computed with the sender's real high bits, then cannot verify."""
    sa, peer = pair(esn=True)
    sa.seq = (1 << 32) + 100                      # sender in subspace 1
    old = esp.seal(sa, b"x", 4, seq=(1 << 32) + 5).data
    peer.replay.update((1 << 32) + 5000)         # receiver far ahead: +5 is left of its window
    with pytest.raises(AuthenticationError):
        esp.open(peer, old)

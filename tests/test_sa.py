"""SecurityAssociation: SPI rules, suites, key lengths, defaults, warnings, sequence numbers, lifetimes."""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.errors import ConfigError, LifetimeExpired
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.natt import UdpEncap
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import Lifetime, SecurityAssociation, WeakAlgorithmWarning
from vpnlearn.rand import DemoRandom

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    RNG = DemoRandom("sa-tests")

T = {"tunnel_src": "192.0.2.1", "tunnel_dst": "192.0.2.2"}


@pytest.mark.parametrize("spi", [0, 1, 100, 255])
def test_reserved_spis_are_refused(spi: int) -> None:
    with pytest.raises(ConfigError, match=f"SPI {spi}"):
        SecurityAssociation(spi, **T)


@pytest.mark.parametrize("spi", [-1, 1 << 32, "256", 3.0, True])
def test_spi_must_be_32_bit_int(spi: object) -> None:
    with pytest.raises(ConfigError, match="SPI"):
        SecurityAssociation(spi, **T)  # type: ignore[arg-type]


def test_default_is_aes_gcm_128_with_random_keys_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = SecurityAssociation(256, **T)
        b = SecurityAssociation(256, **T)
    assert a.encryption is not None and a.encryption.name == "aes128gcm16"
    assert a.integrity is None
    assert len(a.enc_key) == 20            # 16-byte key + 4-byte salt (RFC 4106 §8.1)
    assert a.enc_key != b.enc_key          # fresh randomness each time


def test_demo_random_keys_are_deterministic() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k1 = SecurityAssociation(300, rng=DemoRandom(7), **T).enc_key
        k2 = SecurityAssociation(300, rng=DemoRandom(7), **T).enc_key
    assert k1 == k2


@pytest.mark.parametrize(("enc", "integ", "enc_len", "integ_len"), [
    ("aes128gcm16", None, 20, 0), ("aes256gcm16", None, 36, 0), ("chacha20poly1305", None, 36, 0),
    ("aes128", "sha256", 16, 32), ("aes256", "sha512", 32, 64), ("AES256", "SHA2-384", 32, 48),
])
def test_key_lengths(enc: str, integ: str | None, enc_len: int, integ_len: int) -> None:
    sa = SecurityAssociation(0x1000, encryption=enc, integrity=integ, rng=RNG, **T)
    assert (len(sa.enc_key), len(sa.integ_key)) == (enc_len, integ_len)
    with pytest.raises(ConfigError, match=f"must be {enc_len} bytes"):
        SecurityAssociation(0x1000, encryption=enc, integrity=integ, enc_key=bytes(enc_len - 1), **T)
    if integ:
        with pytest.raises(ConfigError, match=f"must be {integ_len} bytes"):
            SecurityAssociation(0x1000, encryption=enc, integrity=integ, integ_key=bytes(integ_len + 1), **T)


def test_gcm_key_length_error_mentions_the_salt() -> None:
    with pytest.raises(ConfigError, match="salt"):
        SecurityAssociation(0x1000, enc_key=bytes(16), **T)


def test_unknown_suite_and_bad_combinations() -> None:
    with pytest.raises(ConfigError, match="unknown encryption"):
        SecurityAssociation(0x1000, encryption="rot13", **T)
    with pytest.raises(ConfigError, match="unknown integrity"):
        SecurityAssociation(0x1000, encryption="aes128", integrity="crc32", **T)
    with pytest.raises(ConfigError, match="AEAD"):
        SecurityAssociation(0x1000, encryption="aes128gcm16", integrity="sha256", **T)
    with pytest.raises(ConfigError, match="needs an integrity"):
        SecurityAssociation(0x1000, encryption="aes128", **T)
    with pytest.raises(ConfigError, match="AH authenticates only"):
        SecurityAssociation(0x1000, protocol="ah", encryption="aes128", **T)
    with pytest.raises(ConfigError, match="NAT-T"):
        SecurityAssociation(0x1000, protocol="ah", udp_encap=UdpEncap(), **T)
    with pytest.raises(ConfigError, match="tunnel_src"):
        SecurityAssociation(0x1000)
    with pytest.raises(ConfigError, match="mode must be one of"):
        SecurityAssociation(0x1000, mode="tunnnel", **T)
    with pytest.raises(ConfigError, match="not an IPv4 address"):
        SecurityAssociation(0x1000, tunnel_src="300.1.1.1", tunnel_dst="1.1.1.1")


@pytest.mark.parametrize(("kw", "match"), [
    ({"encryption": "aes128", "integrity": "sha1"}, "SHA-1"),
    ({"encryption": "aes128gcm8"}, "ICV"),
    ({"encryption": "aes128", "integrity": "none"}, "no integrity"),
    ({"protocol": "ah", "integrity": "sha1"}, "SHA-1"),
])
def test_weak_choices_warn_but_work(kw: dict, match: str) -> None:
    with pytest.warns(WeakAlgorithmWarning, match=match):
        sa = SecurityAssociation(0x1000, rng=RNG, **kw, **T)
    assert sa.peer().spi == 0x1000


def test_sequence_counter_never_cycles() -> None:
    sa = SecurityAssociation(0x1000, rng=RNG, **T)
    sa.seq = (1 << 32) - 2
    assert sa.next_seq() == (1 << 32) - 1
    with pytest.raises(LifetimeExpired, match="must not cycle"):
        sa.next_seq()
    esn = SecurityAssociation(0x1000, esn=True, rng=RNG, **T)
    esn.seq = (1 << 32) - 1
    assert esn.next_seq() == 1 << 32          # ESN: the counter goes on past 32 bits


def test_packet_and_byte_lifetimes_soft_then_hard() -> None:
    lt = Lifetime(soft_packets=3, hard_packets=5, soft_bytes=10_000, hard_bytes=20_000)
    sa = SecurityAssociation(0x1000, lifetime=lt, rng=RNG, **T)
    pkt = icmp_echo("10.0.0.1", "10.0.0.2", payload=bytes(100))
    for _ in range(5):
        esp.protect(sa, pkt)
    kinds = [(e.limit, e.kind) for e in sa.events]
    assert kinds == [("soft", "packets"), ("hard", "packets")]
    assert sa.expired
    with pytest.raises(LifetimeExpired, match="hard lifetime reached: packets 5"):
        esp.protect(sa, pkt)
    assert sa.counters.packets == 5


def test_byte_lifetime() -> None:
    sa = SecurityAssociation(0x1000, lifetime=Lifetime(soft_bytes=250, hard_bytes=300), rng=RNG, **T)
    pkt = icmp_echo("10.0.0.1", "10.0.0.2", payload=bytes(72))       # 100-byte inner packet
    esp.protect(sa, pkt)
    esp.protect(sa, pkt)
    assert not sa.events
    esp.protect(sa, pkt)
    assert [(e.limit, e.kind) for e in sa.events] == [("soft", "bytes"), ("hard", "bytes")]
    with pytest.raises(LifetimeExpired):
        esp.protect(sa, pkt)


def test_time_lifetime_uses_the_given_now_only() -> None:
    sa = SecurityAssociation(0x1000, lifetime=Lifetime.aws_phase2(), created=1000.0, rng=RNG, **T)
    pkt = icmp_echo("10.0.0.1", "10.0.0.2")
    esp.protect(sa, pkt, now=1000.0 + 3000)
    assert sa.events == []
    esp.protect(sa, pkt, now=1000.0 + 3330)
    assert [str(e) for e in sa.events] == [f"SA 0x{0x1000:08x}: soft lifetime reached: seconds 3330 >= 3330 "
                                           "(rekey now)"]
    assert sa.poll(1000.0 + 3400) == []          # each event fires once
    with pytest.raises(LifetimeExpired, match="seconds 3600"):
        esp.protect(sa, pkt, now=1000.0 + 3600)
    inbound = SecurityAssociation(0x1000, direction="inbound", lifetime=Lifetime(hard_seconds=10), **T)
    with pytest.raises(LifetimeExpired):
        esp.open(inbound, b"\x00" * 40, now=11)


def test_lifetime_validation() -> None:
    with pytest.raises(ConfigError, match="after hard"):
        Lifetime(soft_seconds=10, hard_seconds=5)
    with pytest.raises(ConfigError, match="positive"):
        Lifetime(hard_packets=0)


def test_peer_is_the_matching_inbound_sa() -> None:
    sa = SecurityAssociation(0x1234, encryption="aes256", integrity="sha256", esn=True, rng=RNG,
                             replay_window=128, udp_encap=UdpEncap(4500, 31337), **T)
    peer = sa.peer()
    assert (peer.spi, peer.enc_key, peer.integ_key, peer.esn, peer.replay.size, peer.direction.value) == \
        (sa.spi, sa.enc_key, sa.integ_key, True, 128, "inbound")
    assert "0x00001234" in repr(sa) and "aes256-sha256" in repr(sa)

"""IKEv2 message and payload encoding/decoding (RFC 7296 §3) and the SK payload (§3.14)."""

from __future__ import annotations

import ipaddress

import pytest

from vpnlearn.errors import AuthenticationError, ParseError
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.messages import (
    HEADER_LEN,
    IKE_AUTH,
    IKE_HEADER,
    IKE_SA_INIT,
    INFORMATIONAL,
    Message,
    SkKeys,
    decode_message,
    describe,
    encode_message,
    message_spans,
    open_message,
)
from vpnlearn.ike.payloads import (
    AUTH,
    CERT,
    CERTREQ,
    ID,
    KE,
    SA,
    TS,
    Delete,
    Nonce,
    Notify,
    Proposal,
    TrafficSelector,
    Transform,
    UnknownPayload,
    VendorID,
)

SPI_I, SPI_R = bytes.fromhex("0102030405060708"), bytes.fromhex("a1a2a3a4a5a6a7a8")


def _all_payloads() -> list:
    return [
        SA(
            (
                Proposal(
                    1, 1, b"", (Transform(1, 12, 256), Transform(3, 12), Transform(2, 5), Transform(4, 14))
                ),
                Proposal(
                    2,
                    1,
                    b"",
                    (
                        Transform(1, 20, 128),
                        Transform(2, 5),
                        Transform(4, 31),
                        Transform(4, 19, None, ((7, b"xyz"),)),
                    ),
                ),
            )
        ),
        KE(31, bytes(range(32))),
        Nonce(b"N" * 32),
        Notify(16388, b"h" * 20),
        Notify(14),
        Notify(16393, b"", 3, b"\x00\x00\x10\x01"),
        ID(1, bytes([10, 0, 0, 1])),
        ID(2, b"vpn.example", initiator=False),
        ID(3, b"a@b.example"),
        ID(9, bytes.fromhex("3010310e300c06035504030c0572696768")),
        CERT(4, b"\x30\x03\x02\x01\x01"),
        CERTREQ(4, b"\x11" * 40),
        AUTH(2, b"m" * 32),
        AUTH(14, b"\x0cabc"),
        TS((TrafficSelector.subnet("10.0.0.0/24"), TrafficSelector.subnet("10.1.2.3/32", 6, (80, 443)))),
        TS((TrafficSelector.subnet("2001:db8::/64"),), initiator=False),
        Delete(3, (b"\x00\x00\x10\x01", b"\x00\x00\x10\x02")),
        Delete(1),
        VendorID(b"vpnlearn"),
        UnknownPayload(47, b"\x01\x00\x00\x00"),
    ]


def test_every_payload_round_trips() -> None:
    msg = Message(SPI_I, SPI_R, INFORMATIONAL, 7, True, False, _all_payloads())
    raw = encode_message(msg)
    back = decode_message(raw)
    assert back.payloads == msg.payloads
    assert encode_message(back) == raw
    assert (back.spi_i, back.spi_r, back.message_id, back.initiator, back.response) == (
        SPI_I,
        SPI_R,
        7,
        True,
        False,
    )


def test_header_layout_matches_rfc() -> None:
    msg = Message(SPI_I, bytes(8), IKE_SA_INIT, 0, True, False, [Nonce(b"n" * 16)])
    raw = encode_message(msg)
    assert raw[:8] == SPI_I and raw[8:16] == bytes(8)
    assert raw[16] == 40 and raw[17] == 0x20 and raw[18] == 34 and raw[19] == 0x08
    assert raw[20:24] == bytes(4) and int.from_bytes(raw[24:28], "big") == len(raw) == 28 + 4 + 16
    assert IKE_HEADER.size == HEADER_LEN == 28


def test_sa_payload_bytes_match_hand_encoding() -> None:
    # One proposal: ENCR_AES_CBC with Key Length 128, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, group 14.
    sa = SA(
        (Proposal(1, 1, b"", (Transform(1, 12, 128), Transform(2, 5), Transform(3, 12), Transform(4, 14))),)
    )
    expected = bytes.fromhex(
        "0000002c"
        "01010004"  # last proposal, length 44, #1, IKE, SPI size 0, 4 transforms
        "0300000c"
        "0100000c"
        "800e0080"  # ENCR 12 + Key Length 128 (TV attribute 14)
        "03000008"
        "02000005"  # PRF 5
        "03000008"
        "0300000c"  # INTEG 12
        "00000008"
        "0400000e"
    )  # DH 14 (last transform)
    assert sa.body() == expected


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b[:-1], "Length"),
        (lambda b: b[:20], "Message ID"),
        (lambda b: b[:10], "IKE SA Responder's SPI"),
    ],
)
def test_truncation_names_field(mutate, field: str) -> None:
    raw = encode_message(Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [Nonce(b"n" * 16)]))
    with pytest.raises(ParseError) as exc:
        decode_message(mutate(raw))
    assert exc.value.field == field


def test_payload_length_overrun_reports_offset() -> None:
    raw = bytearray(
        encode_message(
            Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [Nonce(b"n" * 16), VendorID(b"v")])
        )
    )
    raw[28 + 2 : 28 + 4] = (200).to_bytes(2, "big")
    with pytest.raises(ParseError) as exc:
        decode_message(bytes(raw))
    assert exc.value.offset == 30 and exc.value.field == "Payload Length"


@pytest.mark.parametrize("n", [15, 257])
def test_nonce_length_limits(n: int) -> None:
    raw = encode_message(Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [Nonce(b"n" * n)]))
    with pytest.raises(ParseError, match="16 to 256"):
        decode_message(raw)


def test_bad_proposal_structure_rejected() -> None:
    good = SA((Proposal(1, 1, b"", (Transform(1, 20, 128),)),)).body()
    bad = bytearray(good)
    bad[7] = 2  # Num Transforms says 2, only one follows
    raw = encode_message(
        Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [UnknownPayload(33, bytes(bad))])
    )
    with pytest.raises(ParseError) as exc:
        decode_message(raw)
    assert exc.value.field == "Num Transforms"


def test_traffic_selector_strict_length() -> None:
    body = bytearray(TS((TrafficSelector.subnet("10.0.0.0/8"),)).body())
    body[6:8] = (20).to_bytes(2, "big")
    raw = encode_message(
        Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [UnknownPayload(44, bytes(body))])
    )
    with pytest.raises(ParseError, match="Selector Length"):
        decode_message(raw)


def test_unknown_payload_keeps_critical_bit() -> None:
    raw = encode_message(
        Message(
            SPI_I,
            SPI_R,
            INFORMATIONAL,
            1,
            True,
            False,
            [UnknownPayload(222, b"abc", critical=True), Nonce(b"n" * 16)],
        )
    )
    msg = decode_message(raw)
    assert msg.unsupported_critical() == UnknownPayload(222, b"abc", critical=True)
    assert msg.first(Nonce) == Nonce(b"n" * 16)


def test_traffic_selector_narrowing() -> None:
    a = TrafficSelector.subnet("10.0.0.0/16")
    b = TrafficSelector.subnet("10.0.5.0/24", 6, (1000, 2000))
    x = a.intersect(b)
    assert x == TrafficSelector(
        ipaddress.ip_address("10.0.5.0"), ipaddress.ip_address("10.0.5.255"), 6, 1000, 2000
    )
    assert a.intersect(TrafficSelector.subnet("192.168.0.0/24")) is None
    assert TrafficSelector.subnet("10.0.0.0/8", 17).intersect(TrafficSelector.subnet("10.0.0.0/8", 6)) is None


SK_SUITES = [
    ("aes128", "sha256"),
    ("aes256", "sha512"),
    ("aes128", "sha1"),
    ("aes256", "sha384"),
    ("aes128gcm16", None),
    ("aes256gcm16", None),
    ("chacha20poly1305", None),
]


def _keys(encr: str, integ: str | None) -> SkKeys:
    e = next(a for a in alg.ENCR_ALGORITHMS if a.name == encr)
    i = next((a for a in alg.INTEG_ALGORITHMS if a.name == integ), None)
    return SkKeys(e, bytes(range(e.key_len)), i, bytes(range(100, 100 + (i.key_len if i else 0))))


def _sk_message() -> Message:
    return Message(
        SPI_I,
        SPI_R,
        IKE_AUTH,
        1,
        True,
        False,
        [
            ID(2, b"left.example"),
            AUTH(2, b"a" * 32),
            TS((TrafficSelector.subnet("10.0.0.0/24"),)),
            TS((TrafficSelector.subnet("10.1.0.0/24"),), initiator=False),
        ],
        encrypted=True,
    )


@pytest.mark.parametrize(("encr", "integ"), SK_SUITES)
def test_sk_round_trip_and_every_bit_flip_rejected(encr: str, integ: str | None) -> None:
    keys = _keys(encr, integ)
    msg = _sk_message()
    raw = encode_message(msg, keys)
    opened = open_message(decode_message(raw), keys)
    assert opened.payloads == msg.payloads
    assert all(p not in raw for p in (b"left.example",))
    sk_start = HEADER_LEN
    for i in range(sk_start, len(raw)):  # SK generic header, IV, ciphertext, ICV
        bad = bytearray(raw)
        bad[i] ^= 0x80
        try:
            open_message(decode_message(bytes(bad)), keys)
        except (AuthenticationError, ParseError):
            continue
        pytest.fail(f"flipping byte {i} was not detected")
    for i in (0, 9, 18, 20):  # header bytes are authenticated too
        bad = bytearray(raw)
        bad[i] ^= 0x01
        with pytest.raises((AuthenticationError, ParseError)):
            open_message(decode_message(bytes(bad)), keys)


def test_sk_wrong_key_rejected() -> None:
    keys = _keys("aes128gcm16", None)
    raw = encode_message(_sk_message(), keys)
    other = SkKeys(keys.encr, bytes(20), None)
    with pytest.raises(AuthenticationError):
        open_message(decode_message(raw), other)


def test_sk_cbc_layout() -> None:
    keys = _keys("aes128", "sha256")
    raw = encode_message(_sk_message(), keys)
    assert raw[16] == 46  # Next Payload = SK
    assert raw[28] == 35  # SK's Next Payload = first inner payload (IDi)
    sk_len = int.from_bytes(raw[30:32], "big")
    assert sk_len == len(raw) - 28
    assert (sk_len - 4 - 16 - 16) % 16 == 0  # IV 16, ICV 16, whole cipher blocks


def test_spans_cover_message() -> None:
    msg = Message(SPI_I, bytes(8), IKE_SA_INIT, 0, True, False, [KE(19, b"k" * 64), Nonce(b"n" * 32)])
    d = decode_message(encode_message(msg))
    spans = message_spans(d)
    covered = set()
    for s in spans:
        covered.update(range(s.start, s.end))
    assert covered == set(range(len(d.raw)))
    assert [s.label for s in spans if s.layer == "KE payload"][-1] == "Key Exchange Data"
    sk = decode_message(encode_message(_sk_message(), _keys("aes128gcm16", None)))
    assert any(s.encrypted for s in message_spans(sk))


def test_describe() -> None:
    keys = _keys("aes128gcm16", None)
    sealed = decode_message(encode_message(_sk_message(), keys))
    assert "still encrypted" in describe(sealed)
    text = describe(open_message(sealed, keys))
    assert "IDi  left.example" in text and "TSi  10.0.0.0/24" in text and "Shared Key" in text
    init = Message(SPI_I, bytes(8), IKE_SA_INIT, 0, True, False, [_all_payloads()[0], KE(31, b"k" * 32)])
    text = describe(decode_message(encode_message(init)))
    assert "SA  proposal 1 IKE: ENCR aes256, INTEG sha256, PRF prfsha256, DH modp2048" in text
    assert "KE  group 31, 32 bytes" in text


def test_payload_names_for_transcript() -> None:
    assert _sk_message().payload_names() == ["HDR", "SK{IDi, AUTH, TSi, TSr}"]


def test_critical_bit_on_known_payload_is_ignored() -> None:
    raw = bytearray(encode_message(Message(SPI_I, SPI_R, INFORMATIONAL, 1, True, False, [Nonce(b"n" * 16)])))
    raw[29] |= 0x80  # §2.5: C is set, but we understand Nonce, so the message is processed
    msg = decode_message(bytes(raw))
    assert msg.first(Nonce) == Nonce(b"n" * 16) and msg.unsupported_critical() is None

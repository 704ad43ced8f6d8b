"""vpnlearn.wire declarations and vpnlearn.rand sources."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.rand import DemoModeWarning, DemoRandom, SystemRandom, random_int
from vpnlearn.wire import Field, Header, Reader, Writer, internet_checksum

H = Header("test header", (
    Field("A", 3, "a"), Field("B", 5, "b"), Field("C", 16, "c"), Field("D", 16, "d", kind="bytes"),
))


@given(a=st.integers(0, 7), b=st.integers(0, 31), c=st.integers(0, 0xFFFF),
       d=st.binary(min_size=2, max_size=2))
def test_header_roundtrip(a: int, b: int, c: int, d: bytes) -> None:
    values = {"A": a, "B": b, "C": c, "D": d}
    raw = H.pack(values)
    assert len(raw) == H.size == 5
    assert H.unpack(raw) == values
    assert H.unpack(b"xx" + raw, 2) == values


def test_header_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(ConfigError, match="field A = 8 does not fit in 3 bits"):
        H.pack({"A": 8, "B": 0, "C": 0, "D": b"\0\0"})
    with pytest.raises(ConfigError, match="missing field C"):
        H.pack({"A": 0, "B": 0, "D": b"\0\0"})


def test_header_truncation_names_field() -> None:
    with pytest.raises(ParseError) as err:
        H.unpack(b"\x01\x02")
    assert err.value.field == "C" and err.value.offset == 1


def test_reader_writer() -> None:
    raw = Writer().u8(1).u16(0x203).u32(5).raw(b"xyz").getvalue()
    r = Reader(raw, "thing")
    assert (r.u8("a"), r.u16("b"), r.u32("c"), r.rest("d")) == (1, 0x203, 5, b"xyz")
    with pytest.raises(ParseError) as err:
        Reader(raw, "thing").bytes(20, "payload")
    assert "thing" in str(err.value) and err.value.offset == 0 and err.value.field == "payload"


def test_internet_checksum_rfc1071_example() -> None:
    # RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2


def test_demo_random_is_deterministic_and_warns() -> None:
    with pytest.warns(DemoModeWarning):
        a = DemoRandom("seed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = DemoRandom("seed")
        c = DemoRandom("other")
    assert a.random_bytes(40) == b.random_bytes(40)
    assert a.random_bytes(7) + a.random_bytes(9) == b.random_bytes(16)
    assert c.random_bytes(16) != DemoRandom("seed", _warn=False).random_bytes(16)
    assert a.child("x").random_bytes(8) == b.child("x").random_bytes(8) != a.child("y").random_bytes(8)
    assert "not secret" in repr(a)


def test_random_int_bounds() -> None:
    rng = DemoRandom(1, _warn=False)
    seen = {random_int(rng, 3, 7) for _ in range(300)}
    assert seen == {3, 4, 5, 6, 7}
    with pytest.raises(ConfigError):
        random_int(rng, 5, 4)
    assert len(SystemRandom().random_bytes(12)) == 12

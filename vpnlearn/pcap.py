"""pcap files and Wireshark key tables for anything the library sent, and a small tshark runner.

* :func:`write_pcap` / :func:`pcap_bytes` write a classic libpcap file (the 24-byte global header
  with magic ``0xA1B2C3D4``, version 2.4, then a 16-byte record header per packet; see
  https://www.tcpdump.org/manpages/pcap-savefile.5.txt). Packets are raw IPv4 by default
  (``LINKTYPE_RAW`` = 101); ``LINKTYPE_IPV4`` (228) and ``LINKTYPE_ETHERNET`` (1, with fixed fake
  MAC addresses) are available too. Timestamps default to 0, 1, 2 ... milliseconds, so the same
  packets always give the same bytes. :func:`read_pcap` reads such files back (for tests).
* :func:`esp_sa_uat` and :func:`ikev2_decryption_uat` write the two Wireshark 4.0 "UAT" tables
  that decrypt ESP (``esp_sa``, epan/dissectors/packet-ipsec.c) and IKEv2 SK payloads
  (``ikev2_decryption_table``, epan/dissectors/packet-isakmp.c). Algorithm names come from the
  suite table (:mod:`vpnlearn.crypto.suites`, ``wireshark_esp`` / ``wireshark_ikev2``). For
  AES-GCM the ESP key field is the key followed by the 4-byte salt and the authentication
  algorithm is ``"NULL"``. Wireshark 4.0 cannot decrypt ChaCha20-Poly1305 ESP; asking for it is
  a :class:`~vpnlearn.errors.ConfigError`.
* :func:`run_tshark` runs ``tshark -T fields`` on a pcap with those tables in a temporary
  ``WIRESHARK_CONFIG_DIR`` and returns one dict per packet; :func:`tshark_available` says whether
  tshark is installed.

Only the tshark runner starts a process; nothing here opens a socket.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError, ParseError, VpnlearnError

PCAP_MAGIC = 0xA1B2C3D4          # microsecond timestamps, written little-endian
PCAP_VERSION = (2, 4)
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101                # raw IP; the version nibble says IPv4 or IPv6
LINKTYPE_IPV4 = 228               # raw IPv4 only
DEFAULT_SNAPLEN = 65535
FAKE_SRC_MAC = bytes.fromhex("020000000001")   # locally administered, fixed: byte-stable files
FAKE_DST_MAC = bytes.fromhex("020000000002")
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


@dataclass(frozen=True)
class PcapPacket:
    """One captured packet: its bytes (as given to the writer: an IPv4 packet) and a timestamp."""

    data: bytes
    time: float = 0.0


def _packets(packets: Iterable[bytes | PcapPacket | tuple[bytes, float]]) -> list[PcapPacket]:
    out = []
    for i, p in enumerate(packets):
        if isinstance(p, PcapPacket):
            out.append(p)
        elif isinstance(p, (bytes, bytearray, memoryview)):
            out.append(PcapPacket(bytes(p), i / 1000))
        elif isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], (bytes, bytearray)):
            out.append(PcapPacket(bytes(p[0]), float(p[1])))
        elif hasattr(p, "build"):
            out.append(PcapPacket(p.build(), i / 1000))  # an IPv4 object
        elif hasattr(p, "data") and isinstance(p.data, (bytes, bytearray)):
            out.append(PcapPacket(bytes(p.data), i / 1000))  # e.g. esp.ProtectedPacket
        else:
            raise ConfigError(f"packet {i}: give bytes, (bytes, time), a PcapPacket or an IPv4 object, "
                              f"not {type(p).__name__}")
    return out


def pcap_bytes(packets: Iterable[bytes | PcapPacket | tuple[bytes, float]], *,
               linktype: int = LINKTYPE_RAW, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """A classic pcap file as bytes. Packets without a time get 0, 1, 2 ... ms (their index)."""
    if linktype not in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_ETHERNET):
        raise ConfigError(f"linktype {linktype} not supported: use LINKTYPE_RAW (101), LINKTYPE_IPV4 (228) "
                          "or LINKTYPE_ETHERNET (1)")
    out = bytearray(_GLOBAL.pack(PCAP_MAGIC, *PCAP_VERSION, 0, 0, snaplen, linktype))
    for i, p in enumerate(_packets(packets)):
        data = p.data
        if linktype == LINKTYPE_ETHERNET:
            data = FAKE_DST_MAC + FAKE_SRC_MAC + b"\x08\x00" + data
        if p.time < 0:
            raise ConfigError(f"packet {i}: negative timestamp {p.time}")
        sec = int(p.time)
        usec = round((p.time - sec) * 1_000_000)
        if usec >= 1_000_000:
            sec, usec = sec + 1, usec - 1_000_000
        caplen = min(len(data), snaplen)
        out += _RECORD.pack(sec, usec, caplen, len(data)) + data[:caplen]
    return bytes(out)


def write_pcap(path: str | os.PathLike[str], packets: Iterable[bytes | PcapPacket | tuple[bytes, float]],
               *, linktype: int = LINKTYPE_RAW, snaplen: int = DEFAULT_SNAPLEN) -> Path:
    """Write ``packets`` (IPv4 packets as bytes, ``(bytes, time)``, :class:`PcapPacket` or IPv4 objects)."""
    data = pcap_bytes(packets, linktype=linktype, snaplen=snaplen)
    p = Path(path)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"cannot write pcap file {p}: {exc.strerror}") from exc
    return p


@dataclass(frozen=True)
class PcapFile:
    """What :func:`read_pcap` found: the link type and the packets (link-layer header removed)."""

    linktype: int
    snaplen: int
    packets: tuple[PcapPacket, ...]


def read_pcap(source: str | os.PathLike[str] | bytes) -> PcapFile:
    """Read a classic pcap file (either byte order, micro- or nanosecond magic).

    For Ethernet captures the 14-byte Ethernet header is removed, so ``packets`` are IP packets.
    Errors name the file, the field and the byte offset.
    """
    name = "pcap data"
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        name = str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read pcap file {name}: {exc.strerror}") from exc
    what = f"pcap global header ({name})"
    if len(data) < _GLOBAL.size:
        raise ParseError(f"truncated: {len(data)} bytes, a pcap file starts with 24", what=what,
                         field="magic_number", offset=0)
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif struct.unpack(">I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D):
        endian = ">"
    else:
        raise ParseError(f"magic 0x{data[:4].hex()} is not a classic pcap file (pcapng is not read here)",
                         what=what, field="magic_number", offset=0)
    magic, _vmaj, _vmin, _tz, _sig, snaplen, linktype = struct.unpack(endian + "IHHiIII", data[:24])
    nano = magic == 0xA1B23C4D
    packets = []
    pos = 24
    index = 0
    while pos < len(data):
        rec_what = f"pcap record {index} ({name})"
        if pos + 16 > len(data):
            raise ParseError("truncated record header", what=rec_what, field="ts_sec", offset=pos)
        sec, frac, caplen, _origlen = struct.unpack(endian + "IIII", data[pos:pos + 16])
        if pos + 16 + caplen > len(data):
            raise ParseError(f"record says {caplen} captured bytes, only {len(data) - pos - 16} left",
                             what=rec_what, field="incl_len", offset=pos + 8)
        body = data[pos + 16:pos + 16 + caplen]
        if linktype == LINKTYPE_ETHERNET:
            body = body[14:]
        packets.append(PcapPacket(body, sec + frac / (1e9 if nano else 1e6)))
        pos += 16 + caplen
        index += 1
    return PcapFile(linktype, snaplen, tuple(packets))


# --------------------------------------------------------------------------------------------------
# Wireshark 4.0 key tables (UAT files).


def _q(text: str) -> str:
    """A UAT text field: double-quoted, with backslash and quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class EspSaKey:
    """One row of Wireshark's ``esp_sa`` table: one direction of ESP.

    ``src``/``dst`` are the outer (tunnel) addresses, ``"*"`` for any. ``enc_key`` is the whole
    keying material (for AES-GCM: key followed by the 4-byte salt).
    """

    src: str
    dst: str
    spi: int
    encryption: suites.EncryptionAlg
    enc_key: bytes
    integrity: suites.IntegrityAlg | None = None
    integ_key: bytes = b""

    def uat_line(self) -> str:
        enc_name = self.encryption.wireshark_esp
        if enc_name is None:
            raise ConfigError(f"Wireshark 4.0 cannot decrypt ESP with {self.encryption.name} "
                              f"(SPI 0x{self.spi:08x}): it has no esp_sa entry for it")
        if len(self.enc_key) != self.encryption.keymat_bytes:
            raise ConfigError(f"esp_sa SPI 0x{self.spi:08x}: {self.encryption.name} needs "
                              f"{self.encryption.keymat_bytes} bytes of key (key + salt), "
                              f"got {len(self.enc_key)}")
        if self.encryption.aead or self.integrity is None:
            auth, auth_key = suites.WIRESHARK_ESP_AUTH_NULL, ""
        else:
            if self.integrity.wireshark_esp is None:  # pragma: no cover - all table entries have one
                raise ConfigError(f"Wireshark 4.0 has no esp_sa name for {self.integrity.name}")
            auth, auth_key = self.integrity.wireshark_esp, "0x" + self.integ_key.hex()
        fields = ("IPv4", self.src, self.dst, f"0x{self.spi:08x}", enc_name, "0x" + self.enc_key.hex(),
                  auth, auth_key)
        return ",".join(_q(f) for f in fields)


@dataclass(frozen=True)
class IkeSaKey:
    """One row of Wireshark's ``ikev2_decryption_table``: the keys of one IKE SA's SK payloads."""

    spi_i: bytes
    spi_r: bytes
    encryption: suites.EncryptionAlg
    sk_ei: bytes
    sk_er: bytes
    integrity: suites.IntegrityAlg | None = None
    sk_ai: bytes = b""
    sk_ar: bytes = b""

    def uat_line(self) -> str:
        enc_name = self.encryption.wireshark_ikev2
        if enc_name is None:
            raise ConfigError(f"Wireshark 4.0 cannot decrypt IKEv2 with {self.encryption.name}")
        if len(self.spi_i) != 8 or len(self.spi_r) != 8:
            raise ConfigError("IKE SPIs are 8 bytes each (RFC 7296 §3.1)")
        need = self.encryption.keymat_bytes
        for name, key in (("SK_ei", self.sk_ei), ("SK_er", self.sk_er)):
            if len(key) != need:
                raise ConfigError(f"{name} for {self.encryption.name} is {need} bytes (key + salt for AEADs, "
                                  f"RFC 5282 §7.1), got {len(key)}")
        ineed = 0 if self.encryption.aead or self.integrity is None else self.integrity.key_bytes
        for name, key in (("SK_ai", self.sk_ai), ("SK_ar", self.sk_ar)):
            if len(key) != ineed:
                raise ConfigError(f"{name} must be {ineed} bytes here, got {len(key)}")
        if self.encryption.aead or self.integrity is None:
            integ = suites.WIRESHARK_IKEV2_INTEG_NONE
        else:
            integ = self.integrity.wireshark_ikev2 or suites.WIRESHARK_IKEV2_INTEG_NONE
        # Byte fields are bare hex, text fields quoted (as Wireshark itself saves this table).
        return ",".join((self.spi_i.hex(), self.spi_r.hex(), self.sk_ei.hex(), self.sk_er.hex(), _q(enc_name),
                         self.sk_ai.hex(), self.sk_ar.hex(), _q(integ)))


def esp_sa_key(sa: Any, *, src: str | None = None, dst: str | None = None) -> EspSaKey:
    """The ``esp_sa`` row for a :class:`vpnlearn.ipsec.sa.SecurityAssociation` (ESP only).

    The addresses default to the SA's tunnel endpoints (``"*"`` when it has none, e.g. transport mode).
    """
    protocol = str(getattr(getattr(sa, "protocol", "esp"), "value", getattr(sa, "protocol", "esp"))).lower()
    if protocol != "esp" or getattr(sa, "encryption", None) is None:
        raise ConfigError(f"SA 0x{sa.spi:08x} is not ESP: Wireshark's esp_sa table is for ESP only")
    return EspSaKey(src or getattr(sa, "tunnel_src", None) or "*",
                    dst or getattr(sa, "tunnel_dst", None) or "*",
                    sa.spi, sa.encryption, bytes(sa.enc_key), getattr(sa, "integrity", None),
                    bytes(getattr(sa, "integ_key", b"") or b""))


def esp_sa_uat(entries: Iterable[EspSaKey | Any]) -> str:
    """The text of an ``esp_sa`` UAT file (SecurityAssociation objects are converted)."""
    lines = [(e if isinstance(e, EspSaKey) else esp_sa_key(e)).uat_line() for e in entries]
    return "".join(line + "\n" for line in lines)


def ikev2_decryption_uat(entries: Iterable[IkeSaKey]) -> str:
    """The text of an ``ikev2_decryption_table`` UAT file."""
    return "".join(e.uat_line() + "\n" for e in entries)


def write_key_tables(directory: str | os.PathLike[str], *, esp: Iterable[EspSaKey | Any] = (),
                     ike: Iterable[IkeSaKey] = (), preferences: Mapping[str, str] | None = None) -> Path:
    """Write ``esp_sa``, ``ikev2_decryption_table`` and ``preferences`` into a Wireshark config dir.

    The preferences turn on ESP decryption and ICV checking. Point Wireshark at the folder with
    ``WIRESHARK_CONFIG_DIR=<directory>``.
    """
    d = Path(directory)
    prefs = {"esp.enable_encryption_decode": "TRUE", "esp.enable_authentication_check": "TRUE",
             **(preferences or {})}
    try:
        d.mkdir(parents=True, exist_ok=True)
        (d / "esp_sa").write_text(esp_sa_uat(esp))
        (d / "ikev2_decryption_table").write_text(ikev2_decryption_uat(ike))
        (d / "preferences").write_text("".join(f"{k}: {v}\n" for k, v in prefs.items()))
    except OSError as exc:
        raise ConfigError(f"cannot write Wireshark key tables into {d}: {exc.strerror}") from exc
    return d


# --------------------------------------------------------------------------------------------------
# tshark


class TsharkError(VpnlearnError):
    """tshark is missing, failed, or complained about our key tables."""


def tshark_available() -> bool:
    """True if a ``tshark`` executable is on PATH."""
    return shutil.which("tshark") is not None


def run_tshark(pcap: str | os.PathLike[str], fields: Sequence[str], *, esp: Iterable[EspSaKey | Any] = (),
               ike: Iterable[IkeSaKey] = (), preferences: Mapping[str, str] | None = None,
               display_filter: str | None = None, timeout: float = 60.0) -> list[dict[str, str]]:
    """Run ``tshark -T fields`` on ``pcap`` with our key tables; one dict (field -> text) per packet.

    Fields that occur several times in a packet (``ip.src`` of an ESP tunnel packet: outer and
    inner) are joined with ``","``. A problem loading the key tables (tshark prints it on stderr)
    raises :class:`TsharkError`, so a wrong table format cannot pass silently.
    """
    import subprocess

    exe = shutil.which("tshark")
    if exe is None:
        raise TsharkError("tshark is not installed (Debian package 'tshark')")
    if not fields:
        raise ConfigError("give at least one tshark field")
    with tempfile.TemporaryDirectory(prefix="vpnlearn-ws-") as cfg:
        write_key_tables(cfg, esp=esp, ike=ike, preferences=preferences)
        cmd = [exe, "-n", "-r", os.fspath(pcap), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
               "-E", "aggregator=,"]
        for f in fields:
            cmd += ["-e", f]
        if display_filter:
            cmd += ["-Y", display_filter]
        env = {**os.environ, "WIRESHARK_CONFIG_DIR": cfg, "HOME": cfg}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise TsharkError(f"tshark did not finish within {timeout} s on {pcap}") from exc
    problems = [line for line in proc.stderr.splitlines()
                if line.strip() and "Running as user" not in line]
    if proc.returncode != 0 or any("rror" in line or "arning" in line for line in problems):
        raise TsharkError(f"tshark failed (exit {proc.returncode}) on {pcap}: " + " | ".join(problems))
    rows = []
    for line in proc.stdout.splitlines():
        values = line.split("\t")
        values += [""] * (len(fields) - len(values))
        rows.append(dict(zip(fields, values[:len(fields)], strict=True)))
    return rows

"""The Security Association Database (RFC 4301 §4.4.2): where the SAs live and how they are found.

* **Inbound**, a packet names its SA: the receiver looks it up by the SPI in the ESP/AH header,
  together with the protocol and, when the SA was added with one, the destination address
  (RFC 4301 §4.4.2: "SPI + destination + protocol", or SPI alone / SPI + protocol; RFC 4303 §2.1).
  An unknown SPI means the packet must be dropped (RFC 4303 §3.4.2), so :meth:`SAD.inbound`
  raises :class:`~vpnlearn.errors.PolicyError` naming the SPI in hex.
* **Outbound**, the SPD decides first (:mod:`vpnlearn.ipsec.spd`); a PROTECT entry names the SA
  (``sa_name``) that :meth:`SAD.outbound` returns. If IKE has not made that SA yet, the lookup
  fails with a PolicyError that says so (RFC 4301 §5.1: this is where IKE is triggered).

The SAD stores whatever SA objects the ESP/AH code uses
(:class:`vpnlearn.ipsec.sa.SecurityAssociation`): anything with ``spi`` and ``protocol``
attributes (``protocol`` being ``"esp"``/``"ah"`` or an enum whose value is one of those).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vpnlearn.errors import ConfigError, ParseError, PolicyError
from vpnlearn.ipsec.spd import Action, Decision, SPDEntry

_PROTOCOLS = ("esp", "ah")


def _proto(value: object) -> str:
    raw = getattr(value, "value", value)
    text = str(raw).lower()
    if text not in _PROTOCOLS:
        raise ConfigError(f"SA protocol {value!r} is not ESP or AH")
    return text


def _spi(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ConfigError(f"SPI {value!r} must be a 32-bit unsigned integer")
    return value


@dataclass(frozen=True)
class SadEntry:
    """One stored SA with the keys it is found by."""

    spi: int
    protocol: str
    destination: str | None
    sa: Any
    sa_name: str | None = None     # for outbound SAs: the SPD entry's sa_name

    @property
    def spi_hex(self) -> str:
        return f"0x{self.spi:08x}"


class SAD:
    """Inbound SAs by (SPI, protocol[, destination]); outbound SAs by the SPD entry's ``sa_name``."""

    def __init__(self) -> None:
        self._inbound: dict[tuple[int, str], SadEntry] = {}
        self._outbound: dict[str, SadEntry] = {}

    # ---- inbound -------------------------------------------------------------------------------

    def add_inbound(self, sa: Any, *, destination: str | None = None) -> SadEntry:
        """Store an inbound SA. ``destination`` (our address) makes the lookup also check it.

        Two inbound SAs of one protocol cannot share an SPI: the receiver chooses SPIs so that
        they are unique (RFC 4301 §4.1), and a duplicate is a :class:`~vpnlearn.errors.ConfigError`.
        """
        spi, proto = _spi(getattr(sa, "spi", None)), _proto(getattr(sa, "protocol", "esp"))
        key = (spi, proto)
        if key in self._inbound:
            raise ConfigError(f"duplicate SPI 0x{spi:08x} for inbound {proto.upper()}: the SAD already "
                              "holds an SA with it (SPIs must be unique per receiver, RFC 4301 §4.1)")
        e = SadEntry(spi, proto, destination, sa)
        self._inbound[key] = e
        return e

    def inbound(self, spi: int, *, protocol: str = "esp", destination: str | None = None) -> Any:
        """The inbound SA for an SPI from a received ESP/AH header; PolicyError if there is none."""
        spi, proto = _spi(spi), _proto(protocol)
        e = self._inbound.get((spi, proto))
        if e is None:
            known = ", ".join(x.spi_hex for x in self._inbound.values() if x.protocol == proto) or "none"
            raise PolicyError(f"unknown SPI 0x{spi:08x} for inbound {proto.upper()}: no SA, so the packet "
                              f"is dropped (RFC 4303 §3.4.2); known SPIs: {known}")
        if e.destination is not None and destination is not None and destination != e.destination:
            raise PolicyError(f"SPI 0x{spi:08x} ({proto.upper()}) belongs to destination {e.destination}, "
                              f"not {destination}")
        return e.sa

    def inbound_for_packet(self, data: bytes) -> Any:
        """The inbound SA for a received IPv4 packet: ESP (protocol 50), AH (51) or ESP in UDP/4500.

        The SPI is read from the packet (RFC 4303 §2.1; RFC 4302 §2.4; RFC 3948 §2.1 for
        UDP-encapsulated ESP, where a zero non-ESP marker means IKE, not ESP) and the packet's
        destination address is checked when the SA was stored with one.
        """
        from vpnlearn.ipsec import natt
        from vpnlearn.ipsec.packets import PROTO_AH, PROTO_ESP, PROTO_UDP, IPv4

        pkt = IPv4.parse(bytes(data), verify_checksum=False, allow_trailing=True)
        body, offset = pkt.payload, pkt.header_length
        if pkt.protocol == PROTO_UDP:
            if len(body) < 8:
                raise ParseError("truncated UDP header", what="UDP header", field="Length", offset=offset)
            kind = natt.classify(body[8:], offset=offset + 8)
            if kind != natt.KIND_ESP:
                raise PolicyError(f"UDP datagram to port {int.from_bytes(body[2:4], 'big')} carries {kind}, "
                                  "not ESP: it goes to IKE, not to the SAD (RFC 3948 §2.2)")
            body, offset, proto = body[8:], offset + 8, "esp"
        elif pkt.protocol == PROTO_ESP:
            proto = "esp"
        elif pkt.protocol == PROTO_AH:
            if len(body) < 8:
                raise ParseError("truncated AH header", what="AH header", field="SPI", offset=offset + 4)
            body, offset, proto = body[4:], offset + 4, "ah"
        else:
            raise PolicyError(f"IP protocol {pkt.protocol} is not ESP (50), AH (51) or UDP-encapsulated ESP")
        if len(body) < 4:
            raise ParseError("truncated: no room for the SPI", what=f"{proto.upper()} header", field="SPI",
                             offset=offset)
        return self.inbound(int.from_bytes(body[:4], "big"), protocol=proto, destination=pkt.dst)

    def remove_inbound(self, spi: int, *, protocol: str = "esp") -> Any:
        key = (_spi(spi), _proto(protocol))
        if key not in self._inbound:
            raise PolicyError(f"unknown SPI 0x{key[0]:08x} for inbound {key[1].upper()}: nothing to remove")
        return self._inbound.pop(key).sa

    # ---- outbound ------------------------------------------------------------------------------

    def add_outbound(self, sa: Any, sa_name: str | SPDEntry) -> SadEntry:
        """Store the outbound SA that protects traffic of the SPD entry (or ``sa_name``) given.

        Adding another SA for the same name replaces the old one (that is what a rekey does:
        the new SA takes over the traffic, RFC 7296 §2.8); the old one is returned by
        :meth:`outbound_entry` no more.
        """
        name = sa_name.sa_name if isinstance(sa_name, SPDEntry) else sa_name
        if not name:
            raise ConfigError("an outbound SA needs the sa_name of a PROTECT SPD entry")
        spi, proto = _spi(getattr(sa, "spi", None)), _proto(getattr(sa, "protocol", "esp"))
        e = SadEntry(spi, proto, getattr(sa, "tunnel_dst", None), sa, name)
        self._outbound[name] = e
        return e

    def outbound(self, what: Decision | SPDEntry | str) -> Any:
        """The outbound SA for an SPD decision, entry or sa_name; PolicyError if none is there."""
        if isinstance(what, Decision):
            if what.action is not Action.PROTECT or what.entry is None:
                raise PolicyError(f"SPD decided {what.action.value} for {what.selector}: no SA is used")
            name = what.entry.sa_name
        elif isinstance(what, SPDEntry):
            if what.action is not Action.PROTECT:
                raise PolicyError(f"SPD entry {what.name} is {what.action.value}, not PROTECT: no SA is used")
            name = what.sa_name
        else:
            name = what
        e = self._outbound.get(str(name))
        if e is None:
            raise PolicyError(f"no outbound SA for {name!r} yet: IKE must negotiate one first "
                              "(RFC 4301 §5.1: a PROTECT match with no SA triggers IKE)")
        return e.sa

    def remove_outbound(self, sa_name: str) -> Any:
        if sa_name not in self._outbound:
            raise PolicyError(f"no outbound SA for {sa_name!r}: nothing to remove")
        return self._outbound.pop(sa_name).sa

    # ---- looking at it -------------------------------------------------------------------------

    def entries(self) -> Iterator[tuple[str, SadEntry]]:
        """Every stored SA as (``"inbound"``/``"outbound"``, entry)."""
        for e in self._inbound.values():
            yield "inbound", e
        for e in self._outbound.values():
            yield "outbound", e

    def __len__(self) -> int:
        return len(self._inbound) + len(self._outbound)

    def rows(self) -> list[dict[str, str]]:
        """The SAD as strings for a table (no keys are shown)."""
        out = []
        for direction, e in self.entries():
            sa = e.sa
            enc = getattr(getattr(sa, "encryption", None), "name", "") or ""
            integ = getattr(getattr(sa, "integrity", None), "name", "") or ""
            out.append({"direction": direction, "spi": e.spi_hex, "protocol": e.protocol.upper(),
                        "destination": e.destination or "", "spd entry": e.sa_name or "",
                        "encryption": enc, "integrity": integ})
        return out

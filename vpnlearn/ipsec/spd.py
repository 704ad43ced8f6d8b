"""The Security Policy Database (RFC 4301 §4.4.1): which traffic is protected, passed or dropped.

The SPD is an *ordered* list of entries. Each entry has selectors (local and remote address
ranges, the next-layer protocol, local and remote ports, each possibly ANY) and an action:

* ``PROTECT``: the traffic must go through an IPsec SA (ESP or AH),
* ``BYPASS``: the traffic passes in the clear,
* ``DISCARD``: the traffic is dropped.

A packet is matched against the entries in order and the **first** match wins (RFC 4301
§4.4.1: "the SPD is an ordered database"). If no entry matches, the packet is discarded
(RFC 4301 §5.1 and §5.2: the SPD should end with a catch-all; without one, discard).

:meth:`SPD.lookup` returns a :class:`Decision` that says not only what happens but *why*: which
entry matched and, for every entry tried before it, which selector did not match. A notebook can
print it as a table.

Directions: an entry's "local" side is this host's side. For outbound traffic the packet's
source is local and its destination remote; for inbound traffic it is the other way round
(RFC 4301 §4.4.1.1). An entry applies to ``"outbound"``, ``"inbound"`` or ``"both"``.

For ICMP, RFC 4301 §4.4.1.1 uses the ICMP message type and code in place of the ports: here
``local_ports`` matches the type and ``remote_ports`` the code. (For simplicity of teaching, the
type/code of an ICMP packet are taken the same way in both directions.)

Nothing here sends or reads packets from the network; :meth:`Selector.from_packet` reads bytes
you give it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from vpnlearn.errors import ConfigError, ParseError, PolicyError
from vpnlearn.ipsec.packets import PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTOCOL_NAMES, IPv4

ANY = None
"""Selector value meaning 'anything' (RFC 4301 §4.4.1.1 "ANY")."""


class Action(str, Enum):
    """What the SPD does with matching traffic (RFC 4301 §4.4.1)."""

    PROTECT = "PROTECT"
    BYPASS = "BYPASS"
    DISCARD = "DISCARD"


_DIRECTIONS = ("outbound", "inbound", "both")


def _network(value: str | ipaddress.IPv4Network | None, what: str) -> ipaddress.IPv4Network | None:
    if value is None or (isinstance(value, str) and value.strip().upper() == "ANY"):
        return None
    if isinstance(value, ipaddress.IPv4Network):
        return value
    try:
        return ipaddress.IPv4Network(str(value).strip(), strict=True)
    except ValueError as exc:
        raise ConfigError(f"SPD {what} {value!r} is not an IPv4 address or CIDR ({exc})") from None


def _address_range(value: object, what: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None:
    """ANY, a CIDR ('10.0.0.0/24'), one address, or a range 'a-b' / (a, b), as (first, last)."""
    if value is None or (isinstance(value, str) and value.strip().upper() == "ANY"):
        return None
    try:
        if isinstance(value, tuple) and len(value) == 2:
            first, last = ipaddress.IPv4Address(value[0]), ipaddress.IPv4Address(value[1])
        elif isinstance(value, str) and "-" in value:
            a, b = value.split("-", 1)
            first, last = ipaddress.IPv4Address(a.strip()), ipaddress.IPv4Address(b.strip())
        else:
            net = _network(value, what)  # type: ignore[arg-type]
            assert net is not None
            first, last = net.network_address, net.broadcast_address
    except (ValueError, ipaddress.AddressValueError) as exc:
        raise ConfigError(f"SPD {what} {value!r}: not ANY, a CIDR, an address or a range ({exc})") from None
    if first > last:
        raise ConfigError(f"SPD {what} {value!r}: range starts after it ends")
    return first, last


def _port_range(value: object, what: str) -> tuple[int, int] | None:
    if value is None or (isinstance(value, str) and value.strip().upper() == "ANY"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, tuple) and len(value) == 2:
        low, high = value
    elif isinstance(value, str) and "-" in value:
        a, b = value.split("-", 1)
        low, high = int(a), int(b)
    elif isinstance(value, str) and value.strip().isdigit():
        low = high = int(value)
    else:
        raise ConfigError(f"SPD {what} {value!r}: use ANY, a port, 'low-high' or (low, high)")
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 0xFFFF):
        raise ConfigError(f"SPD {what} {value!r}: ports are 0..65535 with low <= high")
    return low, high


def _protocol(value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().upper() == "ANY"):
        return None
    if isinstance(value, str):
        names = {v.lower(): k for k, v in PROTOCOL_NAMES.items()}
        if value.strip().lower() in names:
            return names[value.strip().lower()]
        if value.strip().isdigit():
            value = int(value)
        else:
            raise ConfigError(f"SPD protocol {value!r}: use ANY, a number or one of "
                              f"{', '.join(sorted(PROTOCOL_NAMES.values()))}")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
        raise ConfigError(f"SPD protocol {value!r} must be 0..255 or ANY")
    return value


def _fmt_range(r: tuple[object, object] | None) -> str:
    if r is None:
        return "ANY"
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def _fmt_addr(r: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None) -> str:
    if r is None:
        return "ANY"
    try:
        nets = list(ipaddress.summarize_address_range(r[0], r[1]))
    except (TypeError, ValueError):  # pragma: no cover
        nets = []
    if len(nets) == 1:
        return str(nets[0]) if nets[0].prefixlen < 32 else str(r[0])
    return f"{r[0]}-{r[1]}"


@dataclass(frozen=True)
class Selector:
    """What one packet presents to the SPD: addresses, next-layer protocol and ports.

    ``src_port``/``dst_port`` are ``None`` when the protocol has no ports (they match only ANY);
    for ICMP they hold the ICMP type and code (RFC 4301 §4.4.1.1).
    """

    src: str
    dst: str
    protocol: int
    src_port: int | None = None
    dst_port: int | None = None

    @classmethod
    def from_packet(cls, data: bytes | IPv4) -> Selector:
        """The selector of an IPv4 packet (bytes or an :class:`~vpnlearn.ipsec.packets.IPv4`).

        Ports come from a UDP/TCP header, type and code from an ICMP header.
        """
        pkt = data if isinstance(data, IPv4) else IPv4.parse(bytes(data), verify_checksum=False,
                                                                allow_trailing=True)
        payload = pkt.payload
        sport = dport = None
        if pkt.fragment_offset:
            # Non-initial fragments carry no ports (RFC 4301 §4.4.1.1 "OPAQUE"): they match ANY only.
            return cls(pkt.src, pkt.dst, pkt.protocol)
        if pkt.protocol in (PROTO_UDP, PROTO_TCP):
            if len(payload) < 4:
                raise ParseError("too short for the ports", what=PROTOCOL_NAMES[pkt.protocol] + " header",
                                 field="Source Port", offset=pkt.header_length)
            sport, dport = int.from_bytes(payload[0:2], "big"), int.from_bytes(payload[2:4], "big")
        elif pkt.protocol == PROTO_ICMP:
            if len(payload) < 2:
                raise ParseError("too short for type and code", what="ICMP header", field="Type",
                                 offset=pkt.header_length)
            sport, dport = payload[0], payload[1]
        return cls(pkt.src, pkt.dst, pkt.protocol, sport, dport)

    def __str__(self) -> str:
        proto = PROTOCOL_NAMES.get(self.protocol, str(self.protocol))
        ports = "" if self.src_port is None else f" {self.src_port}->{self.dst_port}"
        return f"{self.src} -> {self.dst} {proto}{ports}"


@dataclass(frozen=True)
class SPDEntry:
    """One SPD rule. Build it with :func:`entry` (which accepts strings like ``"10.0.1.0/24"``).

    ``sa_name`` names what a PROTECT entry's traffic is protected by (a child SA / tunnel name);
    the SAD uses it to find the outbound SA. ``ipsec`` describes the protection wanted
    (e.g. ``"esp tunnel"``) for display only.
    """

    name: str
    action: Action
    local: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None = None
    remote: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None = None
    protocol: int | None = None
    local_ports: tuple[int, int] | None = None
    remote_ports: tuple[int, int] | None = None
    direction: str = "both"
    sa_name: str | None = None
    ipsec: str = ""

    def applies_to(self, direction: str) -> bool:
        return self.direction in ("both", direction)

    def mismatch(self, sel: Selector, direction: str) -> str | None:
        """``None`` if ``sel`` matches this entry in ``direction``, else the first reason it does not."""
        if not self.applies_to(direction):
            return f"entry is for {self.direction} traffic only"
        local, remote = (sel.src, sel.dst) if direction == "outbound" else (sel.dst, sel.src)
        local_port, remote_port = ((sel.src_port, sel.dst_port) if direction == "outbound"
                                   else (sel.dst_port, sel.src_port))
        if sel.protocol == PROTO_ICMP:
            local_port, remote_port = sel.src_port, sel.dst_port  # ICMP type, code
        for what, rng, addr in (("local address", self.local, local),
                                ("remote address", self.remote, remote)):
            if rng is not None and not rng[0] <= ipaddress.IPv4Address(addr) <= rng[1]:
                return f"{what} {addr} not in {_fmt_addr(rng)}"
        if self.protocol is not None and self.protocol != sel.protocol:
            want = PROTOCOL_NAMES.get(self.protocol, str(self.protocol))
            got = PROTOCOL_NAMES.get(sel.protocol, str(sel.protocol))
            return f"protocol {got} is not {want}"
        names = (("ICMP type", "ICMP code") if sel.protocol == PROTO_ICMP else ("local port", "remote port"))
        for what, rng, port in ((names[0], self.local_ports, local_port),
                                (names[1], self.remote_ports, remote_port)):
            if rng is None:
                continue
            if port is None:
                return f"{what} selector {_fmt_range(rng)} but the packet has no {what}"
            if not rng[0] <= port <= rng[1]:
                return f"{what} {port} not in {_fmt_range(rng)}"
        return None

    def row(self) -> dict[str, str]:
        """The entry as strings, for a table."""
        return {
            "name": self.name, "direction": self.direction,
            "local": _fmt_addr(self.local), "remote": _fmt_addr(self.remote),
            "protocol": ("ANY" if self.protocol is None
                         else PROTOCOL_NAMES.get(self.protocol, str(self.protocol))),
            "local ports": _fmt_range(self.local_ports), "remote ports": _fmt_range(self.remote_ports),
            "action": self.action.value, "sa": self.sa_name or "", "ipsec": self.ipsec,
        }

    def __str__(self) -> str:
        r = self.row()
        return (f"{r['name']}: {r['direction']} {r['local']}[{r['local ports']}] <-> {r['remote']}"
                f"[{r['remote ports']}] {r['protocol']} => {r['action']}")


def entry(name: str, action: Action | str, *, local: object = ANY, remote: object = ANY,
          protocol: object = ANY, local_ports: object = ANY, remote_ports: object = ANY,
          direction: str = "both", sa_name: str | None = None, ipsec: str = "") -> SPDEntry:
    """Make an SPD entry from friendly values.

    Addresses: ``"ANY"``/``None``, ``"10.0.1.0/24"``, ``"10.0.1.5"``, ``"10.0.1.5-10.0.1.9"``.
    Protocol: ``"ANY"``, ``"UDP"``, ``"ICMP"``, ``17``. Ports: ``"ANY"``, ``500``, ``"1024-65535"``.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError("an SPD entry needs a name")
    try:
        act = action if isinstance(action, Action) else Action(str(action).upper())
    except ValueError:
        raise ConfigError(f"SPD entry {name}: action {action!r} is not PROTECT, BYPASS or DISCARD") from None
    if direction not in _DIRECTIONS:
        raise ConfigError(f"SPD entry {name}: direction {direction!r} is not one of {', '.join(_DIRECTIONS)}")
    proto = _protocol(protocol)
    lp, rp = _port_range(local_ports, "local_ports"), _port_range(remote_ports, "remote_ports")
    if (lp or rp) and proto not in (PROTO_UDP, PROTO_TCP, PROTO_ICMP):
        raise ConfigError(f"SPD entry {name}: port selectors need protocol UDP, TCP or ICMP")
    if act is Action.PROTECT and not sa_name:
        sa_name = name
    return SPDEntry(name, act, _address_range(local, f"entry {name} local"),
                    _address_range(remote, f"entry {name} remote"), proto, lp, rp, direction,
                    sa_name if act is Action.PROTECT else None, ipsec)


@dataclass(frozen=True)
class Step:
    """One entry tried during a lookup: did it match, and if not, why not."""

    index: int
    entry: SPDEntry
    matched: bool
    reason: str


@dataclass(frozen=True)
class Decision:
    """The result of an SPD lookup: the action, the entry (None = no match) and the trace."""

    selector: Selector
    direction: str
    action: Action
    entry: SPDEntry | None
    steps: tuple[Step, ...] = field(default=())

    @property
    def why(self) -> str:
        """One paragraph saying which entries were skipped and which one decided."""
        lines = [f"{self.direction} {self.selector}:"]
        for s in self.steps:
            mark = "MATCH" if s.matched else "skip "
            lines.append(f"  {s.index + 1}. {mark} {s.entry.name}: {s.reason}")
        if self.entry is None:
            lines.append("  no entry matched: DISCARD (RFC 4301 §5.1: no match means discard)")
        else:
            lines.append(f"  => {self.action.value} (first match wins, RFC 4301 §4.4.1)")
        return "\n".join(lines)

    def rows(self) -> list[dict[str, str]]:
        """The trace as rows for a table."""
        return [{"#": str(s.index + 1), "entry": s.entry.name, "matched": "yes" if s.matched else "no",
                 "reason": s.reason, "action": s.entry.action.value} for s in self.steps]

    def require_protect_or_bypass(self) -> None:
        """Raise :class:`~vpnlearn.errors.PolicyError` if the decision is DISCARD."""
        if self.action is Action.DISCARD:
            who = f"entry {self.entry.name}" if self.entry else "no SPD entry matched"
            raise PolicyError(f"SPD discards {self.direction} {self.selector} ({who})")

    def __str__(self) -> str:
        return self.why


class SPD:
    """An ordered list of :class:`SPDEntry`; the first match wins."""

    def __init__(self, entries: Iterable[SPDEntry] = ()) -> None:
        self._entries: list[SPDEntry] = []
        for e in entries:
            self.add(e)

    def add(self, e: SPDEntry, *, position: int | None = None) -> SPDEntry:
        """Append ``e`` (or insert it at ``position``). Names must be unique."""
        if not isinstance(e, SPDEntry):
            raise ConfigError(f"SPD entries are SPDEntry objects (see spd.entry()), not {type(e).__name__}")
        if any(x.name == e.name for x in self._entries):
            raise ConfigError(f"SPD already has an entry named {e.name!r}")
        if position is None:
            self._entries.append(e)
        else:
            self._entries.insert(position, e)
        return e

    def remove(self, name: str) -> SPDEntry:
        for i, e in enumerate(self._entries):
            if e.name == name:
                return self._entries.pop(i)
        raise ConfigError(f"SPD has no entry named {name!r}; it has {', '.join(self.names()) or 'none'}")

    def names(self) -> list[str]:
        return [e.name for e in self._entries]

    def __getitem__(self, name: str) -> SPDEntry:
        for e in self._entries:
            if e.name == name:
                return e
        raise ConfigError(f"SPD has no entry named {name!r}; it has {', '.join(self.names()) or 'none'}")

    def __iter__(self) -> Iterator[SPDEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def rows(self) -> list[dict[str, str]]:
        """All entries, in order, as strings for a table."""
        return [{"#": str(i + 1), **e.row()} for i, e in enumerate(self._entries)]

    def lookup(self, packet_or_selector: bytes | IPv4 | Selector, direction: str = "outbound") -> Decision:
        """Match a packet (IPv4 bytes or object) or a :class:`Selector`; the first matching entry decides.

        The :class:`Decision` lists every entry tried up to the match, with the reason each one
        did not match, so ``print(spd.lookup(pkt))`` explains itself.
        """
        if direction not in ("outbound", "inbound"):
            raise ConfigError(f"lookup direction must be 'outbound' or 'inbound', not {direction!r}")
        sel = (packet_or_selector if isinstance(packet_or_selector, Selector)
               else Selector.from_packet(packet_or_selector))
        steps: list[Step] = []
        for i, e in enumerate(self._entries):
            why = e.mismatch(sel, direction)
            if why is None:
                steps.append(Step(i, e, True, "all selectors match"))
                return Decision(sel, direction, e.action, e, tuple(steps))
            steps.append(Step(i, e, False, why))
        return Decision(sel, direction, Action.DISCARD, None, tuple(steps))

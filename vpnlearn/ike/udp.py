"""A thin UDP runner for the sans-I/O IKEv2 peers: real sockets on ports 500 and 4500.

The protocol lives in :mod:`vpnlearn.ike` (``Initiator``/``Responder``): they take bytes and the time
and return bytes and events. This module is the only place in ``vpnlearn.ike`` that opens sockets
or reads a clock, and it does only that:

* It binds UDP ports 500 and 4500 on one local address. IKE messages on 4500 carry the 4-byte
  zero **non-ESP marker** (RFC 3948 §2.2), which it adds and strips; a datagram on 4500 that
  starts with a non-zero SPI is **ESP-in-UDP** (RFC 3948 §2.1) and goes to the CHILD_SA with that
  SPI; a single ``0xFF`` byte is a NAT-keepalive (RFC 3948 §2.3) and is ignored.
* A ``select`` loop hands each datagram to the peer with ``now`` from a monotonic clock, calls
  ``tick(now)`` when ``next_timer()`` says so (retransmissions, RFC 7296 §2.1), and sends what the
  peer returns: from port 500, or from 4500 once the peer moved there (``peer.port``).
* Through an established CHILD_SA it sends ICMP echo requests (inner IPv4, ESP tunnel mode) and
  reports the replies. ESP goes inside UDP 4500 when the CHILD_SA is UDP-encapsulated (a NAT was
  detected, or the peer faked one to force encapsulation, like strongSwan's ``encap = yes``), and
  otherwise as plain ESP, IP protocol 50, through a raw socket (which needs root). It answers echo
  requests addressed to any address inside its own traffic selectors, so a real peer's ``ping``
  through the tunnel gets a reply.

Everything it sends or receives can be recorded (:class:`Recorder`) for a pcap file with the
Wireshark key tables (``vpnlearn ike ... --pcap FILE --keys DIR``).
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from vpnlearn.errors import ConfigError, VpnlearnError
from vpnlearn.ipsec.packets import ICMP, PROTO_ESP, PROTO_ICMP, PROTO_IPV4, IPv4, icmp_echo

IKE_PORT = 500
NAT_T_PORT = 4500
NON_ESP_MARKER = b"\x00\x00\x00\x00"          # RFC 3948 §2.2
NAT_KEEPALIVE = b"\xff"                          # RFC 3948 §2.3
ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY = 8, 0

Address = tuple[str, int]


@dataclass(frozen=True)
class Datagram:
    """One UDP datagram the runner sent or received (for the pcap file and the transcript)."""

    time: float                 # seconds since the epoch (for the pcap timestamp)
    src: Address
    dst: Address
    payload: bytes              # the UDP payload exactly as on the wire (marker included on 4500)
    kind: str                   # "ike", "esp" (in UDP), "esp-raw" (IP protocol 50) or "keepalive"


@dataclass
class Recorder:
    """Collects every datagram the runner sends and receives, and the ESP SAs it used."""

    datagrams: list[Datagram] = field(default_factory=list)

    def add(self, src: Address, dst: Address, payload: bytes, kind: str) -> None:
        self.datagrams.append(Datagram(time.time(), src, dst, payload, kind))


@dataclass(frozen=True)
class EchoReply:
    """An ICMP echo reply that came back through the CHILD_SA."""

    src: str
    dst: str
    identifier: int
    sequence: int
    rtt: float                  # seconds from request to reply


def _in_any(address: str, selectors: Iterable[Any]) -> bool:
    """Whether ``address`` lies in one of the traffic selectors: CIDR or ``start-end`` strings, or
    objects with ``start``/``end`` (or ``start_address``/``end_address``) addresses."""
    ip = ipaddress.ip_address(address)
    for ts in selectors:
        start = getattr(ts, "start", None) or getattr(ts, "start_address", None)
        end = getattr(ts, "end", None) or getattr(ts, "end_address", None)
        if start is None or end is None:
            text = str(ts).split()[0] if str(ts).strip() else ""
            try:
                if "-" in text:
                    start, end = text.split("-", 1)
                else:
                    net = ipaddress.ip_network(text, strict=False)
                    start, end = net[0], net[-1]
            except ValueError:
                continue
        try:
            if ipaddress.ip_address(str(start)) <= ip <= ipaddress.ip_address(str(end)):
                return True
        except (ValueError, TypeError):
            continue
    return False


# ------------------------------------------------------------------------------------------------
# ESP through a CHILD_SA. The ESP code is vpnlearn.ipsec (seal/open); these helpers find the SA
# objects on a ChildSa and call them.


def _child_spi_in(child: Any) -> int:
    sa = child.inbound
    return int(sa.spi)


def esp_seal(child: Any, inner: bytes, now: float | None = None) -> bytes:
    """ESP-protect the inner IPv4 packet ``inner`` with the CHILD_SA's outbound SA (tunnel mode,
    Next Header 4): the ESP bytes (SPI .. ICV) that go into UDP port 4500 with no marker."""
    from vpnlearn.ipsec import esp as esp_mod  # RFC 4303 seal/open

    return esp_mod.seal(child.outbound, inner, PROTO_IPV4, now=now).data


def esp_open(child: Any, packet: bytes, now: float | None = None) -> bytes:
    """Check and decrypt an ESP packet with the CHILD_SA's inbound SA: the inner IPv4 packet.

    Raises the ESP module's errors (ICV, replay, malformed) for packets that do not verify."""
    from vpnlearn.ipsec import esp as esp_mod

    opened = esp_mod.open(child.inbound, packet, now=now)
    if opened.next_header != PROTO_IPV4:
        raise ConfigError(f"ESP Next Header {opened.next_header}, expected 4 (IPv4, tunnel mode)")
    return opened.payload


class UdpRunner:
    """Runs one sans-I/O IKE peer (``Initiator`` or ``Responder``) over real UDP sockets.

    ``local_ip`` is the address to bind ports 500 and 4500 on; ``remote_ip`` the peer's address
    (for a responder it is learnt from the first message when None). ``answer_echo`` makes the
    runner answer ICMP echo requests that arrive through a CHILD_SA for addresses inside its local
    traffic selectors. ``log`` receives one line per event (the CLI prints them).
    """

    def __init__(self, peer: Any, local_ip: str, remote_ip: str | None = None, *,
                 answer_echo: bool = True, recorder: Recorder | None = None,
                 log: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.peer = peer
        self.local_ip = local_ip
        self.remote_ip = remote_ip
        self.answer_echo = answer_echo
        self.recorder = recorder
        self.log = log or (lambda line: None)
        self.clock = clock
        self.events: list[Any] = []
        self.replies: list[EchoReply] = []
        self.echo_answered = 0
        self.esp_received = 0
        self.esp_sent = 0
        self.esp_dropped: list[str] = []
        self.send_errors: list[str] = []
        # CHILD_SAs seen established, by inbound SPI, with when they were last current: after a
        # rekey the peer may still send a few packets on the old SA (strongSwan switches its
        # outbound SA only once the old one is deleted), so the old inbound SA keeps decrypting
        # for RETIRED_GRACE seconds instead of dropping packets already in flight.
        self._seen_children: dict[int, tuple[Any, float]] = {}
        self._remote_port = IKE_PORT
        self._pending: dict[tuple[int, int], float] = {}
        self._sock500: socket.socket | None = None
        self._sock4500: socket.socket | None = None
        self._raw: socket.socket | None = None
        self.local_ts: list[Any] = list(getattr(getattr(peer, "config", None), "local_ts", ()) or ())
        self.keylog = KeyLog()

    # -- sockets ---------------------------------------------------------------------------------

    def open(self) -> UdpRunner:
        """Bind UDP 500 and 4500 on ``local_ip``."""
        socks = []
        try:
            for port in (IKE_PORT, NAT_T_PORT):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.local_ip, port))
                s.setblocking(False)
                socks.append(s)
        except OSError as exc:
            for s in socks:
                s.close()
            raise ConfigError(f"cannot bind UDP {self.local_ip}:{IKE_PORT}/{NAT_T_PORT}: {exc}") from exc
        self._sock500, self._sock4500 = socks
        # Plain ESP (IP protocol 50, RFC 4303) when no NAT is detected: a raw socket (root only).
        try:
            raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTO_ESP)
            raw.bind((self.local_ip, 0))
            raw.setblocking(False)
            self._raw = raw
        except OSError:
            self._raw = None
        return self

    def close(self) -> None:
        for s in (self._sock500, self._sock4500, self._raw):
            if s is not None:
                s.close()
        self._sock500 = self._sock4500 = self._raw = None

    def __enter__(self) -> UdpRunner:
        return self.open() if self._sock500 is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------------------------

    def _send_ike(self, data: bytes) -> None:
        if self.remote_ip is None:
            raise ConfigError("no remote address yet: nothing has been received")
        port = getattr(self.peer, "port", IKE_PORT)
        if port == NAT_T_PORT:
            payload = NON_ESP_MARKER + data
            sock, dst = self._sock4500, (self.remote_ip, NAT_T_PORT if self._remote_port == IKE_PORT
                                         else self._remote_port)
            src = (self.local_ip, NAT_T_PORT)
        else:
            payload = data
            sock, dst = self._sock500, (self.remote_ip, IKE_PORT)
            src = (self.local_ip, IKE_PORT)
        assert sock is not None, "runner not opened"
        self._sendto(sock, payload, dst)
        if self.recorder is not None:
            self.recorder.add(src, dst, payload, "ike")

    def _send_esp(self, packet: bytes, child: Any) -> None:
        """Send an ESP packet of ``child``: inside UDP 4500 when the CHILD_SA is UDP-encapsulated
        (NAT detected, RFC 3948), else as IP protocol 50 through the raw socket."""
        assert self._sock4500 is not None and self.remote_ip is not None
        sa = getattr(child, "outbound", None)
        if sa is not None and hasattr(sa, "udp_encap") and sa.udp_encap is None:
            if self._raw is None:
                raise ConfigError("the CHILD_SA uses plain ESP (IP protocol 50: no NAT was detected), which "
                                  "needs a raw socket (root); or make the peer force UDP encapsulation "
                                  "(strongSwan: encap = yes)")
            self._sendto(self._raw, packet, (self.remote_ip, 0))
            kind, src, dst = "esp-raw", (self.local_ip, 0), (self.remote_ip, 0)
        else:
            src, dst, kind = (self.local_ip, NAT_T_PORT), (self.remote_ip, NAT_T_PORT), "esp"
            self._sendto(self._sock4500, packet, dst)
        self.esp_sent += 1
        if self.recorder is not None:
            self.recorder.add(src, dst, packet, kind)

    def _sendto(self, sock: socket.socket, payload: bytes, dst: Address) -> None:
        """Send one datagram. A send error (network down, no route) is logged, not raised: UDP is
        unreliable anyway, and the peer's retransmission timer recovers a lost request."""
        try:
            sock.sendto(payload, dst)
        except OSError as exc:
            self.send_errors.append(f"{dst[0]}:{dst[1]}: {exc.strerror or exc}")
            self.log(f"send to {dst[0]}:{dst[1]} failed: {exc.strerror or exc}")

    def _handle(self, out: Any) -> None:
        self.keylog.snapshot(self.peer)
        for ev in getattr(out, "events", ()):
            self.events.append(ev)
            self.log(describe_event(ev))
        for data in getattr(out, "send", ()):
            self._send_ike(data)

    # -- the loop --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the exchange (initiator only): send IKE_SA_INIT."""
        if self.remote_ip is None:
            raise ConfigError("the initiator needs a remote address")
        out = self.peer.start(self.clock(), local=(self.local_ip, IKE_PORT),
                              remote=(self.remote_ip, IKE_PORT))
        self._handle(out)

    def request(self, method: str, *args: Any) -> None:
        """Start a request on the established IKE SA: ``"rekey_child"``, ``"rekey_ike"``,
        ``"delete_child"``, ``"delete_ike"``, ``"create_child"``, ``"liveness"``."""
        out = getattr(self.peer, method)(self.clock(), *args)
        self._handle(out)

    def step(self, timeout: float) -> None:
        """Wait at most ``timeout`` seconds for a datagram or the peer's timer, and handle it."""
        socks = [s for s in (self._sock500, self._sock4500, self._raw) if s is not None]
        if not socks:
            raise ConfigError("runner not opened")
        now = self.clock()
        timer = self.peer.next_timer()
        wait = max(0.0, timeout if timer is None else min(timeout, timer - now))
        readable, _, _ = select.select(socks, [], [], wait)
        for s in readable:
            while True:
                try:
                    data, addr = s.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionRefusedError:
                    continue
                if s is self._raw:
                    self._raw_esp(data)
                else:
                    self._datagram(s is self._sock4500, data, addr)
        timer = self.peer.next_timer()
        if timer is not None and self.clock() >= timer:
            self._handle(self.peer.tick(self.clock()))

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Run the loop until ``done()`` is true (returns True) or ``timeout`` seconds pass (False)."""
        deadline = self.clock() + timeout
        while not done():
            left = deadline - self.clock()
            if left <= 0:
                return False
            self.step(min(left, 0.2))
        return True

    def _datagram(self, on4500: bool, data: bytes, addr: Address) -> None:
        local_port = NAT_T_PORT if on4500 else IKE_PORT
        if self.remote_ip is None:
            self.remote_ip = addr[0]
        if addr[0] != self.remote_ip:
            self.log(f"ignored datagram from unknown peer {addr[0]}:{addr[1]}")
            return
        if on4500 and data == NAT_KEEPALIVE:
            if self.recorder is not None:
                self.recorder.add(addr, (self.local_ip, local_port), data, "keepalive")
            return
        if on4500 and len(data) >= 4 and data[:4] != NON_ESP_MARKER:
            if self.recorder is not None:
                self.recorder.add(addr, (self.local_ip, local_port), data, "esp")
            self._esp(data)
            return
        if self.recorder is not None:
            self.recorder.add(addr, (self.local_ip, local_port), data, "ike")
        message = data[4:] if on4500 else data
        self._remote_port = addr[1]
        out = self.peer.receive(message, self.clock(), local=(self.local_ip, local_port), remote=addr)
        self._handle(out)

    # -- ESP and ICMP ----------------------------------------------------------------------------

    def _raw_esp(self, data: bytes) -> None:
        """An IPv4 packet with protocol 50 from the raw socket (IP header included)."""
        if len(data) < 20 or data[9] != PROTO_ESP:
            return
        ihl = (data[0] & 0x0F) * 4
        src, dst = socket.inet_ntoa(data[12:16]), socket.inet_ntoa(data[16:20])
        if src != self.remote_ip or dst != self.local_ip:
            return
        if self.recorder is not None:
            self.recorder.add((src, 0), (dst, 0), data[ihl:], "esp-raw")
        self._esp(data[ihl:])

    def children(self) -> list[Any]:
        """The peer's established CHILD_SAs (newest last)."""
        current = list(getattr(self.peer, "child_sas", ()) or ())
        now = self.clock()
        for child in current:
            try:
                self._seen_children[_child_spi_in(child)] = (child, now)
            except AttributeError:
                continue
        return current

    def _child_for_spi(self, spi: int) -> Any | None:
        for child in self.children():
            try:
                if _child_spi_in(child) == spi:
                    return child
            except AttributeError:
                continue
        retired = self._seen_children.get(spi)
        if retired is not None and self.clock() - retired[1] <= RETIRED_GRACE:
            return retired[0]
        return None

    def _esp(self, packet: bytes) -> None:
        spi = int.from_bytes(packet[:4], "big")
        child = self._child_for_spi(spi)
        if child is None:
            self.esp_dropped.append(f"no CHILD_SA with inbound SPI 0x{spi:08x}")
            return
        try:
            inner = esp_open(child, packet)
            ip = IPv4.parse(inner, allow_trailing=True)
        except VpnlearnError as exc:
            self.esp_dropped.append(f"SPI 0x{spi:08x}: {exc}")
            self.log(f"dropped ESP packet, SPI 0x{spi:08x}: {exc}")
            return
        self.esp_received += 1
        if ip.protocol != PROTO_ICMP:
            return
        try:
            icmp = ICMP.parse(ip.payload)
        except VpnlearnError as exc:
            self.esp_dropped.append(f"inner ICMP: {exc}")
            return
        if icmp.type == ICMP_ECHO_REPLY:
            sent = self._pending.pop((icmp.identifier, icmp.sequence), None)
            if sent is not None:
                reply = EchoReply(ip.src, ip.dst, icmp.identifier, icmp.sequence, self.clock() - sent)
                self.replies.append(reply)
                self.log(f"echo reply from {ip.src}: icmp_seq={icmp.sequence} "
                         f"time={reply.rtt * 1000:.1f} ms")
        elif icmp.type == ICMP_ECHO_REQUEST and self.answer_echo and self._ours(ip.dst, child):
            answer = IPv4(ip.dst, ip.src, PROTO_ICMP, icmp.echo_reply().build())
            out_child = self._outbound_child(child)
            self._send_esp(esp_seal(out_child, answer.build()), out_child)
            self.echo_answered += 1

    def _outbound_child(self, child: Any) -> Any:
        """The CHILD_SA to answer on: the one the request came in on, unless it was rekeyed."""
        children = self.children()
        return child if child in children else children[-1]

    def _ours(self, address: str, child: Any) -> bool:
        selectors = getattr(child, "local_ts", None) or self.local_ts
        return _in_any(address, selectors)

    def send_echo(self, src: str, dst: str, identifier: int, sequence: int, payload: bytes = b"") -> None:
        """Send one ICMP echo request from ``src`` to ``dst`` through the newest CHILD_SA."""
        children = self.children()
        if not children:
            raise ConfigError("no CHILD_SA established: cannot send the echo request through a tunnel")
        child = children[-1]
        packet = icmp_echo(src, dst, identifier, sequence, payload).build()
        self._pending[(identifier, sequence)] = self.clock()
        self._send_esp(esp_seal(child, packet), child)

    def ping(self, dst: str, src: str, count: int = 3, *, interval: float = 0.2,
             timeout: float = 2.0) -> list[EchoReply]:
        """Send ``count`` echo requests through the tunnel and wait for the replies."""
        identifier = os.getpid() & 0xFFFF
        first = len(self.replies)
        for seq in range(1, count + 1):
            self.send_echo(src, dst, identifier, seq, b"vpnlearn ping " + seq.to_bytes(2, "big"))
            self.run_until(lambda: False, interval)
        wanted = first + count
        self.run_until(lambda: len(self.replies) >= wanted, timeout)
        return self.replies[first:]


RETIRED_GRACE = 5.0  # seconds an old CHILD_SA's inbound SA still decrypts after it was replaced


def describe_event(ev: Any) -> str:
    """One line for an event of :mod:`vpnlearn.ike.events` (its class name and its fields)."""
    name = type(ev).__name__
    fields = getattr(ev, "__dataclass_fields__", None)
    if not fields:
        return name
    parts = []
    for f in fields:
        if f == "child":
            continue
        v = getattr(ev, f)
        if isinstance(v, bytes):
            v = v.hex()
        parts.append(f"{f}={v}")
    return f"{name}({', '.join(parts)})"


# ------------------------------------------------------------------------------------------------
# pcap and Wireshark key tables (vpnlearn.pcap does the file formats)


def write_pcap(path: str | os.PathLike[str], datagrams: Iterable[Datagram]) -> None:
    """Write the datagrams as a classic pcap file (raw IPv4, see :mod:`vpnlearn.pcap`).

    Each record is an IPv4 + UDP packet (with a correct UDP checksum) carrying the payload exactly
    as it was on the wire, so Wireshark decodes IKE on 500, and non-ESP-marker IKE or ESP-in-UDP on
    4500.
    """
    from vpnlearn import pcap
    from vpnlearn.ipsec.packets import ipv4_udp

    packets = [((IPv4(d.src[0], d.dst[0], PROTO_ESP, d.payload).build() if d.kind == "esp-raw"
                 else ipv4_udp(d.src[0], d.dst[0], d.src[1], d.dst[1], d.payload).build()), d.time)
               for d in datagrams]
    pcap.write_pcap(path, packets)


def ike_sa_keys(ike_sa: Any) -> Any:
    """The Wireshark ``ikev2_decryption_table`` row (:class:`vpnlearn.pcap.IkeSaKey`) for an
    established IKE SA of the peer (``IkeSa``: ``spi_i``, ``spi_r``, ``chosen``, ``keys``)."""
    from vpnlearn import pcap
    from vpnlearn.crypto import suites

    keys, chosen = ike_sa.keys, ike_sa.chosen
    encr = suites.encryption(chosen.encr.name)
    integ = suites.integrity(chosen.integ.name) if getattr(chosen, "integ", None) is not None else None
    return pcap.IkeSaKey(bytes(ike_sa.spi_i), bytes(ike_sa.spi_r), encr, keys.SK_ei, keys.SK_er, integ,
                         keys.SK_ai or b"", keys.SK_ar or b"")


class KeyLog:
    """Remembers the keys of every IKE SA and CHILD_SA a peer had (SAs vanish after DELETE).

    ``ike`` and ``esp`` hold :class:`vpnlearn.pcap.IkeSaKey` / :class:`vpnlearn.pcap.EspSaKey` rows;
    ``ike_rfc`` every key of an IKE SA by its RFC 7296 name (hex), keyed by SPIi | SPIr.
    """

    def __init__(self) -> None:
        self.ike: dict[bytes, Any] = {}
        self.esp: dict[tuple[str, str, int], Any] = {}
        self.ike_rfc: dict[bytes, dict[str, str]] = {}

    def snapshot(self, peer: Any) -> None:
        """Record the keys of the peer's current IKE SA and CHILD_SAs."""
        from vpnlearn import pcap

        ike_sa = getattr(peer, "ike_sa", None)
        if ike_sa is not None and getattr(ike_sa, "keys", None) is not None:
            try:
                k = ike_sa_keys(ike_sa)
                self.ike[k.spi_i + k.spi_r] = k
                fields = getattr(ike_sa.keys, "__dataclass_fields__", {})
                self.ike_rfc[k.spi_i + k.spi_r] = {
                    f: getattr(ike_sa.keys, f).hex() for f in fields
                    if isinstance(getattr(ike_sa.keys, f), bytes)}
            except (AttributeError, VpnlearnError):
                pass
        for child in getattr(peer, "child_sas", ()) or ():
            for sa in (getattr(child, "inbound", None), getattr(child, "outbound", None)):
                if sa is None or getattr(sa, "encryption", None) is None:
                    continue
                try:
                    e = pcap.esp_sa_key(sa)
                except (AttributeError, VpnlearnError):
                    continue
                self.esp[(e.src, e.dst, e.spi)] = e


def write_key_tables(directory: str | os.PathLike[str], keylog: KeyLog) -> list[str]:
    """Write Wireshark 4.0's ``ikev2_decryption_table``, ``esp_sa`` and ``preferences`` into
    ``directory`` (with :func:`vpnlearn.pcap.write_key_tables`), and ``vpnlearn-keys.json``.

    Point Wireshark at them with ``WIRESHARK_CONFIG_DIR=directory``; the preferences turn on ESP
    decryption and the ICV check. ``vpnlearn-keys.json`` holds every key by its RFC 7296 name
    (SKEYSEED, SK_d ...) for learners and for comparing with another implementation. Returns the
    paths written.
    """
    import json

    from vpnlearn import pcap

    d = pcap.write_key_tables(directory, esp=keylog.esp.values(), ike=keylog.ike.values(),
                              preferences={"esp.enable_null_encryption_decode_heuristic": "FALSE"})
    all_path = os.path.join(d, "vpnlearn-keys.json")
    try:
        with open(all_path, "w") as f:
            json.dump({
                "ike_sas": [{"spi_i": spis[:8].hex(), "spi_r": spis[8:].hex(), **keys}
                            for spis, keys in keylog.ike_rfc.items()],
                "esp_sas": [{"src": e.src, "dst": e.dst, "spi": f"0x{e.spi:08x}",
                             "encryption": e.encryption.name, "enc_key": e.enc_key.hex(),
                             "integrity": e.integrity.name if e.integrity is not None else None,
                             "integ_key": e.integ_key.hex()}
                            for e in keylog.esp.values()],
            }, f, indent=2)
    except OSError as exc:
        raise ConfigError(f"cannot write {all_path}: {exc.strerror}") from exc
    return [os.path.join(d, n) for n in ("ikev2_decryption_table", "esp_sa", "preferences")] + [all_path]

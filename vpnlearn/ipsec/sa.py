"""A Security Association: everything one direction of ESP or AH traffic needs (RFC 4301 §4.4.2).

An SA is one-way: a tunnel has (at least) one outbound and one inbound SA, each with its own SPI and
keys. This object holds

* the SPI (RFC 4303 §2.1: 1-255 are reserved by IANA and 0 means "no SA"),
* the protocol (ESP or AH), the mode (tunnel or transport) and the tunnel endpoints,
* the algorithms, looked up in the one suite table :mod:`vpnlearn.crypto.suites`, and their keys
  (for AES-GCM and ChaCha20-Poly1305 the keying material is the key followed by a 4-byte salt:
  RFC 4106 §8.1, RFC 7634 §4),
* the sequence number counter, 32-bit or Extended (64-bit ESN, RFC 4303 §2.2.1),
* the anti-replay window (inbound; :mod:`vpnlearn.ipsec.replay`),
* lifetimes in seconds, bytes and packets with soft and hard limits (RFC 4301 §4.4.2.1), and the
  events raised when one is reached,
* counters a learner can watch.

The easy path is the safe path: ``SecurityAssociation(spi)`` is ESP with AES-GCM-128 (16-byte ICV)
and fresh random keys. Weak choices (HMAC-SHA1-96, short GCM ICVs, no integrity) still work
because a learner must see them, but they warn with :class:`WeakAlgorithmWarning`.

Time is never read from a clock: operations take ``now`` (seconds, any origin) from the caller.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import Enum

from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError, LifetimeExpired
from vpnlearn.ipsec.natt import UdpEncap
from vpnlearn.ipsec.packets import ipv4_bytes
from vpnlearn.ipsec.replay import DEFAULT_WINDOW, ReplayWindow
from vpnlearn.rand import RandomSource, resolve

DEFAULT_ENCRYPTION = "aes128gcm16"
"""ESP's default: AES-GCM with a 128-bit key and a 16-byte ICV (RFC 4106; RFC 8221 §5 MUST)."""

SPI_RESERVED_MAX = 255
"""SPIs 1-255 are reserved by IANA for future use; 0 is reserved for local use (RFC 4303 §2.1)."""


class WeakAlgorithmWarning(UserWarning):
    """An SA uses an algorithm that works but that current guidance (RFC 8221) advises against."""


class Protocol(str, Enum):
    """Which IPsec protocol the SA is for."""

    ESP = "esp"   # RFC 4303, IP protocol 50
    AH = "ah"     # RFC 4302, IP protocol 51


class Mode(str, Enum):
    """Tunnel mode wraps a whole IP packet; transport mode protects only the payload (RFC 4301 §4.1)."""

    TUNNEL = "tunnel"
    TRANSPORT = "transport"


class Direction(str, Enum):
    """An SA protects traffic in one direction only."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


@dataclass(frozen=True)
class Lifetime:
    """Soft and hard limits (RFC 4301 §4.4.2.1). ``None`` means no limit of that kind.

    At a soft limit the SA should be rekeyed (an event is recorded); at a hard limit it must not be
    used any more (:class:`~vpnlearn.errors.LifetimeExpired`). AWS's Phase 2 default is 3600 s
    with a 270 s rekey margin (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
    API_VpnTunnelOptionsSpecification.html), i.e. soft_seconds=3330, hard_seconds=3600.
    """

    soft_seconds: float | None = None
    hard_seconds: float | None = None
    soft_bytes: int | None = None
    hard_bytes: int | None = None
    soft_packets: int | None = None
    hard_packets: int | None = None

    def __post_init__(self) -> None:
        for kind in ("seconds", "bytes", "packets"):
            soft, hard = getattr(self, f"soft_{kind}"), getattr(self, f"hard_{kind}")
            for name, v in ((f"soft_{kind}", soft), (f"hard_{kind}", hard)):
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0):
                    raise ConfigError(f"lifetime {name} must be a positive number or None, not {v!r}")
            if soft is not None and hard is not None and soft > hard:
                raise ConfigError(f"lifetime soft_{kind} ({soft}) is after hard_{kind} ({hard})")

    @classmethod
    def aws_phase2(cls) -> Lifetime:
        """AWS's Phase 2 defaults: hard 3600 s, rekey (soft) 270 s earlier."""
        return cls(soft_seconds=3600 - 270, hard_seconds=3600)


@dataclass(frozen=True)
class LifetimeEvent:
    """A soft or hard lifetime limit was reached."""

    spi: int
    limit: str        # "soft" or "hard"
    kind: str         # "seconds", "bytes" or "packets"
    value: float
    threshold: float

    def __str__(self) -> str:
        action = "rekey now" if self.limit == "soft" else "SA must not be used any more"
        return (f"SA 0x{self.spi:08x}: {self.limit} lifetime reached: {self.kind} {self.value:g} "
                f">= {self.threshold:g} ({action})")


@dataclass
class Counters:
    """What happened on this SA (what `ip -s xfrm state` or `swanctl --list-sas` would show)."""

    packets: int = 0
    bytes: int = 0
    auth_failures: int = 0
    replay_drops: int = 0
    parse_errors: int = 0


def _weak(message: str) -> None:
    warnings.warn(message, WeakAlgorithmWarning, stacklevel=3)


class SecurityAssociation:
    """One direction of ESP or AH traffic: SPI, algorithms, keys, counters, replay window, lifetimes.

    ``encryption`` and ``integrity`` are names (any alias) or entries of the suite table; ESP's
    default is AES-GCM-128 with a 16-byte ICV, AH's HMAC-SHA2-256-128. With an
    AEAD cipher (AES-GCM, ChaCha20-Poly1305) there is no separate integrity algorithm. For ESP with
    AES-CBC, ``integrity`` must be given (``"none"`` explicitly asks for confidentiality without
    integrity, which RFC 8221 §5 forbids for real use: it warns). AH uses ``integrity`` only.

    ``enc_key`` is the encryption keying material (cipher key, followed for AEADs by the 4-byte
    salt); ``integ_key`` the HMAC key. Missing keys are drawn from ``rng`` (real randomness if
    ``None``; a :class:`~vpnlearn.rand.DemoRandom` in notebooks).
    """

    def __init__(
        self,
        spi: int,
        *,
        protocol: Protocol | str = Protocol.ESP,
        encryption: str | suites.EncryptionAlg | None = None,
        integrity: str | suites.IntegrityAlg | None = None,
        enc_key: bytes | None = None,
        integ_key: bytes | None = None,
        mode: Mode | str = Mode.TUNNEL,
        direction: Direction | str = Direction.OUTBOUND,
        tunnel_src: str | None = None,
        tunnel_dst: str | None = None,
        esn: bool = False,
        replay_window: int = DEFAULT_WINDOW,
        lifetime: Lifetime | None = None,
        created: float = 0.0,
        udp_encap: UdpEncap | None = None,
        rng: RandomSource | None = None,
    ) -> None:
        if isinstance(spi, bool) or not isinstance(spi, int) or not 0 <= spi <= 0xFFFFFFFF:
            raise ConfigError(f"SPI {spi!r} must be an integer 0..0xFFFFFFFF (32 bits, RFC 4303 §2.1)")
        if spi == 0:
            raise ConfigError("SPI 0 is reserved for local use and never sent (RFC 4303 §2.1)")
        if spi <= SPI_RESERVED_MAX:
            raise ConfigError(f"SPI {spi} is in 1..255, reserved by IANA for future use (RFC 4303 §2.1)")
        self.spi = spi
        self.protocol = _enum(Protocol, protocol, "protocol")
        self.mode = _enum(Mode, mode, "mode")
        self.direction = _enum(Direction, direction, "direction")
        self.rng = rng

        # Algorithms, from the suite table.
        if self.protocol is Protocol.AH:
            if encryption is not None:
                raise ConfigError("AH authenticates only: it has no encryption algorithm (RFC 4302 §1)")
            self.encryption: suites.EncryptionAlg | None = None
            self.integrity: suites.IntegrityAlg | None = _integrity(integrity or "sha256")
        else:
            if encryption is None:
                encryption = DEFAULT_ENCRYPTION
            self.encryption = (encryption if isinstance(encryption, suites.EncryptionAlg)
                               else suites.encryption(encryption))
            if self.encryption.aead:
                if integrity not in (None, "none"):
                    raise ConfigError(f"{self.encryption.name} is an AEAD: it authenticates by itself, so "
                                      f"integrity must be None, not {integrity!r} (RFC 4106 §3, RFC 7634 §2)")
                self.integrity = None
            elif integrity is None:
                raise ConfigError(f"ESP with {self.encryption.name} needs an integrity algorithm (e.g. "
                                  "'sha256'); pass integrity='none' to see confidentiality without "
                                  "integrity, which RFC 8221 §5 forbids for real use")
            elif integrity == "none":
                _weak(f"ESP with {self.encryption.name} and no integrity: anyone can change the packets "
                      "undetected (RFC 8221 §5 says MUST NOT)")
                self.integrity = None
            else:
                self.integrity = _integrity(integrity)
            if self.encryption.weak:
                _weak(f"{self.encryption.name}: {self.encryption.weak_reason}")
        if self.integrity is not None and self.integrity.weak:
            _weak(f"{self.integrity.name}: {self.integrity.weak_reason}")

        # Keys.
        source = resolve(rng)
        if self.encryption is not None:
            need = self.encryption.keymat_bytes
            if enc_key is None:
                enc_key = source.random_bytes(need)
            enc_key = bytes(enc_key)
            if len(enc_key) != need:
                salt = (f" ({self.encryption.key_bytes}-byte key followed by the {self.encryption.salt_bytes}"
                        "-byte salt: RFC 4106 §8.1 / RFC 7634 §4)") if self.encryption.salt_bytes else ""
                raise ConfigError(f"enc_key for {self.encryption.name} must be {need} bytes{salt}, "
                                  f"not {len(enc_key)}")
        elif enc_key is not None:
            raise ConfigError("enc_key given but this SA has no encryption algorithm")
        if self.integrity is not None:
            need = self.integrity.key_bytes
            if integ_key is None:
                integ_key = source.random_bytes(need)
            integ_key = bytes(integ_key)
            if len(integ_key) != need:
                raise ConfigError(f"integ_key for {self.integrity.name} must be {need} bytes "
                                  f"(RFC 4868 §2.1.1 / RFC 2404 §3), not {len(integ_key)}")
        elif integ_key is not None:
            raise ConfigError("integ_key given but this SA has no separate integrity algorithm")
        self.enc_key = enc_key or b""
        self.integ_key = integ_key or b""

        # Tunnel endpoints.
        if self.mode is Mode.TUNNEL:
            if tunnel_src is None or tunnel_dst is None:
                raise ConfigError("a tunnel-mode SA needs tunnel_src and tunnel_dst (the outer addresses)")
            ipv4_bytes(tunnel_src, what="tunnel_src")
            ipv4_bytes(tunnel_dst, what="tunnel_dst")
        self.tunnel_src = tunnel_src
        self.tunnel_dst = tunnel_dst
        if udp_encap is not None and not isinstance(udp_encap, UdpEncap):
            raise ConfigError(f"udp_encap must be a UdpEncap, not {type(udp_encap).__name__}")
        if udp_encap is not None and self.protocol is Protocol.AH:
            raise ConfigError("AH cannot be UDP-encapsulated: NAT-T (RFC 3948) is for ESP only")
        self.udp_encap = udp_encap

        # Sequence numbers and the replay window.
        self.esn = bool(esn)
        self.seq = 0                      # last sequence number sent (outbound)
        where = "AH header" if self.protocol is Protocol.AH else "ESP header"
        self.replay = ReplayWindow(replay_window, esn=self.esn, where=where)

        # Lifetimes and counters.
        self.lifetime = lifetime or Lifetime()
        lt = self.lifetime
        # True when no packet or byte limit is set: then counting is all record() has to do.
        self._count_only = (lt.soft_packets is None and lt.hard_packets is None and lt.soft_bytes is None
                            and lt.hard_bytes is None)
        self.created = float(created)
        self.events: list[LifetimeEvent] = []
        self.counters = Counters()
        self._fired: set[tuple[str, str]] = set()
        self._expired: LifetimeEvent | None = None
        self._crypto: object = None        # per-SA cipher objects, built once by esp.py / ah.py
        # The next packet and byte counts at which a limit not yet reached fires: below both,
        # record() has nothing to check (it runs for every packet).
        self._next_packets = self._next_limit("packets")
        self._next_bytes = self._next_limit("bytes")

    # -- sequence numbers --------------------------------------------------------------------------

    @property
    def seq_max(self) -> int:
        """The last sequence number that may be sent before the SA must be replaced (RFC 4303 §3.3.3)."""
        return (1 << 64) - 1 if self.esn else (1 << 32) - 1

    def next_seq(self) -> int:
        """Advance the outbound counter and return the new (full) sequence number.

        The counter never cycles (RFC 4303 §3.3.3): after ``seq_max`` the SA is dead and a new one
        must be negotiated.
        """
        if self.seq >= self.seq_max:
            raise LifetimeExpired(f"SA 0x{self.spi:08x}: sequence number {self.seq} is the last one "
                                  f"({'64' if self.esn else '32'}-bit); it must not cycle: rekey "
                                  "(RFC 4303 §3.3.3)")
        self.seq += 1
        return self.seq

    # -- lifetimes ---------------------------------------------------------------------------------

    def poll(self, now: float | None) -> list[LifetimeEvent]:
        """Check the time limits at ``now``; return the events that are new (soft or hard)."""
        if now is None:
            return []
        return self._limits("seconds", float(now) - self.created)

    def _limits(self, kind: str, value: float) -> list[LifetimeEvent]:
        new = []
        for limit in ("soft", "hard"):
            threshold = getattr(self.lifetime, f"{limit}_{kind}")
            if threshold is not None and value >= threshold and (limit, kind) not in self._fired:
                self._fired.add((limit, kind))
                event = LifetimeEvent(self.spi, limit, kind, value, threshold)
                self.events.append(event)
                new.append(event)
                if limit == "hard" and self._expired is None:
                    self._expired = event
        return new

    def _next_limit(self, kind: str) -> float:
        """The lowest soft or hard ``kind`` threshold that has not fired yet (infinity if none)."""
        pending = [t for limit in ("soft", "hard")
                   if (t := getattr(self.lifetime, f"{limit}_{kind}")) is not None
                   and (limit, kind) not in self._fired]
        return min(pending, default=float("inf"))

    @property
    def expired(self) -> bool:
        """True once a hard limit was reached."""
        return self._expired is not None

    def check_usable(self, now: float | None = None) -> None:
        """Raise :class:`LifetimeExpired` if a hard limit was reached (by now or by earlier use)."""
        self.poll(now)
        if self._expired is not None:
            raise LifetimeExpired(str(self._expired))

    def record(self, nbytes: int) -> list[LifetimeEvent]:
        """Count one packet of ``nbytes`` (protected payload bytes); return new lifetime events."""
        c = self.counters
        c.packets += 1
        c.bytes += nbytes
        if self._count_only or (c.packets < self._next_packets and c.bytes < self._next_bytes):
            return []
        events = self._limits("packets", c.packets) + self._limits("bytes", c.bytes)
        self._next_packets = self._next_limit("packets")
        self._next_bytes = self._next_limit("bytes")
        return events

    def peer(self, *, replay_window: int | None = None) -> SecurityAssociation:
        """The matching SA at the other end: same SPI, algorithms, keys and mode, opposite direction.

        What IKE installs on the receiver for the packets this SA sends (and vice versa).
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WeakAlgorithmWarning)
            return SecurityAssociation(
                self.spi, protocol=self.protocol,
                encryption=self.encryption if self.protocol is Protocol.ESP else None,
                integrity=self.integrity if self.integrity is not None or self.encryption is None
                or self.encryption.aead else "none",
                enc_key=self.enc_key or None, integ_key=self.integ_key or None, mode=self.mode,
                direction=(Direction.INBOUND if self.direction is Direction.OUTBOUND
                           else Direction.OUTBOUND),
                tunnel_src=self.tunnel_src, tunnel_dst=self.tunnel_dst, esn=self.esn,
                replay_window=self.replay.size if replay_window is None else replay_window,
                lifetime=self.lifetime, created=self.created, udp_encap=self.udp_encap, rng=self.rng)

    # -- description -------------------------------------------------------------------------------

    @property
    def suite_name(self) -> str:
        """strongSwan-style name of the algorithms, e.g. ``aes128gcm16`` or ``aes128-sha256``."""
        parts = [self.encryption.strongswan] if self.encryption else []
        if self.integrity is not None:
            parts.append(self.integrity.strongswan)
        return "-".join(parts) or "null"

    def __repr__(self) -> str:
        where = f", {self.tunnel_src} -> {self.tunnel_dst}" if self.mode is Mode.TUNNEL else ""
        encap = f", UDP {self.udp_encap.src_port}->{self.udp_encap.dst_port}" if self.udp_encap else ""
        return (f"SecurityAssociation(spi=0x{self.spi:08x}, {self.protocol.value}, {self.suite_name}, "
                f"{self.mode.value}{where}{encap}, {self.direction.value}, esn={self.esn}, seq={self.seq})")


def _enum(cls: type[Enum], value: object, what: str):  # type: ignore[no-untyped-def]
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)  # type: ignore[attr-defined]
        raise ConfigError(f"{what} must be one of {choices}, not {value!r}") from None


def _integrity(value: str | suites.IntegrityAlg) -> suites.IntegrityAlg:
    return value if isinstance(value, suites.IntegrityAlg) else suites.integrity(value)

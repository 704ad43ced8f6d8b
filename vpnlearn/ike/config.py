"""One side's IKE configuration (:class:`IkeConfig`): identities, credentials, proposals, selectors."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509

from vpnlearn.errors import ConfigError
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.auth import (
    CertCredentials,
    Identity,
)
from vpnlearn.ike.payloads import TrafficSelector

# --- configuration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IkeConfig:
    """One side's IKE configuration (strongSwan-like).

    Authenticate with ``psk`` or with ``certificate`` + ``private_key`` (+ ``signature_scheme``,
    see :class:`vpnlearn.ike.auth.CertCredentials`); ``trust`` lists the CA certificates we accept
    for the peer. ``validation_time`` is the time certificates must be valid at (no clock is read;
    None skips the validity-period check). Proposals use strongSwan syntax; the first DH group of the
    first IKE proposal goes into KEi. An ESP proposal with a DH group asks for PFS in CREATE_CHILD_SA.
    ``force_encap`` (default off) puts ESP in UDP 4500 even without a NAT, like strongSwan's
    ``encap = yes``: our NAT_DETECTION_SOURCE_IP carries a random hash that never matches, so the
    peer believes a NAT is in the way (RFC 7296 §2.23 lets a host fake NAT detection this way).
    """

    local_id: Identity
    remote_id: Identity | None = None
    psk: bytes | None = None
    certificate: x509.Certificate | None = None
    private_key: object = None
    signature_scheme: str = ""
    trust: tuple[x509.Certificate, ...] | list[x509.Certificate] = ()
    validation_time: datetime.datetime | None = None
    ike_proposals: tuple[str, ...] = ("aes128gcm16-prfsha256-x25519",)
    esp_proposals: tuple[str, ...] = ("aes128gcm16",)
    local_ts: tuple[TrafficSelector, ...] = ()
    remote_ts: tuple[TrafficSelector, ...] = ()
    mode: str = "tunnel"
    retransmit_timeout: float = 2.0
    retransmit_tries: int = 5
    cookie_threshold: int = 10
    half_open_limit: int = 50
    initial_contact: bool = True
    force_encap: bool = False

    def __post_init__(self) -> None:
        if self.psk is None and (self.certificate is None or self.private_key is None):
            raise ConfigError("IkeConfig needs psk=... or certificate=... and private_key=...")
        if not self.ike_proposals or not self.esp_proposals:
            raise ConfigError("IkeConfig needs at least one IKE and one ESP proposal")
        for text, ike in [(p, True) for p in self.ike_proposals] + [(p, False) for p in self.esp_proposals]:
            # Raises ConfigError for a bad proposal, and for 3DES, which is known only so that it can
            # be named and refused (AWS answers "No Proposal Match Found", https://docs.aws.amazon.com/
            # vpn/latest/s2svpn/log-contents.html; vpnlearn.crypto.suites.REFUSED_ENCRYPTION).
            alg.parse_proposal(text, ike=ike)
        if not self.local_ts or not self.remote_ts:
            raise ConfigError("IkeConfig needs local_ts and remote_ts (traffic selectors)")
        if self.mode not in ("tunnel", "transport"):
            raise ConfigError(f"mode must be 'tunnel' or 'transport', not {self.mode!r}")
        if self.retransmit_tries < 1 or self.retransmit_timeout <= 0:
            raise ConfigError("retransmit_tries must be >= 1 and retransmit_timeout > 0")
        if not 0 <= self.cookie_threshold <= self.half_open_limit:
            raise ConfigError("need 0 <= cookie_threshold <= half_open_limit")

    @property
    def ike_suites(self) -> list[alg.Suite]:
        return [alg.parse_proposal(p, ike=True) for p in self.ike_proposals]

    @property
    def esp_suites(self) -> list[alg.Suite]:
        return [alg.parse_proposal(p, ike=False) for p in self.esp_proposals]

    @property
    def cert_credentials(self) -> CertCredentials | None:
        if self.psk is not None or self.certificate is None:
            return None
        return CertCredentials(self.certificate, self.private_key, self.signature_scheme)

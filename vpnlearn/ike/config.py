"""One side's IKE configuration (:class:`IkeConfig`): identities, credentials, proposals, selectors."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vpnlearn.errors import ConfigError
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.auth import (
    CertCredentials,
    Identity,
)
from vpnlearn.ike.payloads import TrafficSelector


def _shown(value: object, *, secret: bool = False) -> str:
    """``int 42``: a wrong value and its type for an error message (a secret's content is not shown)."""
    if secret and isinstance(value, (bytes, bytearray, str)):
        return f"{type(value).__name__} of length {len(value)}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


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

    Every field is checked when the config is made: a value of the wrong type (``ike_proposals=42``,
    ``psk="text"``, ``local_ts="10.0.0.0/24"``) is a ``ConfigError`` naming the field.
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
        self._check_types()
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

    def _check_types(self) -> None:
        """ConfigError naming the field for a value of the wrong type (before anything uses it).

        Lists are accepted where a tuple is expected and stored as tuples (the config stays hashable);
        a bytearray PSK is stored as bytes.
        """
        for name, optional in (("local_id", False), ("remote_id", True)):
            value = getattr(self, name)
            if not (isinstance(value, Identity) or (optional and value is None)):
                raise ConfigError(
                    f"IkeConfig.{name} must be an Identity{' or None' if optional else ''} "
                    f"(e.g. Identity.fqdn('vpn.example.com')), not {_shown(value)}"
                )
        if isinstance(self.psk, bytearray):
            object.__setattr__(self, "psk", bytes(self.psk))
        if self.psk is not None and not isinstance(self.psk, bytes):
            hint = " (write b'...' or '...'.encode())" if isinstance(self.psk, str) else ""
            shown = _shown(self.psk, secret=True)
            raise ConfigError(f"IkeConfig.psk must be bytes or None, not {shown}{hint}")
        if self.certificate is not None and not isinstance(self.certificate, x509.Certificate):
            raise ConfigError(
                "IkeConfig.certificate must be a cryptography x509.Certificate (load PEM with "
                f"x509.load_pem_x509_certificate), not {_shown(self.certificate)}"
            )
        if self.private_key is not None and not isinstance(
            self.private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)
        ):
            raise ConfigError(
                "IkeConfig.private_key must be an RSA or EC private key object of cryptography (load PEM "
                f"with serialization.load_pem_private_key), not {_shown(self.private_key)}"
            )
        if not isinstance(self.signature_scheme, str):
            raise ConfigError(
                f"IkeConfig.signature_scheme must be a str, not {_shown(self.signature_scheme)}"
            )
        if self.validation_time is not None and not isinstance(self.validation_time, datetime.datetime):
            raise ConfigError(
                "IkeConfig.validation_time must be a datetime.datetime or None, "
                f"not {_shown(self.validation_time)}"
            )
        example_ts = "(TrafficSelector.subnet('10.98.1.0/24'),)"
        for name, item, what, example in (
            ("trust", x509.Certificate, "x509.Certificate", "[ca_certificate]"),
            ("ike_proposals", str, "proposal strings", "('aes128gcm16-prfsha256-x25519',)"),
            ("esp_proposals", str, "proposal strings", "('aes128gcm16',)"),
            ("local_ts", TrafficSelector, "TrafficSelector", example_ts),
            ("remote_ts", TrafficSelector, "TrafficSelector", example_ts),
        ):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)):
                raise ConfigError(
                    f"IkeConfig.{name} must be a tuple (or list) of {what}, e.g. {example}, "
                    f"not {_shown(value)}"
                )
            for i, x in enumerate(value):
                if not isinstance(x, item):
                    raise ConfigError(f"IkeConfig.{name}[{i}] must be a {item.__name__}, not {_shown(x)}")
            object.__setattr__(self, name, tuple(value))
        for name, kinds, what in (
            ("mode", (str,), "a str"),
            ("retransmit_timeout", (int, float), "a number of seconds"),
            ("retransmit_tries", (int,), "an int"),
            ("cookie_threshold", (int,), "an int"),
            ("half_open_limit", (int,), "an int"),
            ("initial_contact", (bool,), "a bool"),
            ("force_encap", (bool,), "a bool"),
        ):
            value = getattr(self, name)
            if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
                raise ConfigError(f"IkeConfig.{name} must be {what}, not {_shown(value)}")

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

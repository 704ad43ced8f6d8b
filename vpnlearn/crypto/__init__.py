"""vpnlearn.crypto: the algorithm table, Diffie-Hellman groups and PRFs used by IKEv2 and ESP.

- :mod:`vpnlearn.crypto.suites`: ONE table of encryption, integrity, PRF and DH-group transforms
  (IANA IDs, key/IV/ICV sizes, AWS / strongSwan / Wireshark names, weak flags) and a parser for
  strongSwan proposal strings.
- :mod:`vpnlearn.crypto.dh`: the DH groups themselves (MODP, ECP, Curve25519) in IKEv2's KE format.
- :mod:`vpnlearn.crypto.prf`: ``prf``, ``prf_plus`` (RFC 7296 §2.13) and truncated-HMAC ICVs.

Everything uses the ``cryptography`` package's primitives; nothing here is home-made crypto.
"""

from vpnlearn.crypto.suites import (
    DH_GROUPS,
    ENCRYPTION,
    INTEGRITY,
    PRF,
    DHGroup,
    EncryptionAlg,
    IntegrityAlg,
    PrfAlg,
    Proposal,
    dh_group,
    encryption,
    integrity,
    parse_proposal,
    prf,
    prf_for_integrity,
)

__all__ = [
    "DH_GROUPS",
    "ENCRYPTION",
    "INTEGRITY",
    "PRF",
    "DHGroup",
    "EncryptionAlg",
    "IntegrityAlg",
    "PrfAlg",
    "Proposal",
    "dh_group",
    "encryption",
    "integrity",
    "parse_proposal",
    "prf",
    "prf_for_integrity",
]

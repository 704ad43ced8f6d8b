"""vpnlearn.crypto: the algorithm table, Diffie-Hellman groups and PRFs used by IKEv2 and ESP.

Three modules, imported as modules (``from vpnlearn.crypto import suites, dh, prf``):

- :mod:`vpnlearn.crypto.suites`: ONE table of encryption, integrity, PRF and DH-group transforms
  (IANA IDs, key/IV/ICV sizes, AWS / strongSwan / Wireshark names, weak flags), lookups by any
  name (``suites.encryption("AES128-GCM-16")``, ``suites.integrity("sha256")``,
  ``suites.prf("prfsha256")``, ``suites.dh_group(14)``) and a parser for strongSwan proposal
  strings (``suites.parse_proposal("aes128gcm16-prfsha256-x25519")``).
- :mod:`vpnlearn.crypto.dh`: the DH groups themselves (MODP, ECP, Curve25519) in IKEv2's KE format:
  ``dh.group(31).generate(rng)``, ``key.public_bytes()``, ``key.exchange(peer_public)``.
- :mod:`vpnlearn.crypto.prf`: ``prf.prf``, ``prf.prf_plus`` (RFC 7296 §2.13) and truncated-HMAC
  ICVs (``prf.integrity_icv``, ``prf.verify_icv``).

The most used names are also here: the lookups, the table types, ``parse_proposal``,
``prf_plus``, ``integrity_icv`` and ``verify_icv``. (The PRF lookup is ``suites.prf`` and the PRF
itself is ``prf.prf``; neither is re-exported, so that ``vpnlearn.crypto.prf`` is the module.)

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
    "dh",
    "dh_group",
    "encryption",
    "integrity",
    "integrity_icv",
    "parse_proposal",
    "prf",
    "prf_for_integrity",
    "prf_plus",
    "suites",
    "verify_icv",
]


def __getattr__(name: str) -> object:
    # dh/prf are imported on first use so that `import vpnlearn.crypto` stays light.
    if name in ("dh", "prf", "suites"):
        import importlib

        return importlib.import_module(f"vpnlearn.crypto.{name}")
    if name in ("prf_plus", "integrity_icv", "verify_icv"):
        from vpnlearn.crypto import prf as _prf

        return getattr(_prf, name)
    raise AttributeError(f"module 'vpnlearn.crypto' has no attribute {name!r}")

"""The certificates of a Client VPN endpoint with mutual authentication, built with ``cryptography``.

What the easy-rsa walk-through in AWS's guide makes (a CA, a server certificate, client
certificates, a CRL), with the extensions OpenVPN and AWS expect:

* CA: ``basicConstraints CA:TRUE`` (critical), ``keyUsage keyCertSign, cRLSign`` (critical), SKI.
* server: ``basicConstraints CA:FALSE``, ``keyUsage digitalSignature, keyEncipherment``,
  ``extendedKeyUsage serverAuth``, ``subjectAltName DNS:<server name>``, SKI, AKI.
* client: ``basicConstraints CA:FALSE``, ``keyUsage digitalSignature``,
  ``extendedKeyUsage clientAuth``, a CN in the Subject, SKI, AKI.

Dates are always passed in (the library never reads a clock). With ``rng=DemoRandom(...)`` the
private keys and serial numbers are derived from the seed, so a notebook prints the same PEMs on
every run (RSA signatures are deterministic). Demo keys are predictable: never use them for real.

:func:`check_certificate` and :func:`check_crl` report, as findings, what OpenVPN does *not*
check (the SAN, the exact keyUsage bits, the CA's basicConstraints) plus AWS's key-type rule.
:func:`mutual_tls_check` runs a real TLS handshake on 127.0.0.1 with Python's ``ssl`` module (the
one piece of this module that opens a socket; it is a thin runner over the objects above).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vpnlearn.aws.clientvpn import MAX_CRL_ENTRIES, Finding, finding
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom, RandomSource, random_int

KeyType = Literal["rsa1024", "rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Role = Literal["ca", "server", "client"]

#: Key types AWS accepts for mutual authentication (aws-facts §3.4, UG-2023; UNCONFIRMED later change).
AWS_MUTUAL_KEY_TYPES: tuple[str, ...] = ("rsa1024", "rsa2048")
_RSA_BITS = {"rsa1024": 1024, "rsa2048": 2048, "rsa3072": 3072, "rsa4096": 4096}
_CURVES = {"ec-p256": ec.SECP256R1(), "ec-p384": ec.SECP384R1()}


# --------------------------------------------------------------------------------------------------
# Keys: real (OpenSSL) or deterministic from a DemoRandom
# --------------------------------------------------------------------------------------------------

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _is_probable_prime(n: int, rng: RandomSource, rounds: int = 5) -> bool:
    # 5 rounds: FIPS 186-4 Table C.2 for the 1024-bit primes of RSA-2048 (error < 2^-100).
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = random_int(rng, 2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _demo_prime(bits: int, rng: RandomSource, e: int) -> int:
    while True:
        cand = int.from_bytes(rng.random_bytes(bits // 8), "big")
        cand |= (3 << (bits - 2)) | 1  # top two bits set: p*q has exactly 2*bits bits
        if (cand - 1) % e and _is_probable_prime(cand, rng):
            return cand


def generate_key(key_type: KeyType = "rsa2048", rng: RandomSource | None = None) -> PrivateKey:
    """A private key. ``rng=None``: OpenSSL's generator. A deterministic ``rng``: derived from it.

    The deterministic path draws RSA primes from ``rng`` (Miller-Rabin) and builds the key with
    ``cryptography``'s ``RSAPrivateNumbers``; EC keys use ``ec.derive_private_key``. For teaching.
    """
    if key_type not in _RSA_BITS and key_type not in _CURVES:
        raise ConfigError(f"key_type: unknown {key_type!r}; one of {', '.join([*_RSA_BITS, *_CURVES])}")
    deterministic = rng is not None and getattr(rng, "deterministic", False)
    if key_type in _CURVES:
        curve = _CURVES[key_type]
        if not deterministic:
            return ec.generate_private_key(curve)
        order = {"ec-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
                 "ec-p384": int("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
                                "581a0db248b0a77aecec196accc52973", 16)}[key_type]
        return ec.derive_private_key(random_int(rng, 1, order - 1), curve)
    bits = _RSA_BITS[key_type]
    e = 65537
    if not deterministic:
        return rsa.generate_private_key(public_exponent=e, key_size=bits)
    assert rng is not None
    cache_key = _cache_key(rng, key_type)
    if cache_key is not None and cache_key in _KEY_CACHE:
        return _KEY_CACHE[cache_key]
    while True:
        p = _demo_prime(bits // 2, rng, e)
        q = _demo_prime(bits // 2, rng, e)
        if p != q and (p * q).bit_length() == bits:
            break
    if p < q:
        p, q = q, p
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q))
    key = numbers.private_key()
    if cache_key is not None:
        _KEY_CACHE[cache_key] = key
    return key


# Demo keys are a pure function of (seed, label, key type) when drawn from a fresh DemoRandom
# stream (``DemoRandom.child`` gives one per key): re-running a notebook cell reuses them.
_KEY_CACHE: dict[tuple[object, ...], PrivateKey] = {}


def _cache_key(rng: RandomSource, key_type: str) -> tuple[object, ...] | None:
    if not isinstance(rng, DemoRandom) or rng._counter != 0 or rng._pool:
        return None
    return (repr(rng.seed), rng.label, key_type)


def _serial(rng: RandomSource | None) -> int:
    if rng is None:
        return x509.random_serial_number()
    return random_int(rng, 1, (1 << 159) - 1)


def _child(rng: RandomSource | None, label: str) -> RandomSource | None:
    child = getattr(rng, "child", None)
    return child(label) if child is not None else rng


# --------------------------------------------------------------------------------------------------
# Issued certificates, the CA
# --------------------------------------------------------------------------------------------------


@dataclass
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: PrivateKey

    @property
    def common_name(self) -> str:
        """The Subject CN (empty if none)."""
        cns = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(cns[0].value) if cns else ""

    @property
    def serial_number(self) -> int:
        """The certificate's serial number (what a CRL lists)."""
        return self.certificate.serial_number

    def cert_pem(self) -> str:
        """The certificate in PEM (what goes in ``<cert>``/``<ca>`` or ACM's ``--certificate``)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self) -> str:
        """The private key in unencrypted PKCS#8 PEM (what goes in ``<key>``)."""
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()


def _name(cn: str) -> x509.Name:
    if not cn:
        raise ConfigError("common_name: must not be empty (AWS needs a CN; rule CVPN-CERT-CN)")
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _check_dates(not_before: dt.datetime, not_after: dt.datetime) -> None:
    for label, v in (("not_before", not_before), ("not_after", not_after)):
        if not isinstance(v, dt.datetime) or v.tzinfo is None:
            raise ConfigError(f"{label}: must be a timezone-aware datetime (the library reads no clock)")
    if not_after <= not_before:
        raise ConfigError(f"not_after ({not_after.isoformat()}) must be after "
                          f"not_before ({not_before.isoformat()})")


@dataclass
class CertificateAuthority:
    """A CA that issues the server and client certificates and signs the CRL.

    Create one with :meth:`create`. Revoked serials are kept in :attr:`revoked` until :meth:`crl`
    signs them into a CRL.
    """

    issued: Issued
    rng: RandomSource | None = None
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    _count: int = 0

    @classmethod
    def create(cls, common_name: str, *, not_before: dt.datetime, not_after: dt.datetime,
               key_type: KeyType = "rsa2048", rng: RandomSource | None = None) -> CertificateAuthority:
        """A self-signed CA (like ``easyrsa build-ca nopass``)."""
        _check_dates(not_before, not_after)
        key = generate_key(key_type, _child(rng, f"ca/{common_name}/key"))
        name = _name(common_name)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(_serial(_child(rng, f"ca/{common_name}/serial")))
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
                   .add_extension(ski, critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                                  critical=False))
        cert = builder.sign(key, hashes.SHA256())
        return cls(Issued(cert, key), rng)

    @property
    def certificate(self) -> x509.Certificate:
        """The CA's self-signed certificate."""
        return self.issued.certificate

    def cert_pem(self) -> str:
        """The CA certificate in PEM (the profile's <ca> block, ACM's --certificate-chain)."""
        return self.issued.cert_pem()

    def _issue(self, common_name: str, role: Role, not_before: dt.datetime, not_after: dt.datetime,
               key_type: KeyType, dns_names: Sequence[str],
               extensions: Sequence[tuple[x509.ExtensionType, bool]]
               ) -> Issued:
        _check_dates(not_before, not_after)
        self._count += 1
        label = f"{role}/{self._count}/{common_name}"
        key = generate_key(key_type, _child(self.rng, label + "/key"))
        ca_cert = self.issued.certificate
        builder = (x509.CertificateBuilder()
                   .subject_name(_name(common_name)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key())
                   .serial_number(_serial(_child(self.rng, label + "/serial")))
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       ca_cert.public_key()), critical=False))  # type: ignore[arg-type]
        if dns_names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(n) for n in dns_names]), critical=False)
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        cert = builder.sign(self.issued.key, hashes.SHA256())  # type: ignore[arg-type]
        return Issued(cert, key)

    def issue_server(self, common_name: str, *, not_before: dt.datetime, not_after: dt.datetime,
                     dns_names: Sequence[str] | None = None, key_type: KeyType = "rsa2048",
                     key_usage: x509.KeyUsage | None = None,
                     eku: Sequence[x509.ObjectIdentifier] | None = None,
                     ) -> Issued:
        """A server certificate (like ``easyrsa build-server-full <name> nopass``).

        ``dns_names`` defaults to ``[common_name]``. ``key_usage``/``eku`` override the defaults
        (so a notebook can build a *wrong* certificate and see the findings); pass ``eku=()`` to omit.
        """
        is_rsa = key_type.startswith("rsa")
        ku = key_usage or _key_usage(digital_signature=True, key_encipherment=is_rsa)
        ekus = [ExtendedKeyUsageOID.SERVER_AUTH] if eku is None else list(eku)
        exts: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=False, path_length=None), True), (ku, True)]
        if ekus:
            exts.append((x509.ExtendedKeyUsage(ekus), False))
        names = [common_name] if dns_names is None else list(dns_names)
        return self._issue(common_name, "server", not_before, not_after, key_type, names, exts)

    def issue_client(self, common_name: str, *, not_before: dt.datetime, not_after: dt.datetime,
                     key_type: KeyType = "rsa2048", key_usage: x509.KeyUsage | None = None,
                     eku: Sequence[x509.ObjectIdentifier] | None = None) -> Issued:
        """A client certificate (like ``easyrsa build-client-full <name> nopass``)."""
        ku = key_usage or _key_usage(digital_signature=True)
        ekus = [ExtendedKeyUsageOID.CLIENT_AUTH] if eku is None else list(eku)
        exts: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=False, path_length=None), True), (ku, True)]
        if ekus:
            exts.append((x509.ExtendedKeyUsage(ekus), False))
        return self._issue(common_name, "client", not_before, not_after, key_type, [], exts)

    def revoke(self, cert: Issued | x509.Certificate, revocation_date: dt.datetime) -> None:
        """Mark a certificate revoked (like ``easyrsa revoke``); :meth:`crl` then lists it."""
        c = cert.certificate if isinstance(cert, Issued) else cert
        if c.issuer != self.certificate.subject:
            raise ConfigError(f"revoke: certificate {c.subject.rfc4514_string()} was not issued by "
                              f"{self.certificate.subject.rfc4514_string()}")
        self.revoked[c.serial_number] = revocation_date

    def crl(self, *, last_update: dt.datetime, next_update: dt.datetime) -> x509.CertificateRevocationList:
        """A CRL of every revoked serial, signed by this CA (like ``easyrsa gen-crl``)."""
        _check_dates(last_update, next_update)
        b = (x509.CertificateRevocationListBuilder()
             .issuer_name(self.certificate.subject)
             .last_update(last_update).next_update(next_update)
             .add_extension(x509.CRLNumber(len(self.revoked) + 1), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 self.certificate.public_key()), critical=False))  # type: ignore[arg-type]
        for serial, when in sorted(self.revoked.items()):
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        return b.sign(self.issued.key, hashes.SHA256())  # type: ignore[arg-type]


def crl_pem(crl: x509.CertificateRevocationList) -> str:
    """A CRL in PEM (what ``crl-verify`` and ``ImportClientVpnClientCertificateRevocationList`` take)."""
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_usage(*, digital_signature: bool = False, key_encipherment: bool = False,
               key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=key_encipherment, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def key_type_of(key: object) -> str:
    """``"rsa2048"``, ``"ec-p256"`` ... for a public or private key (``"other"`` if unknown)."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return f"rsa{key.key_size}"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(key.curve.name, f"ec-{key.curve.name}")
    return "other"


# --------------------------------------------------------------------------------------------------
# Checks OpenVPN does not make
# --------------------------------------------------------------------------------------------------


def _ext(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def check_certificate(cert: x509.Certificate | Issued, role: Role, *, at: dt.datetime,
                      issuer: x509.Certificate | None = None, server_name: str | None = None,
                      name: str = "") -> list[Finding]:
    """Findings for one certificate in the role it plays, at time ``at``.

    Checks the things OpenVPN 2.6 does not (SAN against ``server_name``, exact keyUsage bits, the
    CA's basicConstraints), AWS's key-type rule for mutual authentication, the CN, the dates and,
    with ``issuer``, the signature. ``name`` prefixes each finding's field path.
    """
    _check_at(at)
    if role not in ("ca", "server", "client"):
        raise ConfigError(f"role: {role!r} is not 'ca', 'server' or 'client'")
    c = cert.certificate if isinstance(cert, Issued) else cert
    p = name or role
    out: list[Finding] = []
    cns = c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cns or not str(cns[0].value):
        out.append(finding(f"{p}.subject", c.subject.rfc4514_string(), "CVPN-CERT-CN",
                           "no CN in the Subject"))
    kt = key_type_of(c.public_key())
    if kt not in AWS_MUTUAL_KEY_TYPES:
        out.append(finding(f"{p}.key", kt, "CVPN-CERT-KEY", "AWS accepts only 1024-bit or 2048-bit RSA keys "
                           "for mutual authentication"))
    elif kt == "rsa1024":
        out.append(finding(f"{p}.key", kt, "CVPN-CERT-KEY", "1024-bit RSA is accepted by AWS but weak",
                           "warning"))
    bc = _ext(c, x509.BasicConstraints)
    ku = _ext(c, x509.KeyUsage)
    eku = _ext(c, x509.ExtendedKeyUsage)
    if role == "ca":
        if not isinstance(bc, x509.BasicConstraints) or not bc.ca:
            out.append(finding(f"{p}.basicConstraints", None if bc is None else "CA:FALSE", "CVPN-CERT-CA",
                               "a CA certificate needs basicConstraints CA:TRUE (OpenVPN does not check it)"))
        if not isinstance(ku, x509.KeyUsage) or not ku.key_cert_sign:
            out.append(finding(f"{p}.keyUsage", _ku_text(ku), "CVPN-CERT-CA", "keyCertSign missing"))
        elif not ku.crl_sign:
            out.append(finding(f"{p}.keyUsage", _ku_text(ku), "CVPN-CERT-CA",
                               "cRLSign missing: this CA cannot sign the CRL", "warning"))
    else:
        rule = "CVPN-CERT-SERVER" if role == "server" else "CVPN-CERT-CLIENT"
        want_eku = ExtendedKeyUsageOID.SERVER_AUTH if role == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
        if isinstance(bc, x509.BasicConstraints) and bc.ca:
            out.append(finding(f"{p}.basicConstraints", "CA:TRUE", rule,
                               "an end-entity certificate must not be "
                               "a CA"))
        if not isinstance(ku, x509.KeyUsage):
            out.append(finding(f"{p}.keyUsage", None, rule,
                               "keyUsage missing (OpenVPN remote-cert-tls needs it)"))
        else:
            if not ku.digital_signature:
                out.append(finding(f"{p}.keyUsage", _ku_text(ku), rule, "digitalSignature missing"))
            if role == "server" and kt.startswith("rsa") and not ku.key_encipherment:
                out.append(finding(f"{p}.keyUsage", _ku_text(ku), rule,
                                   "keyEncipherment missing (easy-rsa's RSA server profile sets it)",
                                   "warning"))
            if ku.key_cert_sign or ku.crl_sign:
                out.append(finding(f"{p}.keyUsage", _ku_text(ku), rule,
                                   "keyCertSign/cRLSign on an end-entity "
                                   "certificate"))
        if not isinstance(eku, x509.ExtendedKeyUsage) or want_eku not in eku:
            out.append(finding(f"{p}.extendedKeyUsage", _eku_text(eku), rule,
                               f"{want_eku._name} missing"))
        if role == "server":
            san = _ext(c, x509.SubjectAlternativeName)
            has_san = isinstance(san, x509.SubjectAlternativeName)
            dns = san.get_values_for_type(x509.DNSName) if has_san else []  # type: ignore[union-attr]
            ips = ([str(i) for i in san.get_values_for_type(x509.IPAddress)]
                   if isinstance(san, x509.SubjectAlternativeName) else [])
            if not dns and not ips:
                out.append(finding(f"{p}.subjectAltName", None, rule,
                                   "no subjectAltName: clients that verify the name will refuse it "
                                   "(OpenVPN does not check it)"))
            elif server_name is not None and not _name_matches(server_name, dns, ips):
                out.append(finding(f"{p}.subjectAltName", dns + ips, rule,
                                   f"does not cover the server name {server_name!r}"))
    if at < c.not_valid_before_utc or at > c.not_valid_after_utc:
        span = f"{c.not_valid_before_utc.isoformat()}..{c.not_valid_after_utc.isoformat()}"
        out.append(finding(f"{p}.validity", span,
                           "CVPN-CERT-CHAIN", f"not valid at {at.isoformat()}"))
    if issuer is not None:
        try:
            c.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as exc:
            out.append(finding(f"{p}.issuer", c.issuer.rfc4514_string(), "CVPN-CERT-CHAIN",
                               f"not issued by {issuer.subject.rfc4514_string()}: {type(exc).__name__}"))
    return out


def _check_at(at: dt.datetime) -> None:
    if not isinstance(at, dt.datetime) or at.tzinfo is None:
        raise ConfigError(f"at: {at!r} must be a timezone-aware datetime (the library reads no clock)")


def _name_matches(server_name: str, dns: list[str], ips: list[str]) -> bool:
    if server_name in ips:
        return True
    host = server_name.lower().rstrip(".")
    for d in dns:
        d = d.lower().rstrip(".")
        if d == host:
            return True
        if d.startswith("*.") and "." in host and host.split(".", 1)[1] == d[2:]:
            return True
    return False


def _ku_text(ku: object) -> str | None:
    if not isinstance(ku, x509.KeyUsage):
        return None
    bits = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
            "key_agreement", "key_cert_sign", "crl_sign"]
    return ",".join(b for b in bits if getattr(ku, b))


def _eku_text(eku: object) -> list[str] | None:
    if not isinstance(eku, x509.ExtendedKeyUsage):
        return None
    return [getattr(o, "_name", o.dotted_string) for o in eku]


def check_crl(crl: x509.CertificateRevocationList, ca: x509.Certificate, *, at: dt.datetime,
              name: str = "crl") -> list[Finding]:
    """Findings for a CRL: signed by ``ca``, current at ``at``, within AWS's 20,000-entry quota.

    OpenVPN silently ignores a CRL signed by another CA (the revoked client gets in) and refuses
    everyone when the CRL is expired or not yet valid: both are errors here.
    """
    _check_at(at)
    out: list[Finding] = []
    if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
        out.append(finding(f"{name}.issuer", crl.issuer.rfc4514_string(), "CVPN-CRL-VALID",
                           f"not signed by the client CA {ca.subject.rfc4514_string()}: "
                           "OpenVPN would ignore it "
                           "and let revoked clients in"))
    if crl.last_update_utc > at:
        out.append(finding(f"{name}.last_update", crl.last_update_utc.isoformat(), "CVPN-CRL-VALID",
                           f"in the future at {at.isoformat()}: every client would be refused"))
    nu = crl.next_update_utc
    if nu is not None and nu < at:
        out.append(finding(f"{name}.next_update", nu.isoformat(), "CVPN-CRL-VALID",
                           f"expired at {at.isoformat()}: every client would be refused"))
    if len(crl) > MAX_CRL_ENTRIES:
        out.append(finding(f"{name}.entries", len(crl), "CVPN-CRL-SIZE",
                           f"more than {MAX_CRL_ENTRIES} entries"))
    return out


def is_revoked(crl: x509.CertificateRevocationList, cert: Issued | x509.Certificate) -> bool:
    """True if the CRL lists this certificate's serial number."""
    c = cert.certificate if isinstance(cert, Issued) else cert
    return crl.get_revoked_certificate_by_serial_number(c.serial_number) is not None


# --------------------------------------------------------------------------------------------------
# A real mutual-TLS handshake on 127.0.0.1 (Python's ssl module)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsResult:
    """What happened in :func:`mutual_tls_check`, as data.

    ``accepted`` is the server's verdict. ``server_error``/``client_error`` hold the OpenSSL
    reasons (``certificate revoked``, ``unable to get local issuer certificate``, ...).
    """

    accepted: bool
    tls_version: str | None
    cipher: str | None
    client_subject: str | None
    server_subject: str | None
    server_error: str | None
    client_error: str | None


def _write(d: str, name: str, text: str) -> str:
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return exc.verify_message
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return exc.reason.lower().replace("_", " ")
    return f"{type(exc).__name__}: {exc}"


def mutual_tls_check(*, ca_pem: str, server: Issued, client: Issued | None, server_name: str,
                     crl: x509.CertificateRevocationList | None = None,
                     client_trusts_pem: str | None = None, max_version: str | None = None,
                     timeout: float = 10.0) -> TlsResult:
    """Run one TLS handshake on 127.0.0.1 where the server *requires* a client certificate.

    The server trusts ``ca_pem`` for clients (and checks ``crl`` for the leaf, like OpenVPN's
    ``crl-verify``); the client trusts ``client_trusts_pem`` (default ``ca_pem``) and checks that
    the server's certificate covers ``server_name``. ``max_version="TLSv1.2"`` caps the client
    (OpenVPN 2.6 negotiates TLS 1.3 by default). Returns what happened; never raises for a
    refused handshake.
    """
    versions = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
    if max_version is not None and max_version not in versions:
        raise ConfigError(f"max_version: {max_version!r} is not one of {', '.join(versions)}")
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="vpnlearn-tls-") as d:
        s_cert = _write(d, "server.crt", server.cert_pem())
        s_key = _write(d, "server.key", server.key_pem())
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.minimum_version = ssl.TLSVersion.TLSv1_2
        sctx.load_cert_chain(s_cert, s_key)
        # cafile (not cadata): OpenSSL loads CRLs only from a file lookup.
        sctx.load_verify_locations(cafile=_write(d, "ca-crl.pem", ca_pem + (crl_pem(crl) if crl else "")))
        sctx.verify_mode = ssl.CERT_REQUIRED
        if crl is not None:
            sctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if max_version is not None:
            cctx.maximum_version = versions[max_version]
        cctx.load_verify_locations(cadata=client_trusts_pem or ca_pem)
        if client is not None:
            cctx.load_cert_chain(_write(d, "client.crt", client.cert_pem()),
                                 _write(d, "client.key", client.key_pem()))

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(timeout)
        port = listener.getsockname()[1]

        def serve() -> None:
            try:
                conn, _ = listener.accept()
            except OSError as exc:
                result["server_error"] = _reason(exc)
                return
            conn.settimeout(timeout)
            try:
                with sctx.wrap_socket(conn, server_side=True) as tls:
                    peer = tls.getpeercert()
                    result["client_subject"] = _subject_text(peer)
                    result["accepted"] = True
                    tls.sendall(b"accepted\n")
            except (ssl.SSLError, OSError) as exc:
                result["server_error"] = _reason(exc)
                conn.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, \
                    cctx.wrap_socket(raw, server_hostname=server_name) as tls:
                result["tls_version"] = tls.version()
                result["cipher"] = (tls.cipher() or (None,))[0]
                result["server_subject"] = _subject_text(tls.getpeercert())
                # TLS 1.3: the server judges the client certificate after the client's handshake
                # ends; its verdict arrives as data or as an alert on the first read.
                data = tls.recv(64)
                if data != b"accepted\n":
                    result["client_error"] = "connection closed by the server"
        except (ssl.SSLError, OSError) as exc:
            result["client_error"] = _reason(exc)
        t.join(timeout)
        listener.close()
    return TlsResult(bool(result.get("accepted")), result.get("tls_version"),  # type: ignore[arg-type]
                     result.get("cipher"), result.get("client_subject"),  # type: ignore[arg-type]
                     result.get("server_subject"), result.get("server_error"),  # type: ignore[arg-type]
                     result.get("client_error"))  # type: ignore[arg-type]


def _subject_text(peer: dict | None) -> str | None:
    if not peer:
        return None
    parts = []
    for rdn in peer.get("subject", ()):
        for k, v in rdn:
            parts.append(f"{k}={v}")
    return ",".join(parts) or None

"""IKEv2 authentication (RFC 7296 §2.15): identities, PSK AUTH, RSA and RFC 7427 signatures, a demo CA.

Each side signs (or MACs) its *signed octets*::

    InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
    ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
    MACedIDForI = prf(SK_pi, RestOfInitIDPayload), MACedIDForR = prf(SK_pr, RestOfRespIDPayload)

* Shared key (method 2): ``AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)``.
* RSA signature (method 1): RSASSA-PKCS1-v1_5 with SHA-1 over the signed octets (§3.8). SHA-1 is
  weak; it is here because peers (and AWS's generic configurations) still meet it.
* Digital Signature (method 14, RFC 7427): ``ASN.1 length | AlgorithmIdentifier | signature`` with
  sha256WithRSAEncryption, RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) or ecdsa-with-SHA256 (DER
  signature), so the verifier knows the hash and scheme.

A certificate is accepted only if it is directly issued by a trusted CA, is valid at the time the
caller passes in (no clock is read), and names the peer's ID in its subjectAltName (FQDN, RFC822,
IPv4) or subject (DN).
"""

from __future__ import annotations

import datetime
import hmac as _hmac
import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from vpnlearn.errors import AuthenticationError, ConfigError, ParseError
from vpnlearn.ike.algorithms import PrfAlgorithm
from vpnlearn.ike.payloads import (
    AUTH,
    AUTH_DIGITAL_SIGNATURE,
    AUTH_RSA_SIG,
    AUTH_SHARED_KEY_MIC,
    ID,
    ID_DER_ASN1_DN,
    ID_FQDN,
    ID_IPV4_ADDR,
    ID_IPV6_ADDR,
    ID_RFC822_ADDR,
    ID_TYPE_NAMES,
)
from vpnlearn.rand import RandomSource, resolve

KEY_PAD = b"Key Pad for IKEv2"  # RFC 7296 §2.15


# --- Identities ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """An IKE identity (§3.5): its ID Type and Identification Data."""

    id_type: int
    data: bytes
    x509_name: object = field(default=None, compare=False, repr=False)

    @classmethod
    def fqdn(cls, name: str) -> Identity:
        """ID_FQDN, e.g. ``vpn.example.com`` (no trailing dot, ASCII)."""
        try:
            return cls(ID_FQDN, name.encode("ascii"))
        except UnicodeEncodeError as exc:
            raise ConfigError(f"FQDN identity {name!r} must be ASCII") from exc

    @classmethod
    def rfc822(cls, address: str) -> Identity:
        """ID_RFC822_ADDR, an e-mail style identity such as ``alice@example.com``."""
        if "@" not in address:
            raise ConfigError(f"RFC822 identity {address!r} has no '@'")
        return cls(ID_RFC822_ADDR, address.encode("ascii"))

    @classmethod
    def ipv4(cls, address: str) -> Identity:
        """ID_IPV4_ADDR: four bytes."""
        try:
            return cls(ID_IPV4_ADDR, ipaddress.IPv4Address(address).packed)
        except ValueError as exc:
            raise ConfigError(f"IPv4 identity {address!r}: {exc}") from exc

    @classmethod
    def dn(cls, name: str | x509.Name) -> Identity:
        """ID_DER_ASN1_DN from ``"CN=right.example,O=vpnlearn"`` (RFC 4514) or an x509.Name."""
        if isinstance(name, str):
            try:
                name = x509.Name.from_rfc4514_string(name)
            except ValueError as exc:
                raise ConfigError(f"DN identity {name!r}: {exc}") from exc
        return cls(ID_DER_ASN1_DN, name.public_bytes(), name)

    @classmethod
    def from_payload(cls, p: ID) -> Identity:
        return cls(p.id_type, p.data)

    def payload(self, initiator: bool) -> ID:
        return ID(self.id_type, self.data, initiator)

    def __str__(self) -> str:
        kind = ID_TYPE_NAMES.get(self.id_type, f"ID type {self.id_type}")
        return f"{kind} {self.payload(True).text()}"


# --- signed octets and PSK -------------------------------------------------------------------------


def signed_octets(
    real_message: bytes, peer_nonce: bytes, prf: PrfAlgorithm, sk_p: bytes, id_payload: ID
) -> bytes:
    """``RealMessage | Nonce(peer) | prf(SK_p, RestOfIDPayload)`` (§2.15)."""
    return real_message + peer_nonce + prf(sk_p, id_payload.signed_octets())


def psk_auth_data(prf: PrfAlgorithm, psk: bytes, octets: bytes) -> bytes:
    """AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>), §2.15."""
    if not psk:
        raise ConfigError("the pre-shared key is empty")
    return prf(prf(psk, KEY_PAD), octets)


# --- RFC 7427 algorithm identifiers ----------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + content


_OID_SHA256 = bytes.fromhex("608648016503040201")
_SHA256_ALG = _der(0x30, _der(0x06, _OID_SHA256) + b"\x05\x00")
ALG_SHA256_RSA = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
ALG_ECDSA_SHA256 = _der(0x30, _der(0x06, bytes.fromhex("2a8648ce3d040302")))
ALG_RSA_PSS_SHA256 = _der(
    0x30,
    _der(0x06, bytes.fromhex("2a864886f70d01010a"))
    + _der(
        0x30,
        _der(0xA0, _SHA256_ALG)
        + _der(0xA1, _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010108")) + _SHA256_ALG))
        + _der(0xA2, _der(0x02, b"\x20")),
    ),
)
SIGNATURE_SCHEMES = {
    ALG_SHA256_RSA: "sha256WithRSAEncryption",
    ALG_RSA_PSS_SHA256: "RSASSA-PSS-SHA256",
    ALG_ECDSA_SHA256: "ecdsa-with-SHA256",
}


def _sign(key: object, scheme: str, data: bytes) -> bytes:
    if scheme == "ecdsa-with-SHA256":
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ConfigError("ecdsa-with-SHA256 needs an EC private key")
        try:  # RFC 6979 deterministic ECDSA (cryptography >= 44) keeps DemoRandom runs repeatable
            algo = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        except TypeError:
            algo = ec.ECDSA(hashes.SHA256())
        return key.sign(data, algo)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{scheme} needs an RSA private key")
    if scheme == "RSASSA-PSS-SHA256":
        return key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    if scheme == "sha256WithRSAEncryption":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if scheme == "sha1WithRSAEncryption":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA1())
    raise ConfigError(f"unknown signature scheme {scheme!r}")


def _verify(pub: object, scheme: str, sig: bytes, data: bytes) -> None:
    try:
        if scheme == "ecdsa-with-SHA256":
            if not isinstance(pub, ec.EllipticCurvePublicKey):
                raise AuthenticationError("the certificate's key is not an EC key, but AUTH says ECDSA")
            pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
            return
        if not isinstance(pub, rsa.RSAPublicKey):
            raise AuthenticationError(f"the certificate's key is not an RSA key, but AUTH says {scheme}")
        if scheme == "RSASSA-PSS-SHA256":
            pub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        elif scheme == "sha256WithRSAEncryption":
            pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature as exc:
        raise AuthenticationError(f"AUTH: the {scheme} signature does not verify") from exc


# --- producing and checking AUTH -------------------------------------------------------------------


@dataclass(frozen=True)
class CertCredentials:
    """Our certificate, its private key, and how to sign: ``"rsa-pkcs1"`` (method 1) or an RFC 7427
    scheme: ``"sha256WithRSAEncryption"``, ``"RSASSA-PSS-SHA256"``, ``"ecdsa-with-SHA256"``."""

    certificate: x509.Certificate
    private_key: object
    scheme: str = ""

    def resolved_scheme(self) -> str:
        """The scheme to sign with: the one given, else ECDSA-SHA256 for EC keys and, for RSA keys,
        sha256WithRSAEncryption (RFC 7427 method 14; what strongSwan sends unless ``rsa_pss = yes``,
        so every peer verifies it). RSASSA-PSS-SHA256 must be asked for."""
        if self.scheme:
            return self.scheme
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return "ecdsa-with-SHA256"
        return "sha256WithRSAEncryption"


def make_auth(
    octets: bytes, prf: PrfAlgorithm, *, psk: bytes | None = None, cert: CertCredentials | None = None
) -> AUTH:
    """The AUTH payload for our signed octets, with a PSK or a certificate's key."""
    if psk is not None:
        return AUTH(AUTH_SHARED_KEY_MIC, psk_auth_data(prf, psk, octets))
    if cert is None:
        raise ConfigError("authentication needs a PSK or certificate credentials")
    scheme = cert.resolved_scheme()
    if scheme == "rsa-pkcs1":
        return AUTH(AUTH_RSA_SIG, _sign(cert.private_key, "sha1WithRSAEncryption", octets))
    alg = {v: k for k, v in SIGNATURE_SCHEMES.items()}.get(scheme)
    if alg is None:
        raise ConfigError(
            f"unknown signature scheme {scheme!r}; use one of {sorted(SIGNATURE_SCHEMES.values())}"
        )
    return AUTH(AUTH_DIGITAL_SIGNATURE, bytes([len(alg)]) + alg + _sign(cert.private_key, scheme, octets))


def verify_auth(
    auth: AUTH,
    octets: bytes,
    prf: PrfAlgorithm,
    *,
    psk: bytes | None = None,
    certificate: x509.Certificate | None = None,
) -> str:
    """Check a peer's AUTH payload; returns how it was checked, raises AuthenticationError if wrong."""
    if auth.method == AUTH_SHARED_KEY_MIC:
        if psk is None:
            raise AuthenticationError("peer used a shared key, but we expect a certificate")
        if not _hmac.compare_digest(psk_auth_data(prf, psk, octets), auth.data):
            raise AuthenticationError("AUTH: the shared-key MIC does not match (wrong PSK or tampering)")
        return "shared key MIC"
    if certificate is None:
        raise AuthenticationError(f"peer signed (method {auth.method}) but sent no usable certificate")
    pub = certificate.public_key()
    if auth.method == AUTH_RSA_SIG:
        _verify(pub, "sha1WithRSAEncryption", auth.data, octets)
        return "RSA PKCS#1 v1.5 (SHA-1)"
    if auth.method == AUTH_DIGITAL_SIGNATURE:
        n = auth.data[0]
        alg = auth.data[1 : 1 + n]
        scheme = SIGNATURE_SCHEMES.get(alg)
        if scheme is None or len(auth.data) <= 1 + n:
            raise AuthenticationError(f"AUTH: unsupported RFC 7427 AlgorithmIdentifier {alg.hex()}")
        _verify(pub, scheme, auth.data[1 + n :], octets)
        return f"RFC 7427 {scheme}"
    raise AuthenticationError(f"AUTH: unsupported authentication method {auth.method}")


def check_certificate(
    cert: x509.Certificate,
    trusted: list[x509.Certificate] | tuple[x509.Certificate, ...],
    identity: Identity,
    when: datetime.datetime | None = None,
) -> None:
    """Accept ``cert`` for ``identity`` only if a trusted CA issued it, it is valid ``when`` (if given),
    and its SAN (or subject for a DN identity) names the identity. Raises AuthenticationError."""
    for ca in trusted:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            break
        except (ValueError, TypeError, InvalidSignature):
            continue
    else:
        raise AuthenticationError(
            f"certificate {cert.subject.rfc4514_string()} is not issued by a trusted CA"
        )
    if when is not None and not (cert.not_valid_before_utc <= when <= cert.not_valid_after_utc):
        raise AuthenticationError(f"certificate {cert.subject.rfc4514_string()} is not valid at {when}")
    if identity.id_type == ID_DER_ASN1_DN:
        if cert.subject.public_bytes() != identity.data:
            raise AuthenticationError("the peer's DN identity is not the certificate's subject")
        return
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise AuthenticationError("the certificate has no subjectAltName to match the peer's ID") from exc
    if identity.id_type == ID_FQDN:
        names = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
        ok = identity.data.decode("ascii", "replace").lower() in names
    elif identity.id_type == ID_RFC822_ADDR:
        ok = identity.data.decode("ascii", "replace") in san.get_values_for_type(x509.RFC822Name)
    elif identity.id_type in (ID_IPV4_ADDR, ID_IPV6_ADDR):
        ok = ipaddress.ip_address(identity.data) in san.get_values_for_type(x509.IPAddress)
    else:
        ok = False
    if not ok:
        raise AuthenticationError(
            f"the certificate's subjectAltName does not name the peer's ID ({identity})"
        )


def load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate from a CERT payload; ParseError if it is not one."""
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise ParseError(
            f"not a DER X.509 certificate: {exc}", what="CERT payload", field="Certificate Data"
        ) from exc


# --- a small demo CA -------------------------------------------------------------------------------


def _ec_key(rng: RandomSource | None) -> ec.EllipticCurvePrivateKey:
    src = resolve(rng)
    while True:
        d = int.from_bytes(src.random_bytes(32), "big")
        try:
            return ec.derive_private_key(d, ec.SECP256R1())
        except ValueError:
            continue


class DemoCA:
    """A one-level CA for the course: it issues gateway certificates whose SAN matches their IKE ID.

    Keys are ECDSA P-256 by default (deterministic with a DemoRandom); ``key="rsa"`` gives RSA-2048
    (drawn from the system, since RSA key generation cannot take our rng). ``not_before`` is given
    by the caller: the library reads no clock.
    """

    def __init__(
        self,
        name: str = "vpnlearn demo CA",
        *,
        not_before: datetime.datetime,
        days: int = 3650,
        key: str = "ec",
        rng: RandomSource | None = None,
    ) -> None:
        self.rng = rng
        self.not_before = not_before
        self.days = days
        self.key = self._new_key(key)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        serial = int.from_bytes(resolve(rng).random_bytes(8), "big") | 1
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_before + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(self.key, self._hash(self.key), **self._sign_kwargs(self.key))
        )

    def _new_key(self, kind: str):
        if kind == "ec":
            return _ec_key(self.rng)
        if kind == "rsa":
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        raise ConfigError(f"key kind must be 'ec' or 'rsa', not {kind!r}")

    @staticmethod
    def _hash(key: object) -> hashes.HashAlgorithm:
        return hashes.SHA256()

    @staticmethod
    def _sign_kwargs(key: object) -> dict:
        import inspect

        if (
            isinstance(key, ec.EllipticCurvePrivateKey)
            and "ecdsa_deterministic" in inspect.signature(x509.CertificateBuilder.sign).parameters
        ):  # cryptography >= 44: certificates repeat exactly with a DemoRandom
            return {"ecdsa_deterministic": True}
        return {}

    def issue(
        self, identity: Identity, *, key: str = "ec", days: int = 365, cn: str | None = None
    ) -> tuple[x509.Certificate, object]:
        """A gateway certificate and its private key; the SAN (or subject, for a DN) is the identity."""
        priv = self._new_key(key)
        if identity.id_type == ID_DER_ASN1_DN:
            subject = _name_from_der(identity)
            san = None
        else:
            text = identity.payload(True).text()
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or text)])
            if identity.id_type == ID_FQDN:
                san = x509.DNSName(text)
            elif identity.id_type == ID_RFC822_ADDR:
                san = x509.RFC822Name(text)
            elif identity.id_type in (ID_IPV4_ADDR, ID_IPV6_ADDR):
                san = x509.IPAddress(ipaddress.ip_address(identity.data))
            else:
                raise ConfigError(f"cannot issue a certificate for {identity}")
        serial = int.from_bytes(resolve(self.rng).random_bytes(8), "big") | 1
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(priv.public_key())
            .serial_number(serial)
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_before + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if san is not None:
            b = b.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        cert = b.sign(self.key, hashes.SHA256(), **self._sign_kwargs(self.key))
        return cert, priv

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name_from_der(identity: Identity) -> x509.Name:
    if identity.x509_name is None:
        raise ConfigError("issue a DN certificate from an Identity made with Identity.dn(...)")
    return identity.x509_name  # type: ignore[return-value]

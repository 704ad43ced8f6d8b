"""IKEv1 (RFC 2409) Main Mode and Quick Mode as a table, to contrast with IKEv2. Not an implementation.

AWS Site-to-Site VPN still accepts IKEv1, with **Main Mode only** (no Aggressive Mode):
https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html . The course shows the two protocols side
by side: IKEv1 needs 6 messages (Main Mode, Phase 1) + 3 (Quick Mode, Phase 2) = 9 to get the first
IPsec SA pair, IKEv2 needs 4 (IKE_SA_INIT + IKE_AUTH), see :data:`IKEV2_FIRST_CHILD`.

Each :class:`V1Message` lists the payloads in RFC 2409's notation (HDR, SA, KE, Ni, IDii, HASH_I ...),
whether it is encrypted (``HDR*``), and what it achieves. :func:`compare` gives rows a notebook can
show as a table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class V1Message:
    """One IKEv1 message: who sends it, what it carries, and why."""

    number: int
    mode: str  # "Main Mode" (Phase 1) or "Quick Mode" (Phase 2)
    sender: str  # "Initiator" or "Responder"
    payloads: tuple[str, ...]
    encrypted: bool
    purpose: str
    rfc: str


MAIN_MODE: tuple[V1Message, ...] = (
    V1Message(
        1,
        "Main Mode",
        "Initiator",
        ("HDR", "SA"),
        False,
        "offer ISAKMP SA proposals (encryption, hash, authentication method, DH group, lifetime)",
        "RFC 2409 §5",
    ),
    V1Message(2, "Main Mode", "Responder", ("HDR", "SA"), False, "accept one proposal", "RFC 2409 §5"),
    V1Message(
        3,
        "Main Mode",
        "Initiator",
        ("HDR", "KE", "Ni"),
        False,
        "Diffie-Hellman public value g^xi and nonce",
        "RFC 2409 §5",
    ),
    V1Message(
        4,
        "Main Mode",
        "Responder",
        ("HDR", "KE", "Nr"),
        False,
        "Diffie-Hellman public value g^xr and nonce; both now derive SKEYID, SKEYID_d/_a/_e",
        "RFC 2409 §5",
    ),
    V1Message(
        5,
        "Main Mode",
        "Initiator",
        ("HDR*", "IDii", "HASH_I"),
        True,
        "identity and proof: HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); "
        "with PSK, SKEYID = prf(pre-shared-key, Ni_b | Nr_b), so the PSK is chosen before the "
        "identity is known (why Main Mode PSK peers are identified by IP address)",
        "RFC 2409 §5.4",
    ),
    V1Message(
        6,
        "Main Mode",
        "Responder",
        ("HDR*", "IDir", "HASH_R"),
        True,
        "identity and proof: HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)",
        "RFC 2409 §5.4",
    ),
)

QUICK_MODE: tuple[V1Message, ...] = (
    V1Message(
        7,
        "Quick Mode",
        "Initiator",
        ("HDR*", "HASH(1)", "SA", "Ni", "[KE]", "[IDci, IDcr]"),
        True,
        "offer IPsec SA proposals (ESP), nonce, optional PFS KE, and the traffic (client IDs)",
        "RFC 2409 §5.5",
    ),
    V1Message(
        8,
        "Quick Mode",
        "Responder",
        ("HDR*", "HASH(2)", "SA", "Nr", "[KE]", "[IDci, IDcr]"),
        True,
        "accept one proposal; both derive KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)",
        "RFC 2409 §5.5",
    ),
    V1Message(
        9,
        "Quick Mode",
        "Initiator",
        ("HDR*", "HASH(3)"),
        True,
        "liveness proof: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b); the IPsec SA pair is up",
        "RFC 2409 §5.5",
    ),
)

IKEV1_FIRST_CHILD: tuple[V1Message, ...] = MAIN_MODE + QUICK_MODE

# The IKEv2 exchange that gets to the same point (first CHILD_SA), RFC 7296 §1.2, for the comparison.
IKEV2_FIRST_CHILD: tuple[tuple[int, str, str, tuple[str, ...], bool], ...] = (
    (1, "IKE_SA_INIT", "Initiator", ("HDR", "SAi1", "KEi", "Ni"), False),
    (2, "IKE_SA_INIT", "Responder", ("HDR", "SAr1", "KEr", "Nr", "[CERTREQ]"), False),
    (3, "IKE_AUTH", "Initiator", ("HDR", "SK{IDi, [CERT,] [IDr,] AUTH, SAi2, TSi, TSr}"), True),
    (4, "IKE_AUTH", "Responder", ("HDR", "SK{IDr, [CERT,] AUTH, SAr2, TSi, TSr}"), True),
)

DIFFERENCES: tuple[tuple[str, str, str], ...] = (
    ("Messages to the first IPsec SA", "9 (6 Main Mode + 3 Quick Mode)", "4 (IKE_SA_INIT + IKE_AUTH)"),
    (
        "Phases",
        "Phase 1 (ISAKMP SA), Phase 2 (IPsec SA)",
        "IKE SA and CHILD_SAs; first CHILD_SA inside IKE_AUTH",
    ),
    (
        "Authentication",
        "both sides use the same method",
        "each side may use its own (PSK one way, certs the other)",
    ),
    (
        "Traffic selectors",
        "Quick Mode IDs must match exactly",
        "TSi/TSr can be narrowed by the responder (§2.9)",
    ),
    (
        "Reliability",
        "no message IDs for requests/responses in Phase 1; implementation-specific retries",
        "every request has a response; Message IDs and retransmission rules (§2.1-2.3)",
    ),
    ("DoS protection", "none built in", "COOKIE notify under load (§2.6)"),
    (
        "NAT traversal",
        "separate RFCs (3947/3948), NAT-D payloads",
        "built in: NAT_DETECTION_*_IP notifies (§2.23)",
    ),
    ("Dead peer detection", "RFC 3706 vendor extension", "built in: empty INFORMATIONAL (§1.4)"),
    ("Rekeying", "new Phase 1 / Quick Mode", "CREATE_CHILD_SA for CHILD_SAs and the IKE SA (§1.3)"),
    ("AWS", "Main Mode only (no Aggressive Mode)", "supported; AWS can also start IKE (StartupAction=start)"),
)


def compare() -> list[dict[str, str]]:
    """Rows for a side-by-side table: aspect, IKEv1, IKEv2."""
    return [{"aspect": a, "IKEv1": v1, "IKEv2": v2} for a, v1, v2 in DIFFERENCES]


def ladder(version: int = 1) -> list[str]:
    """The message ladder as text lines (``1 I->R HDR, SA``), for printing in a notebook."""
    if version == 1:
        return [
            f"{m.number} {'I->R' if m.sender == 'Initiator' else 'R->I'} {', '.join(m.payloads)}   [{m.mode}]"
            for m in IKEV1_FIRST_CHILD
        ]
    return [
        f"{n} {'I->R' if s == 'Initiator' else 'R->I'} {', '.join(p)}   [{x}]"
        for n, x, s, p, _ in IKEV2_FIRST_CHILD
    ]

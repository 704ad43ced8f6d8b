"""SA payload proposals (RFC 7296 §2.7, §3.3): building ours, choosing as responder, checking the
responder's choice; and the NAT detection hash (§2.23)."""

from __future__ import annotations

import hashlib
import ipaddress

from vpnlearn.errors import ProtocolError
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.payloads import (
    PROTO_ESP,
    PROTO_IKE,
    SA,
    Proposal,
    Transform,
)

Address = tuple[str, int]


# --- proposals -------------------------------------------------------------------------------------


def suite_to_proposal(
    suite: alg.Suite, number: int, protocol: int, spi: bytes, *, with_dh: bool = True
) -> Proposal:
    """An SA payload proposal (§3.3.1) for a parsed strongSwan proposal."""
    ts: list[Transform] = [
        Transform(alg.ENCR, e.transform_id, e.key_bits if e.key_length_attr else None)
        for e in suite.encr
    ]
    ts += [Transform(alg.PRF, p.transform_id) for p in suite.prf]
    ts += [Transform(alg.INTEG, i.transform_id) for i in suite.integ]
    if with_dh:
        ts += [Transform(alg.DH, g.transform_id) for g in suite.dh]
    if protocol == PROTO_ESP:
        ts += [Transform(alg.ESN, e) for e in (suite.esn or (0,))]
    return Proposal(number, protocol, spi, tuple(ts))


def _known(t: Transform):
    if t.type == alg.ESN:
        return t.id if t.id in (0, 1) else None
    return alg.by_id(t.type, t.id, t.key_length)


def select_proposal(
    mine: list[alg.Suite], theirs: tuple[Proposal, ...], protocol: int, *, with_dh: bool = True
) -> tuple[Proposal, alg.Chosen] | None:
    """The responder's choice (§2.7): our proposals in our order, theirs in theirs; one of each type.

    Returns the proposal to send back (their number and SPI, one transform per type) and the chosen
    algorithms, or None (NO_PROPOSAL_CHOSEN).
    """
    for suite in mine:
        for prop in theirs:
            if prop.protocol != protocol:
                continue
            offered: dict[int, list] = {}
            unknown_type = False
            for t in prop.transforms:
                if t.type not in (alg.ENCR, alg.PRF, alg.INTEG, alg.DH, alg.ESN):
                    unknown_type = True
                    break
                offered.setdefault(t.type, []).append((t, _known(t)))
            if unknown_type:
                continue
            wanted = {
                alg.ENCR: suite.encr,
                alg.PRF: suite.prf,
                alg.INTEG: suite.integ,
                alg.DH: suite.dh if with_dh else (),
                alg.ESN: suite.esn,
            }
            if not with_dh:
                offered.pop(alg.DH, None)
            picked: dict[int, tuple[Transform, object]] = {}
            ok = True
            for ttype in (alg.ENCR, alg.PRF, alg.INTEG, alg.DH, alg.ESN):
                want, have = wanted[ttype], offered.get(ttype, [])
                if not want and not have:
                    continue
                if (
                    ttype == alg.INTEG
                    and not want
                    and all(k is not None and k.transform_id == 0 for _, k in have)
                ):
                    continue
                choice = next(((t, k) for w in want for t, k in have if k is not None and k == w), None)
                if choice is None:
                    ok = False
                    break
                picked[ttype] = choice
            if not ok:
                continue
            chosen = alg.Chosen(
                picked[alg.ENCR][1],
                picked.get(alg.PRF, (None, None))[1],
                picked.get(alg.INTEG, (None, None))[1],
                picked.get(alg.DH, (None, None))[1],
                picked[alg.ESN][1] if alg.ESN in picked else None,
            )
            if protocol == PROTO_IKE and (chosen.prf is None or chosen.dh is None):
                continue
            reply = Proposal(prop.number, protocol, prop.spi, tuple(t for t, _ in picked.values()))
            return reply, chosen
    return None


def accept_reply(sent: list[Proposal], reply: SA, protocol: int) -> tuple[Proposal, alg.Chosen]:
    """Check the responder's single proposal against what we offered (§2.7); ProtocolError if not."""
    if len(reply.proposals) != 1:
        raise ProtocolError(
            f"the response's SA has {len(reply.proposals)} proposals, must be 1", notify="INVALID_SYNTAX"
        )
    got = reply.proposals[0]
    mine = next((p for p in sent if p.number == got.number), None)
    if mine is None or got.protocol != protocol:
        raise ProtocolError("the responder chose a proposal we did not offer", notify="INVALID_SYNTAX")
    types = [t.type for t in got.transforms]
    if len(set(types)) != len(types):
        raise ProtocolError("the responder chose two transforms of one type", notify="INVALID_SYNTAX")
    picked = {}
    for t in got.transforms:
        if t not in mine.transforms:
            raise ProtocolError(
                f"the responder chose transform {t.type}/{t.id} we did not offer", notify="INVALID_SYNTAX"
            )
        picked[t.type] = _known(t)
    for t in mine.transforms:
        if t.type not in picked and t.type != alg.INTEG:
            raise ProtocolError(
                f"the responder's proposal lacks transform type {t.type}", notify="INVALID_SYNTAX"
            )
    if alg.ENCR not in picked:
        raise ProtocolError("the responder's proposal has no ENCR transform", notify="INVALID_SYNTAX")
    return got, alg.Chosen(
        picked[alg.ENCR], picked.get(alg.PRF), picked.get(alg.INTEG), picked.get(alg.DH), picked.get(alg.ESN)
    )


# --- NAT detection and cookies ---------------------------------------------------------------------


def nat_hash(spi_i: bytes, spi_r: bytes, address: Address) -> bytes:
    """SHA-1(SPIi | SPIr | IP | Port), §2.23."""
    ip = ipaddress.ip_address(address[0]).packed
    return hashlib.sha1(spi_i + spi_r + ip + address[1].to_bytes(2, "big")).digest()

"""One IKE SA with its CHILD_SAs (:class:`IkeSession`): all of the protocol logic for both roles.

IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL exchanges, message IDs, retransmission,
NAT detection, CHILD_SA keys and ESP SAs. Every state change goes through :mod:`vpnlearn.ike.state`.
The public peers in :mod:`vpnlearn.ike.peer` route messages to sessions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from vpnlearn.errors import (
    AuthenticationError,
    CryptoError,
    ParseError,
    ProtocolError,
    VpnlearnError,
)
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike import events as ev
from vpnlearn.ike.auth import (
    Identity,
    check_certificate,
    load_certificate,
    make_auth,
    signed_octets,
    verify_auth,
)
from vpnlearn.ike.config import IkeConfig
from vpnlearn.ike.keys import (
    ChildKeys,
    IkeKeys,
    derive_child_keys,
    derive_ike_keys,
    derive_rekeyed_ike_keys,
    sk_keys,
)
from vpnlearn.ike.messages import (
    CREATE_CHILD_SA,
    EXCHANGE_NAMES,
    IKE_AUTH,
    IKE_SA_INIT,
    INFORMATIONAL,
    Message,
    encode_message,
    open_message,
)
from vpnlearn.ike.payloads import (
    AUTH,
    CERT,
    CERT_X509_SIGNATURE,
    CERTREQ,
    ID,
    KE,
    NOTIFY,
    PROTO_ESP,
    PROTO_IKE,
    SA,
    TS,
    Delete,
    Nonce,
    Notify,
    Payload,
    Proposal,
    TrafficSelector,
)
from vpnlearn.ike.proposals import accept_reply, nat_hash, select_proposal, suite_to_proposal
from vpnlearn.ike.state import INITIATOR, RESPONDER, State, allowed, transition
from vpnlearn.rand import RandomSource, resolve

Address = tuple[str, int]
NONCE_LEN = 32


# --- SAs -------------------------------------------------------------------------------------------


@dataclass
class ChildSa:
    """A CHILD_SA: our inbound SPI, the peer's (our outbound), algorithms, selectors, KEYMAT, ESP SAs."""

    inbound_spi: int
    outbound_spi: int
    chosen: alg.Chosen
    keys: ChildKeys
    local_ts: tuple[TrafficSelector, ...]
    remote_ts: tuple[TrafficSelector, ...]
    created: float
    inbound: object = None
    outbound: object = None
    esp_error: str = ""

    def __str__(self) -> str:
        return (
            f"CHILD_SA in 0x{self.inbound_spi:08x} out 0x{self.outbound_spi:08x} {self.chosen.name} "
            f"{', '.join(map(str, self.local_ts))} <-> {', '.join(map(str, self.remote_ts))}"
        )


@dataclass
class IkeSa:
    """The established IKE SA's SPIs, algorithms (``chosen``) and keys (``keys``, see :class:`IkeKeys`)."""

    spi_i: bytes
    spi_r: bytes
    chosen: alg.Chosen
    keys: IkeKeys
    Ni: bytes
    Nr: bytes
    initiator: bool  # we are the original initiator of this IKE SA

    @property
    def suite(self) -> str:
        return self.chosen.name


@dataclass(frozen=True)
class TranscriptEntry:
    """One message as a sequence diagram shows it."""

    direction: str  # "sent" or "received"
    exchange: str
    message_id: int
    is_response: bool
    payloads: tuple[str, ...]
    protected_by: str  # "" (plaintext) or "SK_ei/SK_ai" ...
    time: float
    raw: bytes = field(repr=False, default=b"")
    note: str = ""


@dataclass
class _Pending:
    """Our outstanding request (window size 1, §2.3)."""

    message_id: int
    exchange: int
    data: bytes
    sent_at: float
    kind: str
    tries: int = 1
    context: dict = field(default_factory=dict)


def _spi32(rng: RandomSource) -> int:
    while True:
        v = int.from_bytes(rng.random_bytes(4), "big")
        if v > 255:
            return v


def _spi64(rng: RandomSource) -> bytes:
    while True:
        v = rng.random_bytes(8)
        if any(v):
            return v


# --- the session: one IKE SA -----------------------------------------------------------------------


class IkeSession:
    """One IKE SA (both roles): IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL exchanges."""

    def __init__(
        self, config: IkeConfig, role: str, rng: RandomSource | None, local: Address, remote: Address
    ) -> None:
        self.config = config
        self.role = role
        self.rng = resolve(rng)
        self.local = local
        self.remote = remote
        self.state = State.IDLE
        self.ike_sa: IkeSa | None = None
        self.child_sas: list[ChildSa] = []
        self.transcript: list[TranscriptEntry] = []
        self.port = local[1] if local[1] == 4500 else 500
        self.spi_i = b""
        self.spi_r = bytes(8)
        self.Ni = b""
        self.Nr = b""
        self.dh: alg.DhPrivate | None = None
        self.chosen: alg.Chosen | None = None
        self.keys: IkeKeys | None = None
        self.real_message_1 = b""
        self.real_message_2 = b""
        self.cookie = b""
        self.sent_props: list[Proposal] = []
        self.pending: _Pending | None = None
        self.next_mid = 0  # our next request's Message ID
        self.peer_mid = 0  # the peer's next request's Message ID
        self.last_response: tuple[int, bytes] | None = None
        self.last_request_raw = b""
        self.nat_local = self.nat_remote = False
        self.nat_fake = False  # IkeConfig.force_encap: we faked a NAT so that ESP goes in UDP (§2.23)
        self._arrived: tuple[Address | None, Address | None] = (None, None)
        self._malformed: ParseError | None = None
        self.child_pending: dict = {}
        self.peer_id: Identity | None = None
        self.auth_method = ""
        self.created = 0.0
        self.successor: IkeSession | None = None

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def is_initiator(self) -> bool:
        return self.role == INITIATOR

    def _move(self, trigger: str) -> None:
        self.state = transition(self.role, self.state, trigger)

    def _sk_out(self):
        assert self.keys is not None and self.chosen is not None
        return sk_keys(self.keys, self.chosen, from_initiator=self.is_initiator)

    def _sk_in(self):
        assert self.keys is not None and self.chosen is not None
        return sk_keys(self.keys, self.chosen, from_initiator=not self.is_initiator)

    def _log(self, direction: str, msg: Message, raw: bytes, now: float, note: str = "") -> None:
        prot = ""
        if msg.encrypted:
            from_i = msg.initiator
            prot = "SK_ei/SK_ai" if from_i else "SK_er/SK_ar"
            if self.chosen is not None and self.chosen.encr.aead:
                prot = "SK_ei" if from_i else "SK_er"
        self.transcript.append(
            TranscriptEntry(
                direction,
                msg.exchange_name,
                msg.message_id,
                msg.response,
                tuple(msg.payload_names()),
                prot,
                now,
                raw,
                note,
            )
        )

    def _message(
        self, exchange: int, mid: int, response: bool, payloads: list[Payload], encrypted: bool
    ) -> Message:
        return Message(
            self.spi_i, self.spi_r, exchange, mid, self.is_initiator, response, payloads, encrypted
        )

    def _send_request(
        self,
        out: ev.Output,
        now: float,
        exchange: int,
        payloads: list[Payload],
        kind: str,
        encrypted: bool = True,
        **context,
    ) -> bytes:
        mid = self.next_mid
        msg = self._message(exchange, mid, False, payloads, encrypted)
        raw = encode_message(msg, self._sk_out() if encrypted else None, self.rng)
        self.next_mid += 1
        self.pending = _Pending(mid, exchange, raw, now, kind, context=context)
        self._log("sent", msg, raw, now)
        out.send.append(raw)
        return raw

    def _send_response(
        self, out: ev.Output, now: float, req: Message, payloads: list[Payload], encrypted: bool = True
    ) -> bytes:
        msg = self._message(req.exchange, req.message_id, True, payloads, encrypted)
        raw = encode_message(msg, self._sk_out() if encrypted else None, self.rng)
        self.last_response = (req.message_id, raw)
        self._log("sent", msg, raw, now)
        out.send.append(raw)
        return raw

    def _nat_notifies(self) -> list[Payload]:
        # force_encap (strongSwan's encap = yes): a source hash that matches no address makes the
        # peer believe we are behind a NAT, so both sides put ESP in UDP (RFC 7296 §2.23).
        source = (
            self.rng.random_bytes(20)
            if self.config.force_encap
            else nat_hash(self.spi_i, self.spi_r, self.local)
        )
        return [
            Notify(NOTIFY["NAT_DETECTION_SOURCE_IP"], source),
            Notify(NOTIFY["NAT_DETECTION_DESTINATION_IP"], nat_hash(self.spi_i, self.spi_r, self.remote)),
        ]

    def _check_nat(self, msg: Message, out: ev.Output) -> None:
        src = [n.data for n in msg.find(Notify, type=NOTIFY["NAT_DETECTION_SOURCE_IP"])]
        dst = [n.data for n in msg.find(Notify, type=NOTIFY["NAT_DETECTION_DESTINATION_IP"])]
        if not src or not dst:
            return
        # The peer's source hash must match the address we see it at; its destination hash ours.
        self.nat_remote = nat_hash(msg.spi_i, msg.spi_r, self.remote) not in src
        self.nat_local = nat_hash(msg.spi_i, msg.spi_r, self.local) not in dst
        self.nat_fake = self.config.force_encap  # the peer supports NAT-T: our fake NAT counts
        if self.nat_local or self.nat_remote:
            out.events.append(ev.NatDetected(self.nat_local, self.nat_remote))
        if (self.nat_local or self.nat_remote or self.nat_fake) and self.port != 4500:
            self.port = 4500
            out.events.append(ev.SwitchToPort4500())

    def _fail(
        self,
        out: ev.Output,
        notify: str,
        reason: str,
        *,
        fatal: bool = True,
        sent: bool = False,
        trigger: str | None = None,
    ) -> None:
        out.events.append(ev.ProtocolFailure(notify, reason, fatal, sent))
        if trigger is not None:
            self._move(trigger)

    def _drop_children(self, out: ev.Output, *, by_peer: bool) -> None:
        """The IKE SA is gone (deleted, dead or failed): its CHILD_SAs go with it (§1.4.1, §2.4).

        One ``ChildSaDeleted`` event per CHILD_SA, so a caller that keeps ESP SAs by event removes them.
        """
        for c in self.child_sas:
            out.events.append(ev.ChildSaDeleted(c.inbound_spi, c.outbound_spi, by_peer))
        self.child_sas = []

    # -- IKE_SA_INIT --------------------------------------------------------------------------------

    def _init_request_payloads(self) -> list[Payload]:
        suites = self.config.ike_suites
        self.sent_props = [suite_to_proposal(s, i + 1, PROTO_IKE, b"") for i, s in enumerate(suites)]
        payloads: list[Payload] = []
        if self.cookie:
            payloads.append(Notify(NOTIFY["COOKIE"], self.cookie))
        assert self.dh is not None
        payloads += [
            SA(tuple(self.sent_props)),
            KE(self.dh.group.transform_id, self.dh.public),
            Nonce(self.Ni),
            *self._nat_notifies(),
        ]
        if self.config.cert_credentials is not None:
            payloads.append(Notify(NOTIFY["SIGNATURE_HASH_ALGORITHMS"], (2).to_bytes(2, "big")))
        return payloads

    def start(self, now: float) -> ev.Output:
        """Initiator: send the IKE_SA_INIT request."""
        out = ev.Output()
        self.created = now
        self.spi_i = _spi64(self.rng)
        self.Ni = self.rng.random_bytes(NONCE_LEN)
        self.dh = self.config.ike_suites[0].dh[0].generate(self.rng)
        self._move("send IKE_SA_INIT request")
        self.next_mid = 0
        self._send_init(out, now)
        return out

    def _send_init(self, out: ev.Output, now: float) -> None:
        self.next_mid = 0
        self.real_message_1 = self._send_request(
            out, now, IKE_SA_INIT, self._init_request_payloads(), "IKE_SA_INIT", encrypted=False
        )

    def handle_init_response(self, msg: Message, now: float, out: ev.Output) -> None:
        cookie = msg.first(Notify, type=NOTIFY["COOKIE"])
        if cookie is not None:
            if not 1 <= len(cookie.data) <= 64:
                out.events.append(ev.MessageDropped("COOKIE notify of bad length"))
                return
            self.cookie = cookie.data
            self.pending = None
            out.events.append(ev.CookieRequested(cookie.data))
            self._move("recv COOKIE")
            self._send_init(out, now)
            return
        inv = msg.first(Notify, type=NOTIFY["INVALID_KE_PAYLOAD"])
        if inv is not None:
            group = int.from_bytes(inv.data, "big") if len(inv.data) == 2 else -1
            ours = [g for s in self.config.ike_suites for g in s.dh]
            g = next((x for x in ours if x.transform_id == group), None)
            assert self.dh is not None
            if g is None or g.transform_id == self.dh.group.transform_id:
                self.pending = None
                self._fail(
                    out,
                    "INVALID_KE_PAYLOAD",
                    f"the responder asks for DH group {group}, which we did not propose",
                    trigger="recv IKE_SA_INIT error",
                )
                return
            out.events.append(ev.InvalidKeRetry(self.dh.group.transform_id, g.transform_id))
            self.dh = g.generate(self.rng)
            self.pending = None
            self._move("recv INVALID_KE_PAYLOAD")
            self._send_init(out, now)
            return
        errors = [n for n in msg.notifies() if n.is_error]
        if errors:
            self.pending = None
            for n in errors:
                out.events.append(ev.ErrorNotifyReceived(n.type_name, "IKE_SA_INIT"))
            self._fail(
                out,
                errors[0].type_name,
                "the responder refused IKE_SA_INIT",
                trigger="recv IKE_SA_INIT error",
            )
            return
        sa, ke, nonce = msg.first(SA), msg.first(KE), msg.first(Nonce)
        if sa is None or ke is None or nonce is None or msg.spi_r == bytes(8):
            out.events.append(ev.MessageDropped("IKE_SA_INIT response lacks SA, KE or Nr, or SPIr is 0"))
            return
        try:
            _, chosen = accept_reply(self.sent_props, sa, PROTO_IKE)
            assert self.dh is not None
            if (
                chosen.dh is None
                or ke.group != chosen.dh.transform_id
                or ke.group != self.dh.group.transform_id
            ):
                raise ProtocolError(
                    "the responder's KE group is not the one we sent", notify="INVALID_SYNTAX"
                )
            g_ir = self.dh.exchange(ke.data)
        except (ProtocolError, CryptoError) as exc:
            self.pending = None
            self._fail(
                out,
                getattr(exc, "notify", None) or "INVALID_SYNTAX",
                str(exc),
                trigger="recv IKE_SA_INIT error",
            )
            return
        self.pending = None
        self.spi_r = msg.spi_r
        self.Nr = nonce.data
        self.chosen = chosen
        self.keys = derive_ike_keys(chosen, self.Ni, self.Nr, g_ir, self.spi_i, self.spi_r)
        self.real_message_2 = msg.raw
        self._check_nat(msg, out)
        self._move("recv IKE_SA_INIT response")
        self.certreq = msg.find(CERTREQ)
        self._send_auth(out, now)

    def respond_init(self, msg: Message, now: float, out: ev.Output) -> bool:
        """Responder: answer an IKE_SA_INIT request. Returns True if a half-open SA now exists."""
        sa, ke, nonce = msg.first(SA), msg.first(KE), msg.first(Nonce)
        self.spi_i = msg.spi_i
        if sa is None or ke is None or nonce is None:
            self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])], encrypted=False)
            self._fail(out, "INVALID_SYNTAX", "IKE_SA_INIT request lacks SA, KE or Ni", sent=True)
            return False
        picked = select_proposal(self.config.ike_suites, sa.proposals, PROTO_IKE)
        if picked is None:
            self._send_response(out, now, msg, [Notify(NOTIFY["NO_PROPOSAL_CHOSEN"])], encrypted=False)
            self._fail(out, "NO_PROPOSAL_CHOSEN", "no proposal of the initiator is acceptable", sent=True)
            return False
        reply, chosen = picked
        assert chosen.dh is not None
        if ke.group != chosen.dh.transform_id:
            self._send_response(
                out,
                now,
                msg,
                [Notify(NOTIFY["INVALID_KE_PAYLOAD"], chosen.dh.transform_id.to_bytes(2, "big"))],
                encrypted=False,
            )
            out.events.append(
                ev.ProtocolFailure(
                    "INVALID_KE_PAYLOAD",
                    f"KEi is group {ke.group}, we want {chosen.dh.transform_id}",
                    False,
                    True,
                )
            )
            return False
        self.dh = chosen.dh.generate(self.rng)
        try:
            g_ir = self.dh.exchange(ke.data)
        except CryptoError as exc:
            self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])], encrypted=False)
            self._fail(out, "INVALID_SYNTAX", str(exc), sent=True)
            return False
        self.created = now
        self.spi_r = _spi64(self.rng)
        self.Ni, self.Nr = nonce.data, self.rng.random_bytes(NONCE_LEN)
        self.chosen = chosen
        self.keys = derive_ike_keys(chosen, self.Ni, self.Nr, g_ir, self.spi_i, self.spi_r)
        self.real_message_1 = msg.raw
        self.peer_mid = 1
        self._check_nat(msg, out)
        payloads: list[Payload] = [
            SA((reply,)),
            KE(self.dh.group.transform_id, self.dh.public),
            Nonce(self.Nr),
            *self._nat_notifies(),
        ]
        if self.config.cert_credentials is not None:
            payloads += self._certreq()
            payloads.append(Notify(NOTIFY["SIGNATURE_HASH_ALGORITHMS"], (2).to_bytes(2, "big")))
        self.real_message_2 = self._send_response(out, now, msg, payloads, encrypted=False)
        self._move("recv IKE_SA_INIT request")
        return True

    def _certreq(self) -> list[Payload]:
        if not self.config.trust:
            return []
        hashes_ = b"".join(
            hashlib.sha1(
                ca.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ).digest()
            for ca in self.config.trust
        )
        return [CERTREQ(CERT_X509_SIGNATURE, hashes_)]

    # -- IKE_AUTH -----------------------------------------------------------------------------------

    def _my_auth(self, id_payload: ID) -> AUTH:
        assert self.keys is not None and self.chosen is not None and self.chosen.prf is not None
        if self.is_initiator:
            octets = signed_octets(self.real_message_1, self.Nr, self.chosen.prf, self.keys.SK_pi, id_payload)
        else:
            octets = signed_octets(self.real_message_2, self.Ni, self.chosen.prf, self.keys.SK_pr, id_payload)
        return make_auth(octets, self.chosen.prf, psk=self.config.psk, cert=self.config.cert_credentials)

    def _check_peer_auth(self, msg: Message, id_payload: ID | None, auth: AUTH | None) -> str:
        """Verify the peer's ID and AUTH; raises AuthenticationError."""
        assert self.keys is not None and self.chosen is not None and self.chosen.prf is not None
        if id_payload is None or auth is None:
            raise AuthenticationError("the peer sent no ID or no AUTH payload")
        ident = Identity.from_payload(id_payload)
        if self.config.remote_id is not None and ident != self.config.remote_id:
            raise AuthenticationError(
                f"the peer's identity {ident} is not the expected {self.config.remote_id}"
            )
        if self.is_initiator:
            octets = signed_octets(self.real_message_2, self.Ni, self.chosen.prf, self.keys.SK_pr, id_payload)
        else:
            octets = signed_octets(self.real_message_1, self.Nr, self.chosen.prf, self.keys.SK_pi, id_payload)
        certificate = None
        if auth.method != 2:
            certs = [c for c in msg.find(CERT) if c.encoding == CERT_X509_SIGNATURE]
            if not certs:
                raise AuthenticationError("the peer signed but sent no X.509 CERT payload")
            if self.config.psk is not None and not self.config.trust:
                raise AuthenticationError("the peer uses a certificate, but we expect a pre-shared key")
            try:
                certificate = load_certificate(certs[0].data)
                check_certificate(certificate, tuple(self.config.trust), ident, self.config.validation_time)
            except ParseError as exc:
                raise AuthenticationError(str(exc)) from exc
            except (ValueError, TypeError) as exc:  # cryptography on odd certificates (bad extensions, keys)
                raise AuthenticationError(f"the peer's certificate cannot be used: {exc}") from exc
        elif self.config.psk is None:
            raise AuthenticationError("the peer uses a pre-shared key, but we expect a certificate")
        try:
            how = verify_auth(auth, octets, self.chosen.prf, psk=self.config.psk, certificate=certificate)
        except (ValueError, TypeError) as exc:  # e.g. a certificate key type cryptography cannot load
            raise AuthenticationError(f"AUTH cannot be checked: {exc}") from exc
        self.peer_id = ident
        self.auth_method = how
        return how

    def _child_request_payloads(
        self, inbound_spi: int, local_ts, remote_ts, *, with_dh: bool
    ) -> list[Payload]:
        props = [
            suite_to_proposal(s, i + 1, PROTO_ESP, inbound_spi.to_bytes(4, "big"), with_dh=with_dh)
            for i, s in enumerate(self.config.esp_suites)
        ]
        self.child_pending["props"] = props
        return [SA(tuple(props)), TS(tuple(local_ts), True), TS(tuple(remote_ts), False)]

    def _send_auth(self, out: ev.Output, now: float) -> None:
        id_p = self.config.local_id.payload(True)
        payloads: list[Payload] = [id_p]
        creds = self.config.cert_credentials
        if creds is not None:
            payloads.append(
                CERT(CERT_X509_SIGNATURE, creds.certificate.public_bytes(serialization.Encoding.DER))
            )
        payloads += self._certreq() if creds is not None else []
        if self.config.initial_contact:
            payloads.append(Notify(NOTIFY["INITIAL_CONTACT"]))
        if self.config.mode == "transport":
            payloads.append(Notify(NOTIFY["USE_TRANSPORT_MODE"]))
        payloads.append(self._my_auth(id_p))
        inbound = _spi32(self.rng)
        self.child_pending = {"inbound": inbound}
        payloads += self._child_request_payloads(
            inbound, self.config.local_ts, self.config.remote_ts, with_dh=False
        )
        self._send_request(out, now, IKE_AUTH, payloads, "IKE_AUTH")

    def handle_auth_response(self, msg: Message, now: float, out: ev.Output) -> None:
        self.pending = None
        errors = [n for n in msg.notifies() if n.is_error]
        if msg.first(AUTH) is None:
            for n in errors:
                out.events.append(ev.ErrorNotifyReceived(n.type_name, "IKE_AUTH"))
            name = errors[0].type_name if errors else "INVALID_SYNTAX"
            self._fail(out, name, "the responder refused IKE_AUTH", trigger="recv IKE_AUTH error")
            return
        try:
            self._check_peer_auth(msg, msg.first(ID), msg.first(AUTH))
        except AuthenticationError as exc:
            # §2.21.2: an error found by the initiator goes in a separate INFORMATIONAL exchange.
            self._move("peer AUTH invalid")
            self._send_request(out, now, INFORMATIONAL, [Notify(NOTIFY["AUTHENTICATION_FAILED"])], "notify")
            self.pending = None
            self._fail(out, "AUTHENTICATION_FAILED", str(exc), sent=True)
            return
        self._move("recv IKE_AUTH response")
        self._established(out)
        if errors:
            for n in errors:
                out.events.append(ev.ErrorNotifyReceived(n.type_name, "IKE_AUTH"))
            self._fail(out, errors[0].type_name, "the responder refused the first CHILD_SA", fatal=False)
            return
        self._finish_child_initiator(msg, now, out, self.Ni, self.Nr, None)

    def _established(self, out: ev.Output) -> None:
        assert self.chosen is not None and self.keys is not None
        self.ike_sa = IkeSa(
            self.spi_i, self.spi_r, self.chosen, self.keys, self.Ni, self.Nr, self.is_initiator
        )
        out.events.append(
            ev.IkeSaEstablished(
                self.spi_i,
                self.spi_r,
                self.chosen.name,
                str(self.config.local_id),
                str(self.peer_id),
                self.auth_method,
            )
        )

    def respond_auth(self, msg: Message, now: float, out: ev.Output) -> None:
        try:
            self._check_peer_auth(msg, msg.first(ID), msg.first(AUTH))
        except AuthenticationError as exc:
            self._send_response(out, now, msg, [Notify(NOTIFY["AUTHENTICATION_FAILED"])])
            self._move("peer AUTH invalid")
            self._fail(out, "AUTHENTICATION_FAILED", str(exc), sent=True)
            return
        id_p = self.config.local_id.payload(False)
        payloads: list[Payload] = [id_p]
        creds = self.config.cert_credentials
        if creds is not None:
            payloads.append(
                CERT(CERT_X509_SIGNATURE, creds.certificate.public_bytes(serialization.Encoding.DER))
            )
        payloads.append(self._my_auth(id_p))
        self._move("recv IKE_AUTH request")
        child_payloads, child, failure = self._respond_child(msg, now, self.Ni, self.Nr, None)
        if (
            msg.first(Notify, type=NOTIFY["USE_TRANSPORT_MODE"])
            and child is not None
            and self.config.mode == "transport"
        ):
            child_payloads.insert(0, Notify(NOTIFY["USE_TRANSPORT_MODE"]))
        self._send_response(out, now, msg, payloads + child_payloads)
        self._established(out)
        if failure:
            self._fail(out, failure[0], failure[1], fatal=False, sent=True)
        if child is not None:
            self._add_child(child, out)

    # -- CHILD_SAs ----------------------------------------------------------------------------------

    def _narrow(self, theirs: tuple[TrafficSelector, ...], mine: tuple[TrafficSelector, ...]) -> tuple:
        out = []
        for t in theirs:
            for m in mine:
                x = t.intersect(m)
                if x is not None and x not in out:
                    out.append(x)
        return tuple(out)

    def _respond_child(
        self, msg: Message, now: float, Ni: bytes, Nr: bytes, g_ir: bytes | None, *, with_dh: bool = False
    ):
        """Responder side of a CHILD_SA negotiation: (payloads, ChildSa | None, (notify, reason) | None)."""
        sa, tsi, tsr = msg.first(SA), msg.first(TS, initiator=True), msg.first(TS, initiator=False)
        if sa is None or tsi is None or tsr is None:
            return (
                [Notify(NOTIFY["INVALID_SYNTAX"])],
                None,
                ("INVALID_SYNTAX", "CHILD_SA request lacks SA/TS"),
            )
        picked = select_proposal(self.config.esp_suites, sa.proposals, PROTO_ESP, with_dh=with_dh)
        if picked is None:
            return (
                [Notify(NOTIFY["NO_PROPOSAL_CHOSEN"])],
                None,
                ("NO_PROPOSAL_CHOSEN", "no acceptable ESP proposal"),
            )
        reply, chosen = picked
        if len(reply.spi) != 4:
            return [Notify(NOTIFY["INVALID_SYNTAX"])], None, ("INVALID_SYNTAX", "ESP SPI must be 4 bytes")
        # Their TSi is their side = our remote side (§2.9).
        n_i = self._narrow(tsi.selectors, self.config.remote_ts)
        n_r = self._narrow(tsr.selectors, self.config.local_ts)
        if not n_i or not n_r:
            return (
                [Notify(NOTIFY["TS_UNACCEPTABLE"])],
                None,
                ("TS_UNACCEPTABLE", "the proposed traffic selectors do not overlap ours"),
            )
        inbound = _spi32(self.rng)
        assert self.chosen is not None and self.keys is not None and self.chosen.prf is not None
        keys = derive_child_keys(self.chosen.prf, self.keys.SK_d, chosen, Ni, Nr, g_ir)
        peer_spi = int.from_bytes(reply.spi, "big")
        child = ChildSa(inbound, peer_spi, chosen, keys, n_r, n_i, now)
        self._make_esp(child, initiator_of_child=False)
        reply = Proposal(reply.number, PROTO_ESP, inbound.to_bytes(4, "big"), reply.transforms)
        return [SA((reply,)), TS(n_i, True), TS(n_r, False)], child, None

    def _finish_child_initiator(
        self, msg: Message, now: float, out: ev.Output, Ni: bytes, Nr: bytes, g_ir: bytes | None
    ) -> ChildSa | None:
        sa, tsi, tsr = msg.first(SA), msg.first(TS, initiator=True), msg.first(TS, initiator=False)
        if sa is None or tsi is None or tsr is None:
            self._fail(out, "INVALID_SYNTAX", "CHILD_SA response lacks SA or TS", fatal=False)
            return None
        try:
            got, chosen = accept_reply(self.child_pending.get("props", []), sa, PROTO_ESP)
        except ProtocolError as exc:
            self._fail(out, exc.notify or "INVALID_SYNTAX", str(exc), fatal=False)
            return None
        if len(got.spi) != 4:
            self._fail(out, "INVALID_SYNTAX", "the responder's ESP SPI is not 4 bytes", fatal=False)
            return None
        local_ts = self.child_pending.get("local_ts", self.config.local_ts)
        remote_ts = self.child_pending.get("remote_ts", self.config.remote_ts)
        if not all(any(x.intersect(m) == x for m in local_ts) for x in tsi.selectors) or not all(
            any(x.intersect(m) == x for m in remote_ts) for x in tsr.selectors
        ):
            self._fail(out, "TS_UNACCEPTABLE", "the responder widened the traffic selectors", fatal=False)
            return None
        assert self.chosen is not None and self.keys is not None and self.chosen.prf is not None
        keys = derive_child_keys(self.chosen.prf, self.keys.SK_d, chosen, Ni, Nr, g_ir)
        child = ChildSa(
            self.child_pending["inbound"],
            int.from_bytes(got.spi, "big"),
            chosen,
            keys,
            tsi.selectors,
            tsr.selectors,
            now,
        )
        self._make_esp(child, initiator_of_child=True)
        self._add_child(child, out)
        return child

    def _add_child(self, child: ChildSa, out: ev.Output) -> None:
        self.child_sas.append(child)
        out.events.append(
            ev.ChildSaEstablished(
                child,
                child.inbound_spi,
                child.outbound_spi,
                child.chosen.name,
                tuple(map(str, child.local_ts)),
                tuple(map(str, child.remote_ts)),
                child.keys.pfs,
            )
        )

    def _make_esp(self, child: ChildSa, *, initiator_of_child: bool) -> None:
        """Build the inbound/outbound ESP SecurityAssociation pair (vpnlearn.ipsec.sa), if available."""
        try:
            from vpnlearn.ipsec.sa import SecurityAssociation
        except ImportError:  # the ESP module is optional for the IKE core
            return
        k = child.keys
        # §2.17: encr_i/integ_i protect initiator->responder traffic of this CHILD_SA's exchange.
        out_e, out_a, in_e, in_a = (
            (k.encr_i, k.integ_i, k.encr_r, k.integ_r)
            if initiator_of_child
            else (k.encr_r, k.integ_r, k.encr_i, k.integ_i)
        )
        c = child.chosen
        common = {
            "encryption": c.encr.name,
            "integrity": c.integ.name if c.integ else None,
            "mode": self.config.mode,
            "esn": bool(c.esn),
            "created": child.created,
        }
        encap_out = encap_in = None
        if self.nat_local or self.nat_remote or self.nat_fake:  # ESP in UDP (RFC 3948), §2.23
            from vpnlearn.ipsec.natt import UdpEncap

            encap_out = UdpEncap(src_port=self.local[1], dst_port=self.remote[1])
            encap_in = UdpEncap(src_port=self.remote[1], dst_port=self.local[1])
        try:
            child.outbound = SecurityAssociation(
                child.outbound_spi,
                enc_key=out_e,
                integ_key=out_a or None,
                direction="outbound",
                tunnel_src=self.local[0],
                tunnel_dst=self.remote[0],
                udp_encap=encap_out,
                **common,
            )
            child.inbound = SecurityAssociation(
                child.inbound_spi,
                enc_key=in_e,
                integ_key=in_a or None,
                direction="inbound",
                tunnel_src=self.remote[0],
                tunnel_dst=self.local[0],
                udp_encap=encap_in,
                **common,
            )
        except (VpnlearnError, TypeError) as exc:
            child.outbound = child.inbound = None
            child.esp_error = str(exc)

    def create_child(
        self,
        now: float,
        local_ts=None,
        remote_ts=None,
        *,
        rekey: ChildSa | None = None,
        dh_group: int | None = None,
    ) -> ev.Output:
        """Start a CREATE_CHILD_SA exchange for a new (or rekeyed) CHILD_SA (§1.3.1, §1.3.3).

        With PFS (a DH group in the first ESP proposal), KEi is in the first group of our ESP
        proposals; a rekey uses the group of the CHILD_SA it replaces. ``dh_group`` overrides it:
        the retry after INVALID_KE_PAYLOAD (§1.3) names the group the responder asked for.
        """
        out = ev.Output()
        self._require_idle_established()
        suite = self.config.esp_suites[0]
        with_dh = bool(suite.dh)
        inbound = _spi32(self.rng)
        nonce = self.rng.random_bytes(NONCE_LEN)
        lts = tuple(local_ts or (rekey.local_ts if rekey else self.config.local_ts))
        rts = tuple(remote_ts or (rekey.remote_ts if rekey else self.config.remote_ts))
        self.child_pending = {"inbound": inbound, "local_ts": lts, "remote_ts": rts}
        payloads: list[Payload] = []
        if rekey is not None:
            payloads.append(Notify(NOTIFY["REKEY_SA"], b"", PROTO_ESP, rekey.inbound_spi.to_bytes(4, "big")))
        props_payloads = self._child_request_payloads(inbound, lts, rts, with_dh=with_dh)
        payloads += [props_payloads[0], Nonce(nonce)]
        dh = None
        if with_dh:
            if dh_group is None and rekey is not None and rekey.chosen.dh is not None:
                dh_group = rekey.chosen.dh.transform_id
            dh = self._offered_group(self.config.esp_suites, dh_group).generate(self.rng)
            payloads.append(KE(dh.group.transform_id, dh.public))
        payloads += props_payloads[1:]
        self._send_request(
            out,
            now,
            CREATE_CHILD_SA,
            payloads,
            "rekey child" if rekey else "new child",
            nonce=nonce,
            dh=dh,
            rekey=rekey,
        )
        return out

    def rekey_ike(self, now: float, *, dh_group: int | None = None) -> ev.Output:
        """Start rekeying the IKE SA itself (§1.3.2, §2.18).

        KEi is in the DH group negotiated for the current IKE SA (the group the responder is known
        to accept; strongSwan does the same), not simply the first group of our proposal.
        ``dh_group`` overrides it: the retry after INVALID_KE_PAYLOAD (§1.3) names the group the
        responder asked for.
        """
        out = ev.Output()
        self._require_idle_established()
        new_spi = _spi64(self.rng)
        suites = self.config.ike_suites
        props = [suite_to_proposal(s, i + 1, PROTO_IKE, new_spi) for i, s in enumerate(suites)]
        nonce = self.rng.random_bytes(NONCE_LEN)
        if dh_group is None and self.chosen is not None and self.chosen.dh is not None:
            dh_group = self.chosen.dh.transform_id
        dh = self._offered_group(suites, dh_group).generate(self.rng)
        self._send_request(
            out,
            now,
            CREATE_CHILD_SA,
            [SA(tuple(props)), Nonce(nonce), KE(dh.group.transform_id, dh.public)],
            "rekey IKE",
            nonce=nonce,
            dh=dh,
            props=props,
            new_spi=new_spi,
        )
        return out

    @staticmethod
    def _offered_group(suites: list[alg.Suite], group: int | None):
        """The DH group ``group`` if one of ``suites`` has it, else the first group of the first suite."""
        ours = [g for s in suites for g in s.dh]
        return next((g for g in ours if g.transform_id == group), ours[0])

    def _retry_group(self, suites: list[alg.Suite], notify: Notify, sent: int, tried: tuple[int, ...]):
        """The group an INVALID_KE_PAYLOAD asks for (§1.3), or None if we cannot retry with it.

        We retry only with a group we proposed, not the one we just sent, and not one tried before
        (so two peers with crossed preferences cannot loop).
        """
        group = int.from_bytes(notify.data, "big") if len(notify.data) == 2 else -1
        if group == sent or group in tried:
            return None
        return next((g for s in suites for g in s.dh if g.transform_id == group), None)

    def _require_idle_established(self) -> None:
        if self.state != State.ESTABLISHED:
            raise ProtocolError(f"the IKE SA is {self.state.value}, not ESTABLISHED")
        if self.pending is not None:
            raise ProtocolError("a request is still outstanding (window size 1, RFC 7296 §2.3)")

    def delete_child(self, now: float, child: ChildSa) -> ev.Output:
        out = ev.Output()
        self._require_idle_established()
        self._send_request(
            out,
            now,
            INFORMATIONAL,
            [Delete(PROTO_ESP, (child.inbound_spi.to_bytes(4, "big"),))],
            "delete child",
            child=child,
        )
        return out

    def delete_ike(self, now: float) -> ev.Output:
        out = ev.Output()
        if self.state not in (State.ESTABLISHED, State.REKEYED):
            raise ProtocolError(f"the IKE SA is {self.state.value}: nothing to delete")
        if self.pending is not None:
            raise ProtocolError("a request is still outstanding (window size 1, RFC 7296 §2.3)")
        self._send_request(out, now, INFORMATIONAL, [Delete(PROTO_IKE)], "delete IKE")
        self._move("send Delete IKE SA")
        return out

    def liveness(self, now: float) -> ev.Output:
        out = ev.Output()
        self._require_idle_established()
        self._send_request(out, now, INFORMATIONAL, [], "liveness")
        return out

    # -- requests from an established peer ---------------------------------------------------------

    def respond_create_child(self, msg: Message, now: float, out: ev.Output) -> None:
        assert self.chosen is not None and self.keys is not None and self.chosen.prf is not None
        sa, nonce, ke = msg.first(SA), msg.first(Nonce), msg.first(KE)
        if sa is None or nonce is None:
            self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])])
            return
        if sa.proposals and sa.proposals[0].protocol == PROTO_IKE:
            self._respond_rekey_ike(msg, sa, nonce, ke, now, out)
            return
        rekey_n = msg.first(Notify, type=NOTIFY["REKEY_SA"])
        old = None
        if rekey_n is not None:
            spi = int.from_bytes(rekey_n.spi, "big") if len(rekey_n.spi) == 4 else -1
            old = next((c for c in self.child_sas if c.outbound_spi == spi), None)
            if old is None:
                self._send_response(
                    out, now, msg, [Notify(NOTIFY["CHILD_SA_NOT_FOUND"], b"", PROTO_ESP, rekey_n.spi[:4])]
                )
                return
        with_dh = any(t.type == alg.DH for p in sa.proposals for t in p.transforms)
        g_ir, my_dh = None, None
        if with_dh:
            picked = select_proposal(self.config.esp_suites, sa.proposals, PROTO_ESP, with_dh=True)
            if picked is not None and picked[1].dh is not None:
                if ke is None or ke.group != picked[1].dh.transform_id:
                    self._send_response(
                        out,
                        now,
                        msg,
                        [Notify(NOTIFY["INVALID_KE_PAYLOAD"], picked[1].dh.transform_id.to_bytes(2, "big"))],
                    )
                    out.events.append(
                        ev.ProtocolFailure("INVALID_KE_PAYLOAD", "CREATE_CHILD_SA KE group", False, True)
                    )
                    return
                my_dh = picked[1].dh.generate(self.rng)
                try:
                    g_ir = my_dh.exchange(ke.data)
                except CryptoError as exc:
                    self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])])
                    self._fail(out, "INVALID_SYNTAX", str(exc), fatal=False, sent=True)
                    return
        nr = self.rng.random_bytes(NONCE_LEN)
        payloads, child, failure = self._respond_child(msg, now, nonce.data, nr, g_ir, with_dh=with_dh)
        if child is None:
            self._send_response(out, now, msg, payloads)
            if failure:
                self._fail(out, failure[0], failure[1], fatal=False, sent=True)
            return
        resp: list[Payload] = [payloads[0], Nonce(nr)]
        if my_dh is not None:
            resp.append(KE(my_dh.group.transform_id, my_dh.public))
        resp += payloads[1:]
        self._send_response(out, now, msg, resp)
        self._add_child(child, out)
        if old is not None:
            out.events.append(ev.ChildSaRekeyed(old.inbound_spi, child.inbound_spi))

    def _respond_rekey_ike(self, msg, sa, nonce, ke, now, out) -> None:
        picked = select_proposal(self.config.ike_suites, sa.proposals, PROTO_IKE)
        if picked is None:
            self._send_response(out, now, msg, [Notify(NOTIFY["NO_PROPOSAL_CHOSEN"])])
            return
        reply, chosen = picked
        assert chosen.dh is not None and self.keys is not None and self.chosen is not None
        if ke is None or ke.group != chosen.dh.transform_id:
            self._send_response(
                out,
                now,
                msg,
                [Notify(NOTIFY["INVALID_KE_PAYLOAD"], chosen.dh.transform_id.to_bytes(2, "big"))],
            )
            got = "no KE" if ke is None else f"KEi is group {ke.group}"
            out.events.append(
                ev.ProtocolFailure(
                    "INVALID_KE_PAYLOAD",
                    f"IKE SA rekey: {got}, we want {chosen.dh.transform_id}",
                    False,
                    True,
                )
            )
            return
        if len(reply.spi) != 8:
            self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])])
            return
        dh = chosen.dh.generate(self.rng)
        try:
            g_ir = dh.exchange(ke.data)
        except CryptoError:
            self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])])
            return
        nr = self.rng.random_bytes(NONCE_LEN)
        new_spi_r = _spi64(self.rng)
        new_spi_i = reply.spi
        reply = Proposal(reply.number, PROTO_IKE, new_spi_r, reply.transforms)
        self._send_response(out, now, msg, [SA((reply,)), Nonce(nr), KE(dh.group.transform_id, dh.public)])
        assert self.chosen.prf is not None
        keys = derive_rekeyed_ike_keys(
            self.chosen.prf, self.keys.SK_d, chosen, g_ir, nonce.data, nr, new_spi_i, new_spi_r
        )
        self._become_rekeyed(
            out, chosen, keys, new_spi_i, new_spi_r, nonce.data, nr, initiator=False, now=now
        )

    def _become_rekeyed(
        self, out, chosen, keys, spi_i, spi_r, ni, nr, *, initiator: bool, now: float
    ) -> None:
        new = IkeSession(
            self.config, INITIATOR if initiator else RESPONDER, self.rng, self.local, self.remote
        )
        new.spi_i, new.spi_r, new.Ni, new.Nr = spi_i, spi_r, ni, nr
        new.chosen, new.keys = chosen, keys
        new.state = transition(new.role, State.IDLE, "created by IKE SA rekey")
        new.child_sas = self.child_sas
        new.transcript = self.transcript
        new.port = self.port
        new.nat_local, new.nat_remote, new.nat_fake = self.nat_local, self.nat_remote, self.nat_fake
        new.peer_id, new.auth_method = self.peer_id, self.auth_method
        new.created = now
        new.ike_sa = IkeSa(spi_i, spi_r, chosen, keys, ni, nr, initiator)
        self.child_sas = []
        self.successor = new
        self._move("IKE SA rekeyed")
        out.events.append(ev.IkeSaRekeyed(self.spi_i, self.spi_r, spi_i, spi_r))

    def respond_informational(self, msg: Message, now: float, out: ev.Output) -> None:
        resp: list[Payload] = []
        for n in msg.notifies():
            if n.is_error:
                out.events.append(ev.ErrorNotifyReceived(n.type_name, "INFORMATIONAL"))
                if n.type_name == "AUTHENTICATION_FAILED" and self.state == State.ESTABLISHED:
                    self._send_response(out, now, msg, [])
                    self._move("recv AUTHENTICATION_FAILED")
                    out.events.append(
                        ev.ProtocolFailure("AUTHENTICATION_FAILED", "the peer rejected our authentication")
                    )
                    self._drop_children(out, by_peer=True)  # the CHILD_SA made in IKE_AUTH goes too
                    return
        delete_ike = False
        for d in msg.find(Delete):
            if d.protocol == PROTO_IKE:
                delete_ike = True
            elif d.protocol == PROTO_ESP:
                mine = []
                for spi in d.spis:
                    v = int.from_bytes(spi, "big")
                    child = next((c for c in self.child_sas if c.outbound_spi == v), None)
                    if child is not None:
                        self.child_sas.remove(child)
                        mine.append(child.inbound_spi.to_bytes(4, "big"))
                        out.events.append(ev.ChildSaDeleted(child.inbound_spi, child.outbound_spi, True))
                if mine:
                    resp.append(Delete(PROTO_ESP, tuple(mine)))
        self._send_response(out, now, msg, resp)
        if delete_ike:
            self._move("recv Delete IKE SA")
            self.pending = None
            self._drop_children(out, by_peer=True)
            out.events.append(ev.IkeSaDeleted(self.spi_i, self.spi_r, True))

    def handle_response(self, msg: Message, now: float, out: ev.Output) -> None:
        """A response to one of our requests after IKE_AUTH."""
        p = self.pending
        assert p is not None
        self.pending = None
        errors = [n for n in msg.notifies() if n.is_error]
        if self._invalid_ke_retry(p, errors, now, out):
            return  # as for IKE_SA_INIT: an InvalidKeRetry event, not an error
        for n in errors:
            out.events.append(ev.ErrorNotifyReceived(n.type_name, EXCHANGE_NAMES.get(msg.exchange, "?")))
        if p.kind == "liveness":
            out.events.append(ev.LivenessConfirmed(msg.message_id))
        elif p.kind == "delete child":
            child = p.context["child"]
            if child in self.child_sas:
                self.child_sas.remove(child)
            out.events.append(ev.ChildSaDeleted(child.inbound_spi, child.outbound_spi, False))
        elif p.kind == "delete IKE":
            self._move("Delete IKE SA answered")
            self._drop_children(out, by_peer=False)
            out.events.append(ev.IkeSaDeleted(self.spi_i, self.spi_r, False))
        elif p.kind in ("new child", "rekey child"):
            if errors:
                self._fail(out, errors[0].type_name, "the peer refused CREATE_CHILD_SA", fatal=False)
                return
            nonce = msg.first(Nonce)
            if nonce is None:
                self._fail(out, "INVALID_SYNTAX", "CREATE_CHILD_SA response lacks Nr", fatal=False)
                return
            g_ir = None
            dh = p.context.get("dh")
            if dh is not None:
                ke = msg.first(KE)
                try:
                    if ke is None or ke.group != dh.group.transform_id:
                        raise CryptoError("the response's KE is missing or of another group")
                    g_ir = dh.exchange(ke.data)
                except CryptoError as exc:
                    self._fail(out, "INVALID_SYNTAX", str(exc), fatal=False)
                    return
            child = self._finish_child_initiator(msg, now, out, p.context["nonce"], nonce.data, g_ir)
            old = p.context.get("rekey")
            if child is not None and old is not None:
                out.events.append(ev.ChildSaRekeyed(old.inbound_spi, child.inbound_spi))
                out.extend(self.delete_child(now, old))
        elif p.kind == "rekey IKE":
            if errors:
                self._fail(out, errors[0].type_name, "the peer refused the IKE SA rekey", fatal=False)
                return
            sa, nonce, ke = msg.first(SA), msg.first(Nonce), msg.first(KE)
            dh = p.context["dh"]
            try:
                if sa is None or nonce is None or ke is None:
                    raise ProtocolError("IKE rekey response lacks SA, Nr or KE", notify="INVALID_SYNTAX")
                got, chosen = accept_reply(p.context["props"], sa, PROTO_IKE)
                if len(got.spi) != 8 or ke.group != dh.group.transform_id:
                    raise ProtocolError(
                        "bad SPI size or KE group in the IKE rekey response", notify="INVALID_SYNTAX"
                    )
                g_ir = dh.exchange(ke.data)
            except (ProtocolError, CryptoError) as exc:
                self._fail(out, getattr(exc, "notify", None) or "INVALID_SYNTAX", str(exc), fatal=False)
                return
            assert self.chosen is not None and self.chosen.prf is not None and self.keys is not None
            keys = derive_rekeyed_ike_keys(
                self.chosen.prf,
                self.keys.SK_d,
                chosen,
                g_ir,
                p.context["nonce"],
                nonce.data,
                p.context["new_spi"],
                got.spi,
            )
            self._become_rekeyed(
                out,
                chosen,
                keys,
                p.context["new_spi"],
                got.spi,
                p.context["nonce"],
                nonce.data,
                initiator=True,
                now=now,
            )
            out.extend(self.delete_ike(now))

    def _invalid_ke_retry(self, p: _Pending, errors: list[Notify], now: float, out: ev.Output) -> bool:
        """CREATE_CHILD_SA answered INVALID_KE_PAYLOAD: repeat it in the group the responder names.

        RFC 7296 §1.3: the exchange fails, "and the initiator will probably retry the exchange with a
        Diffie-Hellman proposal and KEi in the group that the responder gave in the INVALID_KE_PAYLOAD"
        (for an IKE SA rekey, §1.3.2, and a CHILD_SA with PFS, §1.3.1/§1.3.3, alike). The retry is a
        new exchange (next Message ID, fresh nonce and SPI), as the IKE_SA_INIT retry in
        :meth:`handle_init_response` is. Returns True if the request was sent again.
        """
        notify = next((n for n in errors if n.type_name == "INVALID_KE_PAYLOAD"), None)
        dh = p.context.get("dh")
        if notify is None or dh is None or p.kind not in ("new child", "rekey child", "rekey IKE"):
            return False
        if self.state != State.ESTABLISHED:  # e.g. the peer rekeyed or deleted the IKE SA meanwhile
            return False
        ike = p.kind == "rekey IKE"
        suites = self.config.ike_suites if ike else self.config.esp_suites
        sent = dh.group.transform_id
        tried = (*p.context.get("tried", ()), sent)
        group = self._retry_group(suites, notify, sent, tried)
        if group is None:
            return False
        out.events.append(ev.InvalidKeRetry(sent, group.transform_id))
        if ike:
            again = self.rekey_ike(now, dh_group=group.transform_id)
        else:
            again = self.create_child(
                now,
                self.child_pending.get("local_ts"),
                self.child_pending.get("remote_ts"),
                rekey=p.context.get("rekey"),
                dh_group=group.transform_id,
            )
        assert self.pending is not None
        self.pending.context["tried"] = tried
        out.extend(again)
        return True

    # -- receiving ----------------------------------------------------------------------------------

    def receive(
        self,
        msg: Message,
        now: float,
        out: ev.Output,
        local: Address | None = None,
        remote: Address | None = None,
    ) -> None:
        """Dispatch a decoded message that belongs to this IKE SA.

        ``local``/``remote`` are where the datagram arrived and came from; behind a NAT, an
        authenticated message moves the peer's address (§2.23), e.g. to its NAT port 4500.
        """
        self._arrived = (local, remote)
        if msg.response:
            self._receive_response(msg, now, out)
        else:
            self._receive_request(msg, now, out)

    def _open(self, msg: Message, out: ev.Output) -> Message | None:
        if msg.sealed is None:
            if msg.exchange == IKE_SA_INIT:
                return msg
            out.events.append(ev.MessageDropped(f"{msg.exchange_name} without an SK payload"))
            return None
        if self.keys is None:
            out.events.append(ev.MessageDropped("encrypted message before the keys exist"))
            return None
        try:
            opened = open_message(msg, self._sk_in())
            local, remote = self._arrived
            nat = self.nat_local or self.nat_remote or self.nat_fake
            if nat and remote is not None and local is not None:
                self.remote, self.local = remote, local  # §2.23: follow the NAT mapping
            return opened
        except AuthenticationError as exc:
            out.events.append(ev.MessageDropped(f"integrity check failed: {exc}"))
            return None
        except ParseError as exc:
            if getattr(exc, "authenticated", False):
                self._malformed = exc  # authentic but malformed: a request gets INVALID_SYNTAX
            out.events.append(ev.MessageDropped(f"malformed after decryption: {exc}"))
            return None

    def _receive_response(self, msg: Message, now: float, out: ev.Output) -> None:
        p = self.pending
        if p is None or msg.message_id != p.message_id or msg.exchange != p.exchange:
            out.events.append(ev.MessageDropped(f"unexpected response {msg.exchange_name} #{msg.message_id}"))
            return
        if msg.initiator == self.is_initiator:
            out.events.append(ev.MessageDropped("response with the wrong Initiator flag"))
            return
        if msg.exchange == IKE_SA_INIT:
            if msg.spi_i != self.spi_i:
                out.events.append(ev.MessageDropped("IKE_SA_INIT response for another SPIi"))
                return
            self._log("received", msg, msg.raw, now)
            self.handle_init_response(msg, now, out)
            return
        opened = self._open(msg, out)
        if opened is None:
            return
        self._log("received", opened, msg.raw, now)
        if opened.exchange == IKE_AUTH and self.state == State.AUTH_SENT:
            self.handle_auth_response(opened, now, out)
        else:
            self.handle_response(opened, now, out)

    def _receive_request(self, msg: Message, now: float, out: ev.Output) -> None:
        if msg.initiator == self.is_initiator:
            out.events.append(ev.MessageDropped("request with the wrong Initiator flag"))
            return
        if self.last_response is not None and msg.message_id == self.last_response[0]:
            # §2.1: a retransmitted request gets the same response again (after checking integrity).
            if msg.exchange != IKE_SA_INIT and self._open(msg, out) is None:
                return
            out.send.append(self.last_response[1])
            out.events.append(ev.RetransmitSent(msg.exchange_name, msg.message_id, 2, response=True))
            return
        if msg.message_id != self.peer_mid:
            out.events.append(ev.MessageDropped(f"request #{msg.message_id}, expected #{self.peer_mid}"))
            return
        self._malformed = None
        opened = self._open(msg, out)
        if opened is None:
            if self._malformed is not None:
                # §2.21 / §3.10.1: an authenticated request we cannot parse is answered INVALID_SYNTAX
                self._log("received", msg, msg.raw, now, note="malformed after decryption")
                self.peer_mid += 1
                self._send_response(out, now, msg, [Notify(NOTIFY["INVALID_SYNTAX"])])
                out.events.append(ev.ProtocolFailure("INVALID_SYNTAX", str(self._malformed), False, True))
            return
        self._log("received", opened, msg.raw, now)
        self.peer_mid += 1
        crit = opened.unsupported_critical()
        if crit is not None:
            self._send_response(
                out, now, opened, [Notify(NOTIFY["UNSUPPORTED_CRITICAL_PAYLOAD"], bytes([crit.type & 0xFF]))]
            )
            out.events.append(
                ev.ProtocolFailure(
                    "UNSUPPORTED_CRITICAL_PAYLOAD", f"critical payload type {crit.type}", False, True
                )
            )
            return
        if opened.exchange == IKE_AUTH:
            if self.state != State.INIT_DONE:
                self._send_response(out, now, opened, [Notify(NOTIFY["INVALID_SYNTAX"])])
                return
            self.respond_auth(opened, now, out)
            return
        if opened.exchange not in (CREATE_CHILD_SA, INFORMATIONAL):
            self._send_response(out, now, opened, [Notify(NOTIFY["INVALID_SYNTAX"])])
            return
        if not allowed(self.role, self.state, opened.exchange_name):  # the one state table decides
            # §2.8: a CHILD_SA request during an IKE rekey/delete gets TEMPORARY_FAILURE
            busy = opened.exchange == CREATE_CHILD_SA and self.state in (State.REKEYED, State.DELETING)
            self._send_response(
                out, now, opened, [Notify(NOTIFY["TEMPORARY_FAILURE" if busy else "INVALID_SYNTAX"])]
            )
            out.events.append(ev.MessageDropped(f"{opened.exchange_name} while {self.state.value}"))
            return
        self._move(opened.exchange_name)
        if opened.exchange == CREATE_CHILD_SA:
            self.respond_create_child(opened, now, out)
        else:
            self.respond_informational(opened, now, out)

    # -- timers -------------------------------------------------------------------------------------

    def next_timer(self) -> float | None:
        p = self.pending
        if p is None:
            return None
        return p.sent_at + self.config.retransmit_timeout * (2 ** (p.tries - 1))

    def tick(self, now: float, out: ev.Output) -> None:
        p = self.pending
        when = self.next_timer()
        if p is None or when is None or now < when:
            return
        if p.tries >= self.config.retransmit_tries:
            self.pending = None
            out.events.append(ev.PeerDead(EXCHANGE_NAMES.get(p.exchange, "?"), p.message_id))
            self._move("retransmissions exhausted")
            # §2.4: a peer found dead takes the IKE SA "and all associated CHILD_SAs" with it.
            self._drop_children(out, by_peer=False)
            return
        p.tries += 1
        p.sent_at = now
        out.send.append(p.data)
        out.events.append(ev.RetransmitSent(EXCHANGE_NAMES.get(p.exchange, "?"), p.message_id, p.tries))

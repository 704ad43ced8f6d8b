"""IKEv2 (RFC 7296) from the packet up: messages, keys, authentication and sans-I/O peers.

Nothing in this package opens a socket or reads a clock. A peer is an object you hand bytes to
(with the time, ``now``, in seconds, and the UDP addresses they came from) and take bytes back
from. A UDP runner (``vpnlearn.ike.udp``) is a thin layer on top.

Modules
-------
- ``payloads``  every payload of RFC 7296 §3 (one declaration per payload for the encoder, the
  decoder and the annotated view); ``TrafficSelector`` with §2.9 narrowing.
- ``messages``  the IKE header, ``Message``, ``encode_message``/``decode_message``/``open_message``,
  the SK payload (§3.14) with AES-CBC+HMAC-SHA1/2, AES-GCM-16 (RFC 5282) and ChaCha20-Poly1305
  (RFC 7634), ``message_spans`` (vpnlearn.wire.Span for hexdumps) and ``describe`` (a readable
  summary).
- ``algorithms`` a thin IKE layer over the project's one algorithm table, ``vpnlearn.crypto.suites``
  (IANA IDs, sizes, strongSwan names and weak flags live only there): each ENCR/PRF/INTEG/DH row
  gains what IKE does with it (SK sealing, prf and prf+ of §2.13, ICVs, DH key pairs), and
  ``parse_proposal`` is ``suites.parse_proposal`` returning those rows. The SK payload can seal
  AES-CBC, AES-GCM-16 and ChaCha20-Poly1305; DH groups are every one in ``suites`` (2, 5, 14-24, 31).
- ``events``    the frozen event dataclasses and ``Output``.
- ``keys``      SKEYSEED and SK_d/SK_ai/SK_ar/SK_ei/SK_er/SK_pi/SK_pr (§2.14), child KEYMAT (§2.17),
  rekeyed SKEYSEED (§2.18).
- ``auth``      ``Identity`` (ID_IPV4_ADDR, ID_FQDN, ID_RFC822_ADDR, ID_DER_ASN1_DN), PSK AUTH (§2.15),
  RSA PKCS#1 v1.5 (method 1) and RFC 7427 signatures (method 14: RSA PKCS#1, RSA-PSS, ECDSA P-256),
  certificate checks (issuer, validity at a given time, SAN/subject = ID), ``DemoCA``.
- ``state``     the state transitions as one table (``TRANSITIONS``), which the code uses and a
  diagram can draw.
- ``config``    ``IkeConfig`` (checks every field when made: a value of the wrong type is a
  ``ConfigError`` naming the field, never a ``TypeError``); ``proposals`` building, choosing (§2.7)
  and checking SA proposals, NAT detection hashes.
- ``session``   ``IkeSession``: one IKE SA and its CHILD_SAs, all exchanges, both roles.
- ``peer``      ``Initiator`` and ``Responder`` (route messages to sessions, cookies, half-open SAs).
- ``ikev1``     a table describing IKEv1 Main Mode + Quick Mode (RFC 2409), to contrast (not an
  implementation).
- ``udp``       ``UdpRunner``: a peer on real UDP sockets (500/4500, ESP in UDP), pcap and Wireshark key
  tables; ``cli`` the ``vpnlearn ike initiate|respond`` commands on top of it.

The sans-I/O API (what the UDP runner and the notebooks use)
-------------------------------------------------------------
::

    from vpnlearn.ike import IkeConfig, Identity, Initiator, Responder, TrafficSelector

    left = IkeConfig(
        local_id=Identity.fqdn("left.example"), remote_id=Identity.fqdn("right.example"),
        psk=b"our shared secret",   # or certificate=, private_key=, trust=[ca cert], validation_time=
        ike_proposals=("aes128gcm16-prfsha256-x25519",),   # strongSwan-style proposal strings
        esp_proposals=("aes128gcm16",),                    # add "-modp2048"/"-x25519" for PFS
        local_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
        remote_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
        force_encap=False,   # True: ESP in UDP 4500 even without a NAT (strongSwan's encap = yes)
    )
    ini = Initiator(left, rng=None)       # rng: vpnlearn.rand.RandomSource | None (DemoRandom for demos)
    resp = Responder(right_config, rng=None)

    out = ini.start(now=0.0, local=("192.0.2.1", 500), remote=("192.0.2.2", 500))
    # out.send:   list[bytes]  IKE messages to send to the peer (no non-ESP marker; see below)
    # out.events: list[Event]  what happened (frozen dataclasses, see ``vpnlearn.ike.events``)
    out = resp.receive(data, now=0.0, local=("192.0.2.2", 500), remote=("192.0.2.1", 500))

Both classes share this interface (class ``Peer``):

- ``receive(data: bytes, now: float, local=(ip, port), remote=(ip, port)) -> Output``: one received
  IKE message (UDP payload; on port 4500 the caller strips the 4-byte zero non-ESP marker first).
  Never raises for what the remote peer sent: broken input becomes an error notify in ``send``
  (where RFC 7296 says to answer) and/or a ``ProtocolFailure``/``MessageDropped`` event.
- ``tick(now: float) -> Output``: retransmits an unanswered request when its timer (driven by
  ``now``) runs out; after the last try it gives up with ``PeerDead``: the IKE SA is CLOSED and its
  CHILD_SAs go with it (§2.4; a ``ChildSaDeleted`` for each).
- ``next_timer() -> float | None``: when ``tick`` next needs to be called.
- ``port`` (500, or 4500 after NAT detection / ``SwitchToPort4500``): the port to send from and to.
  With ``IkeConfig.force_encap`` our NAT_DETECTION_SOURCE_IP is a hash that matches no address, so
  both peers believe a NAT is in the way and move to 4500, and the ESP SAs are UDP-encapsulated
  (RFC 7296 §2.23, RFC 3948); an IKE SA made by a rekey keeps that.
- ``state``: a ``vpnlearn.ike.state.State``; ``ike_sa``: the established IKE SA (SPIs, ``keys``
  an ``IkeKeys`` dataclass named as in the RFC, the chosen suite) or None;
  ``child_sas``: list of the current IKE SA's established ``ChildSa`` (each with its ``keys`` (KEYMAT)
  and ``inbound`` and ``outbound`` ``vpnlearn.ipsec.sa.SecurityAssociation``, or None with the reason
  in ``esp_error`` if they could not be built); empty once the IKE SA is deleted, dead or failed.
- ``transcript``: a list of ``TranscriptEntry`` (direction, exchange, message_id, is_response,
  payload names, which keys protect it, time, the raw bytes) for the sequence diagram.
- ``sessions``: every IKE SA by SPIi | SPIr (during an IKE rekey the old and the new one);
  ``session`` is the current ``IkeSession`` the views above show. ``ike_sa`` has ``spi_i``,
  ``spi_r`` (bytes), ``chosen`` (``.encr``/``.prf``/``.integ``/``.dh`` rows with ``.name``, and
  ``.name`` like ``aes128gcm16-prfsha256-x25519``) and ``keys``.
- ``Responder`` only: ``half_open_count``, ``expire_half_open(now, max_age)``; COOKIEs are demanded
  from ``IkeConfig.cookie_threshold`` half-open SAs, new ones dropped at ``half_open_limit``.
- Requests started by either side once the IKE SA is up (each returns an ``Output``; one at a time,
  window size 1, else ``ProtocolError``): ``create_child(now, local_ts=None, remote_ts=None)``,
  ``rekey_child(now, child)``, ``rekey_ike(now)``, ``delete_child(now, child)``, ``delete_ike(now)``,
  ``liveness(now)`` (DPD). DH groups: IKE_SA_INIT's KEi is in the first group of the first IKE
  proposal; ``create_child`` with PFS (a DH group in the first ESP proposal) offers the first ESP
  group; ``rekey_child`` offers the group of the CHILD_SA it replaces (the first ESP group if that
  one had none, e.g. the CHILD_SA of IKE_AUTH) and ``rekey_ike`` the group negotiated for the
  current IKE SA (what the peer is known to accept). When the responder answers
  INVALID_KE_PAYLOAD with a group we proposed (and have not tried), the request is sent again in
  that group (an ``InvalidKeRetry`` event, §1.3), as in IKE_SA_INIT; otherwise the exchange fails
  (a non-fatal ``ProtocolFailure``) and the IKE SA stays up.

Events (``vpnlearn.ike.events``): ``IkeSaEstablished``, ``ChildSaEstablished``, ``ChildSaRekeyed``,
``IkeSaRekeyed``, ``ChildSaDeleted``, ``IkeSaDeleted``, ``NatDetected``, ``SwitchToPort4500``,
``CookieRequested``, ``CookieDemanded``, ``InvalidKeRetry``, ``LivenessConfirmed``, ``ErrorNotifyReceived``,
``ProtocolFailure`` (carries the RFC notify name, e.g. ``"AUTHENTICATION_FAILED"``),
``MessageDropped`` (why), ``RetransmitSent``, ``PeerDead``.

Not implemented: IKE fragmentation (RFC 7383), EAP, configuration payloads (CP), MOBIKE, window
sizes above 1, simultaneous-rekey collision handling (§2.8.1), IPv6 identities in certificates.
"""

from __future__ import annotations

from vpnlearn.ike.auth import CertCredentials, DemoCA, Identity
from vpnlearn.ike.events import Output
from vpnlearn.ike.keys import ChildKeys, IkeKeys
from vpnlearn.ike.payloads import TrafficSelector
from vpnlearn.ike.peer import ChildSa, IkeConfig, IkeSa, Initiator, Peer, Responder, TranscriptEntry
from vpnlearn.ike.state import State

__all__ = [
    "CertCredentials",
    "ChildKeys",
    "ChildSa",
    "DemoCA",
    "Identity",
    "IkeConfig",
    "IkeKeys",
    "IkeSa",
    "Initiator",
    "Output",
    "Peer",
    "Responder",
    "State",
    "TrafficSelector",
    "TranscriptEntry",
]

"""IKEv2 (RFC 7296) from the packet up: messages, keys, authentication and sans-I/O peers.

Nothing in this package opens a socket or reads a clock. A peer is an object you hand bytes to
(with the time, ``now``, in seconds, and the UDP addresses they came from) and take bytes back
from. A UDP runner (``vpnlearn.ike.udp``) is a thin layer on top.

Modules
-------
- ``messages``  the IKE header and every payload of RFC 7296 §3 (one declaration per payload for the
  encoder, the decoder and the annotated view), and the SK payload (§3.14) encryption.
- ``keys``      SKEYSEED and SK_d/SK_ai/SK_ar/SK_ei/SK_er/SK_pi/SK_pr (§2.14), child KEYMAT (§2.17),
  rekeyed SKEYSEED (§2.18).
- ``auth``      PSK AUTH (§2.15), RSA PKCS#1 v1.5 (method 1) and RFC 7427 signatures (method 14),
  a small demo CA.
- ``state``     the state transitions as one table (``TRANSITIONS``), which the code uses and a
  diagram can draw.
- ``peer``      ``Initiator`` and ``Responder``.
- ``ikev1``     a table describing IKEv1 Main Mode + Quick Mode (RFC 2409), to contrast (not an
  implementation).

The sans-I/O API (what the UDP runner and the notebooks use)
-------------------------------------------------------------
::

    from vpnlearn.ike import IkeConfig, Identity, Initiator, Responder, TrafficSelector

    left = IkeConfig(
        local_id=Identity.fqdn("left.example"), remote_id=Identity.fqdn("right.example"),
        psk=b"our shared secret",                      # or certificate=..., private_key=..., trust=[ca]
        ike_proposals=("aes128gcm16-prfsha256-x25519",),   # strongSwan-style proposal strings
        esp_proposals=("aes128gcm16",),                    # add "-modp2048"/"-x25519" for PFS
        local_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
        remote_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
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
  ``now``) runs out; after the last try it gives up with ``PeerDead``.
- ``next_timer() -> float | None``: when ``tick`` next needs to be called.
- ``port`` (500, or 4500 after NAT detection / ``SwitchToPort4500``): the port to send from and to.
- ``state``: a ``vpnlearn.ike.state.State``; ``ike_sa``: the established IKE SA (SPIs, ``keys``
  an ``IkeKeys`` dataclass named as in the RFC, the chosen suite) or None;
  ``child_sas``: list of established ``ChildSa`` (each with ``inbound`` and ``outbound``
  ``vpnlearn.ipsec.sa.SecurityAssociation`` once that module exists, and their KEYMAT).
- ``transcript``: a list of ``TranscriptEntry`` (direction, exchange, message_id, is_response,
  payload names, which keys protect it, the raw bytes) for the sequence diagram.
- Requests started by either side once the IKE SA is up (each returns an ``Output``):
  ``create_child(now, local_ts=None, remote_ts=None)``, ``rekey_child(now, child)``,
  ``rekey_ike(now)``, ``delete_child(now, child)``, ``delete_ike(now)``, ``liveness(now)`` (DPD).

Events (``vpnlearn.ike.events``): ``IkeSaEstablished``, ``ChildSaEstablished``, ``ChildSaRekeyed``,
``IkeSaRekeyed``, ``ChildSaDeleted``, ``IkeSaDeleted``, ``NatDetected``, ``SwitchToPort4500``,
``CookieRequested``, ``InvalidKeRetry``, ``LivenessConfirmed``, ``ErrorNotifyReceived``,
``ProtocolFailure`` (carries the RFC notify name, e.g. ``"AUTHENTICATION_FAILED"``),
``MessageDropped`` (why), ``RetransmitSent``, ``PeerDead``.
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

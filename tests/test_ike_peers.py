"""Two in-process IKEv2 peers (RFC 7296): every supported suite, PSK and certificates, and the failures."""

from __future__ import annotations

import datetime

import pytest
from test_ike_helpers import LEFT_NET, RIGHT_NET, T0, A, B, Wire, configs, connect, demo, of

from vpnlearn.ike import DemoCA, Identity, Initiator, Responder, State, TrafficSelector
from vpnlearn.ike import events as ev
from vpnlearn.ike.algorithms import dh_group as alg_dh
from vpnlearn.ike.keys import derive_child_keys
from vpnlearn.ike.messages import decode_message
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import WeakAlgorithmWarning

# IKE suites: every ENCR, every PRF/INTEG and every DH group appears at least once.
IKE_SUITES = [
    "aes128gcm16-prfsha256-x25519",
    "aes256gcm16-prfsha384-ecp384",
    "aes128gcm16-prfsha512-ecp256",
    "chacha20poly1305-prfsha256-x25519",
    "aes256gcm16-prfsha256-ecp521",
    "aes128-sha256-modp2048",
    "aes256-sha384-ecp256",
    "aes256-sha512-modp3072",
    "aes128-sha1-modp1024",
    "aes128-sha256-modp1536",
    "aes128-sha256-prfsha1-ecp384",
    "aes256-sha256-modp4096",
    "aes256-sha512-modp8192",
    "aes128-sha256-modp2048s256",
    "aes256gcm16-prfsha256-modp6144",
    "aes128-sha1-modp1024s160",
]
ESP_SUITES = [
    "aes128gcm16",
    "aes256gcm16",
    "chacha20poly1305",
    "aes128-sha256",
    "aes256-sha512",
    "aes128-sha1",
    "aes256-sha384",
]


def _ping_both_ways(w: Wire) -> None:
    ci, cr = w.ini.child_sas[-1], w.resp.child_sas[-1]
    assert ci.outbound is not None and cr.inbound is not None, f"ESP SAs were not built: {ci.esp_error}"
    for sender, receiver, src, dst in (
        (ci, cr, "10.98.1.5", "10.98.2.7"),
        (cr, ci, "10.98.2.7", "10.98.1.5"),
    ):
        inner = icmp_echo(src, dst, 7, 1, b"hello through IKE-made ESP").build()
        outer = esp.protect(sender.outbound, inner, now=1.0)
        assert inner not in outer
        assert esp.unprotect(receiver.inbound, outer, now=1.0) == inner


def _assert_established(w: Wire) -> None:
    assert w.ini.state == State.ESTABLISHED and w.resp.state == State.ESTABLISHED
    assert w.ini.ike_sa.keys == w.resp.ike_sa.keys
    ci, cr = w.ini.child_sas[0], w.resp.child_sas[0]
    assert ci.inbound_spi == cr.outbound_spi and ci.outbound_spi == cr.inbound_spi
    assert ci.keys == cr.keys
    assert not of(w.events_i + w.events_r, ev.ProtocolFailure)


@pytest.mark.parametrize("ike", IKE_SUITES)
def test_psk_every_ike_suite(ike: str) -> None:
    w = connect(*configs(ike, "aes128gcm16"), seed=ike)
    _assert_established(w)
    assert w.ini.ike_sa.chosen.name.startswith(ike.split("-")[0])
    _ping_both_ways(w)


@pytest.mark.parametrize("esp_suite", ESP_SUITES)
def test_psk_every_esp_suite(esp_suite: str) -> None:
    if "sha1" in esp_suite.split("-"):  # allowed (AWS still offers it), but the library says so
        with pytest.warns(WeakAlgorithmWarning, match="SHA-1"):
            w = connect(*configs("aes256-sha256-ecp256", esp_suite), seed=esp_suite)
    else:
        w = connect(*configs("aes256-sha256-ecp256", esp_suite), seed=esp_suite)
    _assert_established(w)
    assert w.ini.child_sas[0].chosen.encr.name == esp_suite.split("-")[0]
    _ping_both_ways(w)


CERT_CASES = [  # (identity kind, key kind, signature scheme)
    ("fqdn", "ec", "ecdsa-with-SHA256"),
    ("ipv4", "rsa", "RSASSA-PSS-SHA256"),
    ("rfc822", "rsa", "sha256WithRSAEncryption"),
    ("dn", "rsa", "rsa-pkcs1"),
    ("dn", "ec", ""),
]


def _ident(kind: str, side: str) -> Identity:
    return {
        "fqdn": lambda: Identity.fqdn(f"{side}.example"),
        "ipv4": lambda: Identity.ipv4("192.0.2.1" if side == "left" else "192.0.2.2"),
        "rfc822": lambda: Identity.rfc822(f"gw@{side}.example"),
        "dn": lambda: Identity.dn(f"CN={side},O=vpnlearn"),
    }[kind]()


@pytest.fixture(scope="module")
def ca() -> DemoCA:
    return DemoCA(not_before=T0, rng=demo("ca"))


def _cert_configs(ca: DemoCA, kind: str, key: str, scheme: str, **kw):
    li, ri = _ident(kind, "left"), _ident(kind, "right")
    lc, lk = ca.issue(li, key=key)
    rc, rk = ca.issue(ri, key=key)
    common = {
        "validation_time_l": T0 + datetime.timedelta(days=1),
        "validation_time_r": T0 + datetime.timedelta(days=1),
    }
    common.update(kw)
    return configs(
        "aes256gcm16-prfsha256-ecp256",
        "aes256gcm16",
        psk_l=None,
        psk_r=None,
        local_id_l=li,
        remote_id_l=ri,
        local_id_r=ri,
        remote_id_r=li,
        certificate_l=lc,
        private_key_l=lk,
        signature_scheme_l=scheme,
        trust_l=(ca.certificate,),
        certificate_r=rc,
        private_key_r=rk,
        signature_scheme_r=scheme,
        trust_r=(ca.certificate,),
        **common,
    )


@pytest.mark.parametrize(("kind", "key", "scheme"), CERT_CASES)
def test_certificates(ca: DemoCA, kind: str, key: str, scheme: str) -> None:
    w = connect(*_cert_configs(ca, kind, key, scheme), seed=kind + key + scheme)
    _assert_established(w)
    est = of(w.events_i, ev.IkeSaEstablished)[0]
    assert ("RSA PKCS#1" in est.auth_method) if scheme == "rsa-pkcs1" else ("RFC 7427" in est.auth_method)
    auth_req = decode_message(w.log[2][1])
    assert auth_req.sealed is not None  # CERT travels encrypted
    _ping_both_ways(w)


def test_demo_ca_is_deterministic() -> None:
    one = DemoCA(not_before=T0, rng=demo("det")).issue(Identity.fqdn("x.example"))
    two = DemoCA(not_before=T0, rng=demo("det")).issue(Identity.fqdn("x.example"))
    assert one[0] == two[0]
    from cryptography import x509

    san = one[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["x.example"]


def test_certificate_from_untrusted_ca_fails(ca: DemoCA) -> None:
    left, right = _cert_configs(ca, "fqdn", "ec", "")
    rogue = DemoCA("rogue", not_before=T0, rng=demo("rogue"))
    cert, key = rogue.issue(Identity.fqdn("left.example"))
    from dataclasses import replace

    w = connect(replace(left, certificate=cert, private_key=key), right, seed="rogue")
    assert [e.notify for e in of(w.events_r, ev.ProtocolFailure)] == ["AUTHENTICATION_FAILED"]
    assert [e.notify for e in of(w.events_i, ev.ProtocolFailure)] == ["AUTHENTICATION_FAILED"]
    assert w.resp.ike_sa is None and w.ini.state == State.FAILED


def test_certificate_san_must_match_id(ca: DemoCA) -> None:
    left, right = _cert_configs(ca, "fqdn", "ec", "")
    cert, key = ca.issue(Identity.fqdn("someone-else.example"))
    from dataclasses import replace

    w = connect(replace(left, certificate=cert, private_key=key), right, seed="san")
    assert "AUTHENTICATION_FAILED" in [e.notify for e in of(w.events_r, ev.ProtocolFailure)]
    assert w.ini.state == State.FAILED


def test_expired_certificate_fails(ca: DemoCA) -> None:
    late = T0 + datetime.timedelta(days=400)
    w = connect(
        *_cert_configs(ca, "fqdn", "ec", "", validation_time_r=late, validation_time_l=late), seed="old"
    )
    assert "AUTHENTICATION_FAILED" in [e.notify for e in of(w.events_r, ev.ProtocolFailure)]


def test_wrong_psk_authentication_failed_both_sides() -> None:
    w = connect(*configs(psk_l=b"one secret", psk_r=b"another secret"), seed="psk")
    fi = [e.notify for e in of(w.events_i, ev.ProtocolFailure)]
    fr = [e.notify for e in of(w.events_r, ev.ProtocolFailure)]
    assert fr == ["AUTHENTICATION_FAILED"] and fi == ["AUTHENTICATION_FAILED"]
    assert w.ini.state == State.FAILED and w.resp.ike_sa is None and not w.resp.child_sas


def test_responder_auth_wrong_initiator_notifies_in_informational() -> None:
    # The initiator expects another responder ID: it must refuse and tell the responder (§2.21.2).
    from vpnlearn.ike import Identity as Id

    w = connect(*configs(remote_id_l=Id.fqdn("not-right.example")), seed="rid")
    assert [e.notify for e in of(w.events_i, ev.ProtocolFailure)] == ["AUTHENTICATION_FAILED"]
    assert w.resp.state == State.FAILED
    assert [e.notify for e in of(w.events_r, ev.ErrorNotifyReceived)] == ["AUTHENTICATION_FAILED"]


def test_no_common_proposal() -> None:
    w = connect(*configs("aes128-sha256-modp2048", ike_r="aes256gcm16-prfsha384-ecp384"), seed="np")
    assert [e.notify for e in of(w.events_i, ev.ProtocolFailure)] == ["NO_PROPOSAL_CHOSEN"]
    assert [e.notify for e in of(w.events_r, ev.ProtocolFailure)] == ["NO_PROPOSAL_CHOSEN"]
    assert w.ini.state == State.FAILED and w.resp.ike_sa is None


def test_3des_is_refused_like_aws() -> None:
    from vpnlearn.errors import ConfigError
    from vpnlearn.ike.messages import IKE_SA_INIT, Message, encode_message
    from vpnlearn.ike.payloads import KE, SA, Nonce, Proposal, Transform

    with pytest.raises(ConfigError, match="3des"):
        configs("3des-sha1-modp1024")
    _, right = configs("aes128-sha1-modp1024")
    offer = SA((Proposal(1, 1, b"", (Transform(1, 3), Transform(2, 2), Transform(3, 2), Transform(4, 2))),))
    ke = alg_dh(2).generate(demo("3des")).public
    req = Message(b"\x11" * 8, bytes(8), IKE_SA_INIT, 0, True, False, [offer, KE(2, ke), Nonce(b"n" * 32)])
    out = Responder(right, rng=demo("3des-r")).receive(encode_message(req), 0.0)
    assert [n.type_name for n in decode_message(out.send[0]).notifies()] == ["NO_PROPOSAL_CHOSEN"]
    assert [e.notify for e in of(out.events, ev.ProtocolFailure)] == ["NO_PROPOSAL_CHOSEN"]


def test_no_common_esp_proposal_keeps_ike_sa() -> None:
    w = connect(*configs(esp="aes128gcm16", esp_r="aes256-sha256"), seed="npesp")
    assert w.ini.state == State.ESTABLISHED and w.resp.state == State.ESTABLISHED
    assert not w.ini.child_sas and not w.resp.child_sas
    f = of(w.events_i, ev.ProtocolFailure)
    assert [(e.notify, e.fatal) for e in f] == [("NO_PROPOSAL_CHOSEN", False)]


def test_invalid_ke_payload_then_retry() -> None:
    left, right = configs("aes128gcm16-prfsha256-x25519-ecp256", ike_r="aes128gcm16-prfsha256-ecp256")
    w = connect(left, right, seed="ke")
    retry = of(w.events_i, ev.InvalidKeRetry)
    assert [(r.old_group, r.new_group) for r in retry] == [(31, 19)]
    assert "INVALID_KE_PAYLOAD" in [e.notify for e in of(w.events_r, ev.ProtocolFailure)]
    _assert_established_after_retry(w)
    first = decode_message(w.log[0][1])
    second = decode_message(w.log[2][1])
    from vpnlearn.ike.payloads import KE

    assert first.first(KE).group == 31 and second.first(KE).group == 19
    assert w.ini.ike_sa.chosen.dh.transform_id == 19


def _assert_established_after_retry(w: Wire) -> None:
    assert w.ini.state == State.ESTABLISHED and w.resp.state == State.ESTABLISHED
    assert w.ini.ike_sa.keys == w.resp.ike_sa.keys and len(w.ini.child_sas) == 1


def test_ts_unacceptable() -> None:
    w = connect(*configs(right_sees_left="172.16.0.0/16"), seed="ts")
    assert [(e.notify, e.fatal) for e in of(w.events_i, ev.ProtocolFailure)] == [("TS_UNACCEPTABLE", False)]
    assert not w.ini.child_sas and w.ini.state == State.ESTABLISHED


def test_ts_narrowing() -> None:
    # The initiator asks for 10.98.0.0/16 on its side; the responder only allows 10.98.1.0/24 (§2.9).
    w = connect(*configs(left_net="10.98.0.0/16", right_sees_left=LEFT_NET), seed="narrow")
    ci = w.ini.child_sas[0]
    assert [str(t) for t in ci.local_ts] == [LEFT_NET]
    assert [str(t) for t in ci.remote_ts] == [RIGHT_NET]


def test_replayed_auth_request_gets_same_response_and_no_new_child() -> None:
    w = connect(*configs(), seed="replay")
    auth_req = w.log[2][1]
    auth_resp = w.log[3][1]
    out = w.to_resp(auth_req)
    assert out.send == [auth_resp]
    assert len(w.resp.child_sas) == 1
    # A replayed response is dropped by the initiator.
    out = w.to_ini(auth_resp)
    assert not out.send and of(out.events, ev.MessageDropped)


def test_corrupted_sk_payload_rejected_every_byte() -> None:
    w = connect(*configs("aes128-sha256-ecp256"), seed="sk")
    out = w.ini.liveness(5.0)
    req = out.send[0]
    for i in range(28, len(req)):
        bad = bytearray(req)
        bad[i] ^= 0x01
        o = w.resp.receive(bytes(bad), 5.0, local=B, remote=("192.0.2.1", 500))
        assert not o.send, f"mutated byte {i} was answered"
        assert of(o.events, ev.MessageDropped)
    # the genuine one still works afterwards
    w.run(out, now=5.0)
    assert of(w.events_i, ev.LivenessConfirmed)


def test_nat_detected_switches_to_4500() -> None:
    w = connect(*configs(), seed="nat", a_seen_by_b=("198.51.100.9", 31000))
    assert of(w.events_i, ev.SwitchToPort4500) and of(w.events_r, ev.SwitchToPort4500)
    nat_i = of(w.events_i, ev.NatDetected)[0]
    assert nat_i.local_behind_nat and not nat_i.remote_behind_nat
    assert w.ini.port == 4500 and w.resp.port == 4500
    # ESP then rides in UDP (RFC 3948) between the IKE ports.
    out_i, in_r = w.ini.child_sas[0].outbound, w.resp.child_sas[0].inbound
    assert out_i.udp_encap is not None and in_r.udp_encap is not None
    assert (out_i.udp_encap.src_port, in_r.udp_encap.src_port) == (500, 31000)


def test_no_nat_no_switch() -> None:
    w = connect(*configs(), seed="nonat")
    assert not of(w.events_i + w.events_r, ev.NatDetected) and w.ini.port == 500


def test_create_child_with_pfs_rekey_child_and_delete() -> None:
    w = connect(*configs(esp="aes128gcm16-ecp256"), seed="pfs")
    w.run(
        w.ini.create_child(
            10.0, (TrafficSelector.subnet("10.98.1.0/25"),), (TrafficSelector.subnet("10.98.2.0/25"),)
        ),
        now=10.0,
    )
    assert len(w.ini.child_sas) == 2 and len(w.resp.child_sas) == 2
    new = w.ini.child_sas[1]
    assert new.keys.pfs and new.keys == w.resp.child_sas[1].keys
    _ping_both_ways(w)
    old = w.ini.child_sas[0]
    w.run(w.ini.rekey_child(20.0, old), now=20.0)
    assert of(w.events_i, ev.ChildSaRekeyed) and of(w.events_r, ev.ChildSaRekeyed)
    spis = {c.inbound_spi for c in w.ini.child_sas}
    assert old.inbound_spi not in spis and len(w.ini.child_sas) == 2
    assert {c.outbound_spi for c in w.resp.child_sas} == spis
    _ping_both_ways(w)
    w.run(w.resp.delete_child(30.0, w.resp.child_sas[0]), from_ini=False, now=30.0)
    assert len(w.ini.child_sas) == 1 and len(w.resp.child_sas) == 1


def test_pfs_keymat_matches_formula() -> None:
    w = connect(*configs(esp="aes256-sha256-modp2048"), seed="keymat")
    w.run(w.ini.create_child(1.0), now=1.0)
    ci = w.ini.child_sas[1]
    sess = w.ini.session
    req = [t for t in w.ini.transcript if t.exchange == "CREATE_CHILD_SA"]
    assert [t.is_response for t in req] == [False, True]
    # Recompute from the RFC formula with no PFS: must differ from what PFS gave.
    no_pfs = derive_child_keys(sess.chosen.prf, sess.keys.SK_d, ci.chosen, b"x" * 32, b"y" * 32)
    assert no_pfs.KEYMAT != ci.keys.KEYMAT and ci.keys.pfs


def test_rekey_ike_sa_keeps_children_and_changes_keys() -> None:
    w = connect(*configs(), seed="rekeyike")
    old_keys = w.ini.ike_sa.keys
    old_spis = (w.ini.ike_sa.spi_i, w.ini.ike_sa.spi_r)
    w.run(w.ini.rekey_ike(50.0), now=50.0)
    assert of(w.events_i, ev.IkeSaRekeyed) and of(w.events_r, ev.IkeSaRekeyed)
    assert w.ini.ike_sa.keys == w.resp.ike_sa.keys != old_keys
    assert (w.ini.ike_sa.spi_i, w.ini.ike_sa.spi_r) != old_spis
    assert w.ini.state == State.ESTABLISHED and w.resp.state == State.ESTABLISHED
    assert len(w.ini.child_sas) == 1 and len(w.resp.child_sas) == 1
    # The new IKE SA works: DPD and a new child over it.
    w.run(w.ini.liveness(60.0), now=60.0)
    assert of(w.events_i, ev.LivenessConfirmed)
    w.run(w.resp.create_child(61.0), from_ini=False, now=61.0)
    assert len(w.ini.child_sas) == 2
    _ping_both_ways(w)


def test_delete_ike_sa() -> None:
    w = connect(*configs(), seed="del")
    w.run(w.ini.delete_ike(5.0), now=5.0)
    assert w.ini.state == State.CLOSED and w.resp.state == State.CLOSED
    assert of(w.events_r, ev.IkeSaDeleted)[0].by_peer and not of(w.events_i, ev.IkeSaDeleted)[0].by_peer
    assert not w.ini.child_sas and not w.resp.child_sas


def test_retransmission_and_peer_dead() -> None:
    left, _ = configs()
    ini = Initiator(left, rng=demo("rt"))
    first = ini.start(0.0).send[0]
    assert ini.next_timer() == pytest.approx(2.0)
    assert ini.tick(1.9).send == []
    out = ini.tick(2.0)
    assert out.send == [first] and of(out.events, ev.RetransmitSent)
    assert ini.next_timer() == pytest.approx(6.0)  # exponential back-off: 2, 4, 8, ...
    t = 6.0
    sent = 2
    while True:
        out = ini.tick(t)
        if of(out.events, ev.PeerDead):
            break
        sent += len(out.send)
        t = ini.next_timer()
    assert sent == left.retransmit_tries and ini.state == State.CLOSED and ini.next_timer() is None


def test_lost_response_then_retransmitted_request() -> None:
    left, right = configs()
    ini, resp = Initiator(left, rng=demo("lost-i")), Responder(right, rng=demo("lost-r"))
    w = Wire(ini, resp)
    init = ini.start(0.0).send[0]
    r1 = w.to_resp(init).send[0]
    auth = w.to_ini(r1).send[0]
    lost = w.to_resp(auth).send[0]  # this response is "lost"
    again = ini.tick(2.0).send[0]
    assert again == auth
    assert w.to_resp(again).send == [lost]  # same response, no second IKE SA / child
    w.to_ini(lost)
    assert ini.state == State.ESTABLISHED and len(resp.child_sas) == 1


def test_cookie_flood_bounded() -> None:
    left, right = configs()
    from dataclasses import replace

    right = replace(right, cookie_threshold=5, half_open_limit=8)
    resp = Responder(right, rng=demo("flood"))
    demanded = 0
    for n in range(40):
        ini = Initiator(left, rng=demo(f"flooder{n}"))
        out = resp.receive(ini.start(0.0).send[0], 0.0, local=B, remote=("203.0.113.7", 500))
        demanded += len(of(out.events, ev.CookieDemanded))
    assert resp.half_open_count == 5
    assert demanded == 35
    # A real initiator that answers the cookie gets through (the half-open limit is 8).
    ini = Initiator(left, rng=demo("honest"))
    w = Wire(ini, resp, a=("192.0.2.1", 500))
    w.start()
    assert of(w.events_i, ev.CookieRequested)
    assert ini.state == State.ESTABLISHED
    assert resp.half_open_count == 5
    assert resp.expire_half_open(100.0) == 5 and resp.half_open_count == 0
    # Failed IKE SAs do not pile up either: 20 initiators with a wrong PSK leave no state behind.
    bad_left, _ = configs(psk_l=b"wrong")
    for n in range(20):
        w = Wire(Initiator(bad_left, rng=demo(f"bad{n}")), resp, a=("192.0.2.1", 500))
        w.start()
        assert "AUTHENTICATION_FAILED" in [e.notify for e in of(w.events_r, ev.ProtocolFailure)]
    assert len(resp.sessions) <= 2 and resp.half_open_count == 0


def test_deterministic_with_demo_random() -> None:
    a = connect(*configs(), seed="same")
    b = connect(*configs(), seed="same")
    assert [d for _, d in a.log] == [d for _, d in b.log]
    c = connect(*configs(), seed="other")
    assert [d for _, d in a.log] != [d for _, d in c.log]


def test_transcript_for_sequence_diagram() -> None:
    w = connect(*configs("aes128-sha256-ecp256"), seed="tr")
    rows = [(t.direction, t.exchange, t.message_id, t.is_response, t.protected_by) for t in w.ini.transcript]
    assert rows == [
        ("sent", "IKE_SA_INIT", 0, False, ""),
        ("received", "IKE_SA_INIT", 0, True, ""),
        ("sent", "IKE_AUTH", 1, False, "SK_ei/SK_ai"),
        ("received", "IKE_AUTH", 1, True, "SK_er/SK_ar"),
    ]
    assert "AUTH" in w.ini.transcript[2].payloads[1]


def test_unsupported_critical_payload_gets_notify() -> None:
    from vpnlearn.ike.messages import IKE_SA_INIT, Message, encode_message
    from vpnlearn.ike.payloads import Nonce, UnknownPayload

    left, right = configs()
    resp = Responder(right, rng=demo("crit"))
    ini = Initiator(left, rng=demo("crit-i"))
    msg = decode_message(ini.start(0.0).send[0])
    crit = Message(
        msg.spi_i,
        msg.spi_r,
        IKE_SA_INIT,
        0,
        True,
        False,
        [*msg.payloads, UnknownPayload(200, b"zz", critical=True)],
    )
    out = resp.receive(encode_message(crit), 0.0)
    reply = decode_message(out.send[0])
    assert [n.type_name for n in reply.notifies()] == ["UNSUPPORTED_CRITICAL_PAYLOAD"]
    assert reply.notifies()[0].data == bytes([200])
    # Non-critical unknown payloads are skipped (§2.5).
    noncrit = Message(
        msg.spi_i,
        msg.spi_r,
        IKE_SA_INIT,
        0,
        True,
        False,
        [*msg.payloads, UnknownPayload(200, b"zz", critical=False)],
    )
    out = Responder(right, rng=demo("crit2")).receive(encode_message(noncrit), 0.0)
    assert decode_message(out.send[0]).first(Nonce) is not None


def test_invalid_major_version() -> None:
    left, right = configs()
    raw = bytearray(Initiator(left, rng=demo("v3")).start(0.0).send[0])
    raw[17] = 0x30
    out = Responder(right, rng=demo("v3r")).receive(bytes(raw), 0.0)
    assert [n.type_name for n in decode_message(out.send[0]).notifies()] == ["INVALID_MAJOR_VERSION"]


def test_requests_need_established_sa() -> None:
    from vpnlearn.errors import ProtocolError

    left, _ = configs()
    ini = Initiator(left, rng=demo("early"))
    with pytest.raises(ProtocolError):
        ini.liveness(0.0)
    ini.start(0.0)
    with pytest.raises(ProtocolError, match="ESTABLISHED"):
        ini.create_child(0.0)


def test_original_responder_can_rekey_child_rekey_ike_and_delete() -> None:
    w = connect(*configs("aes256gcm16-prfsha384-ecp384", "aes256-sha256-x25519"), seed="resp-side")
    old = w.resp.child_sas[0]
    w.run(w.resp.rekey_child(10.0, old), from_ini=False, now=10.0)
    assert of(w.events_r, ev.ChildSaRekeyed) and len(w.resp.child_sas) == 1
    assert w.resp.child_sas[0].keys.pfs and w.resp.child_sas[0].keys == w.ini.child_sas[0].keys
    _ping_both_ways(w)
    w.run(w.resp.liveness(11.0), from_ini=False, now=11.0)
    assert of(w.events_r, ev.LivenessConfirmed)
    w.run(w.resp.rekey_ike(12.0), from_ini=False, now=12.0)
    assert w.resp.ike_sa.keys == w.ini.ike_sa.keys and w.ini.state == State.ESTABLISHED
    # The original responder started the rekey, so it is the new IKE SA's initiator (§2.18).
    assert w.resp.session.is_initiator and not w.ini.session.is_initiator
    w.run(w.ini.liveness(13.0), now=13.0)
    w.run(w.resp.delete_ike(14.0), from_ini=False, now=14.0)
    assert w.ini.state == State.CLOSED and w.resp.state == State.CLOSED


@pytest.mark.parametrize("junk", [b"\x30\x03\x02\x01", b"not a certificate at all", b""])
def test_garbage_cert_payload_is_authentication_failed(ca: DemoCA, junk: bytes) -> None:
    from dataclasses import replace as dc_replace

    from vpnlearn.ike.keys import sk_keys
    from vpnlearn.ike.messages import encode_message, open_message
    from vpnlearn.ike.payloads import CERT

    left, right = _cert_configs(ca, "fqdn", "ec", "")
    ini, resp = Initiator(left, rng=demo("junk-i")), Responder(right, rng=demo("junk-r"))
    w = Wire(ini, resp)
    r1 = w.to_resp(ini.start(0.0).send[0]).send[0]
    auth = w.to_ini(r1).send[0]
    s = ini.session
    keys = sk_keys(s.keys, s.chosen, from_initiator=True)
    msg = open_message(decode_message(auth), keys)
    msg = dc_replace(msg, payloads=[CERT(4, junk) if isinstance(p, CERT) else p for p in msg.payloads])
    out = w.to_resp(encode_message(msg, keys, demo("junk-iv")))
    reply = open_message(decode_message(out.send[0]), sk_keys(s.keys, s.chosen, from_initiator=False))
    assert [n.type_name for n in reply.notifies()] == ["AUTHENTICATION_FAILED"]
    assert [e.notify for e in of(out.events, ev.ProtocolFailure)] == ["AUTHENTICATION_FAILED"]


def test_authentic_but_malformed_request_gets_invalid_syntax() -> None:
    from vpnlearn.ike.keys import sk_keys
    from vpnlearn.ike.messages import INFORMATIONAL, Message, encode_message, open_message
    from vpnlearn.ike.payloads import UnknownPayload

    w = connect(*configs("aes128-sha256-ecp256"), seed="syntax")
    s = w.ini.session
    keys = sk_keys(s.keys, s.chosen, from_initiator=True)
    # A Nonce payload (type 40) of 3 bytes (16..256 required), correctly encrypted and protected.
    bad = Message(
        s.spi_i, s.spi_r, INFORMATIONAL, s.next_mid, True, False, [UnknownPayload(40, b"abc")], True
    )
    out = w.to_resp(encode_message(bad, keys, demo("syntax-iv")), 3.0)
    opened = open_message(decode_message(out.send[0]), sk_keys(s.keys, s.chosen, from_initiator=False))
    assert [n.type_name for n in opened.notifies()] == ["INVALID_SYNTAX"]
    assert [(e.notify, e.sent_to_peer) for e in of(out.events, ev.ProtocolFailure)] == [
        ("INVALID_SYNTAX", True)
    ]
    assert w.resp.state == State.ESTABLISHED
    # The same bytes with one flipped bit are not authentic: dropped, no answer.
    raw = bytearray(encode_message(bad, keys, demo("syntax-iv2")))
    raw[-1] ^= 1
    assert w.to_resp(bytes(raw), 4.0).send == []


@pytest.mark.parametrize(
    "bad",
    [
        {"psk": None},
        {"ike_proposals": ()},
        {"local_ts": ()},
        {"mode": "sideways"},
        {"retransmit_tries": 0},
        {"cookie_threshold": 60},
        {"ike_proposals": ("aes128gcm16-prfsha256",)},
        {"esp_proposals": ("rot13",)},
    ],
)
def test_config_errors_name_the_problem(bad: dict) -> None:
    from dataclasses import replace as dc_replace

    from vpnlearn.errors import ConfigError

    left, _ = configs()
    with pytest.raises(ConfigError):
        dc_replace(left, **bad)


# -- DH groups in CREATE_CHILD_SA (RFC 7296 §1.3, §1.3.2, §2.18) -------------------------------------
# Left prefers x25519 (31), right ecp256 (19): IKE_SA_INIT needs one INVALID_KE_PAYLOAD retry and the
# IKE SA is made with group 19, which is not the first group of left's proposal.
CROSSED = configs("aes128gcm16-prfsha256-x25519-ecp256", ike_r="aes128gcm16-prfsha256-ecp256-x25519")


def _ke_failures(events: list) -> list:
    return [e for e in of(events, ev.ProtocolFailure) if e.notify == "INVALID_KE_PAYLOAD"]


def test_ike_rekey_offers_the_negotiated_group_not_the_first() -> None:
    w = connect(*CROSSED, seed="rekey-group")
    assert w.ini.ike_sa.chosen.dh.transform_id == 19
    assert len(of(w.events_i, ev.InvalidKeRetry)) == 1  # the IKE_SA_INIT one
    before_i, before_r = len(w.events_i), len(w.events_r)
    w.run(w.ini.rekey_ike(50.0), now=50.0)
    # KEi was already in group 19: no INVALID_KE_PAYLOAD, no second try.
    assert not of(w.events_i[before_i:], ev.InvalidKeRetry)
    assert not _ke_failures(w.events_r[before_r:])
    assert of(w.events_i, ev.IkeSaRekeyed) and of(w.events_r, ev.IkeSaRekeyed)
    assert w.ini.ike_sa.chosen.dh.transform_id == 19
    assert w.ini.ike_sa.keys == w.resp.ike_sa.keys
    assert not of(w.events_i + w.events_r, ev.ErrorNotifyReceived)


def test_ike_rekey_invalid_ke_then_retry_with_the_responders_group() -> None:
    # The original responder (right) rekeys: it offers the negotiated group 19, but left, now the
    # responder of the CREATE_CHILD_SA, prefers 31 and answers INVALID_KE_PAYLOAD(31) (§1.3).
    w = connect(*CROSSED, seed="rekey-retry")
    old_keys = w.resp.ike_sa.keys
    before_i, before_r = len(w.events_i), len(w.events_r)
    w.run(w.resp.rekey_ike(50.0), from_ini=False, now=50.0)
    retry = of(w.events_r[before_r:], ev.InvalidKeRetry)
    assert [(r.old_group, r.new_group) for r in retry] == [(19, 31)]
    assert [e.sent_to_peer for e in _ke_failures(w.events_i[before_i:])] == [True]
    # As for IKE_SA_INIT, the refusal that is retried is an InvalidKeRetry, not an error.
    assert not of(w.events_r[before_r:], ev.ErrorNotifyReceived)
    # The retried exchange made the new IKE SA in group 31; both sides derived the same keys (§2.18).
    assert of(w.events_i, ev.IkeSaRekeyed) and of(w.events_r, ev.IkeSaRekeyed)
    assert w.resp.ike_sa.chosen.dh.transform_id == 31 == w.ini.ike_sa.chosen.dh.transform_id
    assert w.resp.ike_sa.keys == w.ini.ike_sa.keys != old_keys
    assert w.ini.state == State.ESTABLISHED and w.resp.state == State.ESTABLISHED
    assert not [e for e in of(w.events_i + w.events_r, ev.ProtocolFailure) if not e.sent_to_peer]
    # The new IKE SA carries traffic: DPD and a new CHILD_SA over it, both ways.
    w.run(w.ini.liveness(60.0), now=60.0)
    assert of(w.events_i, ev.LivenessConfirmed)
    w.run(w.ini.create_child(61.0), now=61.0)
    assert len(w.ini.child_sas) == 2 and w.ini.child_sas[1].keys == w.resp.child_sas[1].keys
    _ping_both_ways(w)


def test_child_sa_pfs_invalid_ke_retry_then_rekey_keeps_the_group() -> None:
    left, right = configs(esp="aes128gcm16-ecp256-x25519", esp_r="aes128gcm16-x25519-ecp256")
    w = connect(left, right, seed="pfs-retry")
    before_i, before_r = len(w.events_i), len(w.events_r)
    w.run(w.ini.create_child(10.0), now=10.0)
    retry = of(w.events_i[before_i:], ev.InvalidKeRetry)
    assert [(r.old_group, r.new_group) for r in retry] == [(19, 31)]
    assert [e.sent_to_peer for e in _ke_failures(w.events_r[before_r:])] == [True]
    assert len(w.ini.child_sas) == 2 and len(w.resp.child_sas) == 2
    new_i, new_r = w.ini.child_sas[1], w.resp.child_sas[1]
    assert new_i.keys.pfs and new_i.keys == new_r.keys
    assert new_i.chosen.dh.transform_id == 31 == new_r.chosen.dh.transform_id
    # The refused exchange and the retry are two exchanges (IKE_AUTH was Message ID 1).
    req = [t for t in w.ini.transcript if t.exchange == "CREATE_CHILD_SA"]
    assert [(t.message_id, t.is_response) for t in req] == [(2, False), (2, True), (3, False), (3, True)]
    _ping_both_ways(w)
    # Rekeying that CHILD_SA offers its group (31) at once: no second INVALID_KE_PAYLOAD.
    before_i = len(w.events_i)
    w.run(w.ini.rekey_child(20.0, new_i), now=20.0)
    assert not of(w.events_i[before_i:], ev.InvalidKeRetry)
    assert of(w.events_i[before_i:], ev.ChildSaRekeyed)
    rekeyed = w.ini.child_sas[-1]
    assert rekeyed.chosen.dh.transform_id == 31 and rekeyed.keys == w.resp.child_sas[-1].keys
    _ping_both_ways(w)


def test_create_child_invalid_ke_for_a_group_we_did_not_offer_fails() -> None:
    from vpnlearn.ike.keys import sk_keys
    from vpnlearn.ike.messages import CREATE_CHILD_SA, Message, encode_message
    from vpnlearn.ike.payloads import NOTIFY, Notify

    w = connect(*configs(esp="aes128gcm16-ecp256"), seed="ke-unknown")
    out = w.ini.create_child(10.0)
    sess_r = w.resp.session
    req = decode_message(out.send[0])
    # A responder that asks for MODP-2048 (14), which the initiator never proposed.
    answer = Message(
        req.spi_i, req.spi_r, CREATE_CHILD_SA, req.message_id, False, True,
        [Notify(NOTIFY["INVALID_KE_PAYLOAD"], (14).to_bytes(2, "big"))], True,
    )
    raw = encode_message(answer, sk_keys(sess_r.keys, sess_r.chosen, from_initiator=False), demo("x"))
    got = w.to_ini(raw, 10.0)
    assert not got.send and not of(got.events, ev.InvalidKeRetry)
    failures = [(e.notify, e.fatal) for e in of(got.events, ev.ProtocolFailure)]
    assert failures == [("INVALID_KE_PAYLOAD", False)]
    assert w.ini.state == State.ESTABLISHED and len(w.ini.child_sas) == 1


# -- IkeConfig.force_encap: fake NAT detection so that ESP rides in UDP (RFC 7296 §2.23) ---------------


@pytest.mark.parametrize("side", ["l", "r"])
def test_force_encap_without_nat_puts_esp_in_udp(side: str) -> None:
    from vpnlearn.ike.payloads import NOTIFY, Notify
    from vpnlearn.ike.proposals import nat_hash

    w = connect(*configs(**{f"force_encap_{side}": True}), seed=f"encap-{side}")
    _assert_established(w)
    # The forcing side's source hash matches no address; its destination hash is the real one.
    sent = decode_message(w.log[0 if side == "l" else 1][1])
    src = sent.first(Notify, type=NOTIFY["NAT_DETECTION_SOURCE_IP"]).data
    dst = sent.first(Notify, type=NOTIFY["NAT_DETECTION_DESTINATION_IP"]).data
    me, peer = ((w.a, w.b) if side == "l" else (w.b, w.a))
    assert src != nat_hash(sent.spi_i, sent.spi_r, me)
    assert dst == nat_hash(sent.spi_i, sent.spi_r, peer)
    # Only the other side "detects" a NAT (in front of the forcing side); both move to 4500.
    forcing, other = (w.events_i, w.events_r) if side == "l" else (w.events_r, w.events_i)
    assert not of(forcing, ev.NatDetected)
    assert [(e.local_behind_nat, e.remote_behind_nat) for e in of(other, ev.NatDetected)] == [(False, True)]
    assert of(w.events_i, ev.SwitchToPort4500) and of(w.events_r, ev.SwitchToPort4500)
    assert w.ini.port == 4500 and w.resp.port == 4500
    ci, cr = w.ini.child_sas[0], w.resp.child_sas[0]
    assert all(sa.udp_encap is not None for sa in (ci.outbound, ci.inbound, cr.outbound, cr.inbound))
    _ping_both_ways(w)
    # A CHILD_SA made over the rekeyed IKE SA is still UDP-encapsulated.
    w.run(w.ini.rekey_ike(10.0), now=10.0)
    w.run(w.ini.create_child(11.0), now=11.0)
    assert len(w.ini.child_sas) == 2
    assert w.ini.child_sas[1].outbound.udp_encap is not None
    assert w.resp.child_sas[1].inbound.udp_encap is not None
    _ping_both_ways(w)


def test_force_encap_is_off_by_default() -> None:
    left, right = configs()
    assert not left.force_encap and not right.force_encap
    w = connect(left, right, seed="encap-off")
    assert w.ini.child_sas[0].outbound.udp_encap is None and w.ini.port == 500


# -- a dead or failed IKE SA takes its CHILD_SAs with it (RFC 7296 §2.4, §2.21.2) ----------------------


def _tick_until_dead(peer, out) -> list:
    """Lose every message in ``out`` and its retransmissions; the events of the tick that gave up."""
    events = list(out.events)
    while (when := peer.next_timer()) is not None:
        got = peer.tick(when)
        events += got.events
        if of(got.events, ev.PeerDead):
            return got.events
    raise AssertionError(f"no PeerDead: {events}")


@pytest.mark.parametrize(
    "request_kind", ["liveness", "create_child", "rekey_child", "rekey_ike", "delete_ike"]
)
def test_peer_dead_deletes_the_child_sas(request_kind: str) -> None:
    # §2.4: when the other end is considered dead, the IKE SA "and all associated CHILD_SAs" go.
    w = connect(*configs(), seed=f"dead-{request_kind}")
    w.run(w.ini.create_child(1.0), now=1.0)
    children = list(w.ini.child_sas)
    assert len(children) == 2
    args = (children[0],) if request_kind == "rekey_child" else ()
    last = _tick_until_dead(w.ini, getattr(w.ini, request_kind)(100.0, *args))
    assert w.ini.state == State.CLOSED and w.ini.ike_sa is None
    assert w.ini.child_sas == [] and w.ini.session.child_sas == []
    gone = of(last, ev.ChildSaDeleted)
    assert [(e.inbound_spi, e.outbound_spi, e.by_peer) for e in gone] == [
        (c.inbound_spi, c.outbound_spi, False) for c in children
    ]
    assert type(last[0]) is ev.PeerDead  # the cause first, then what went with it
    assert w.ini.next_timer() is None and w.ini.tick(1000.0).events == []


def test_peer_dead_responder_side_deletes_the_child_sas() -> None:
    w = connect(*configs(), seed="dead-resp")
    child = w.resp.child_sas[0]
    last = _tick_until_dead(w.resp, w.resp.liveness(50.0))
    assert w.resp.state == State.CLOSED and w.resp.child_sas == []
    assert [e.inbound_spi for e in of(last, ev.ChildSaDeleted)] == [child.inbound_spi]


def test_peer_dead_while_ike_auth_unanswered_has_no_children_to_delete() -> None:
    left, right = configs()
    ini, resp = Initiator(left, rng=demo("dead-auth-i")), Responder(right, rng=demo("dead-auth-r"))
    init = resp.receive(ini.start(0.0, local=A, remote=B).send[0], 0.0, local=B, remote=A)
    auth = ini.receive(init.send[0], 0.0, local=A, remote=B)  # IKE_AUTH request, never delivered
    last = _tick_until_dead(ini, auth)
    assert ini.state == State.CLOSED and ini.child_sas == [] and not of(last, ev.ChildSaDeleted)


def test_authentication_failed_informational_deletes_the_responders_child_sa() -> None:
    # §2.21.2: the initiator rejects the responder's AUTH after the responder made the first CHILD_SA;
    # the INFORMATIONAL AUTHENTICATION_FAILED ends the IKE SA at the responder, and its CHILD_SA too.
    w = connect(*configs(remote_id_l=Identity.fqdn("not-right.example")), seed="rid-child")
    made = of(w.events_r, ev.ChildSaEstablished)
    assert len(made) == 1
    assert w.resp.state == State.FAILED and w.resp.child_sas == [] and w.resp.session.child_sas == []
    gone = of(w.events_r, ev.ChildSaDeleted)
    assert [(e.inbound_spi, e.outbound_spi, e.by_peer) for e in gone] == [
        (made[0].inbound_spi, made[0].outbound_spi, True)
    ]
    assert w.ini.state == State.FAILED and w.ini.child_sas == []


def test_ike_delete_received_or_answered_deletes_every_child_sa() -> None:
    w = connect(*configs(), seed="del-two")
    w.run(w.ini.create_child(1.0), now=1.0)
    spis_i = sorted(c.inbound_spi for c in w.ini.child_sas)
    spis_r = sorted(c.inbound_spi for c in w.resp.child_sas)
    w.run(w.resp.delete_ike(5.0), from_ini=False, now=5.0)
    assert w.ini.child_sas == [] and w.resp.child_sas == []
    assert sorted(e.inbound_spi for e in of(w.events_i, ev.ChildSaDeleted) if e.by_peer) == spis_i
    assert sorted(e.inbound_spi for e in of(w.events_r, ev.ChildSaDeleted) if not e.by_peer) == spis_r


# -- IkeConfig: a value of the wrong type is a ConfigError naming the field ----------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("local_id", "left.example"),
        ("local_id", None),
        ("remote_id", b"right.example"),
        ("psk", 1234),
        ("psk", ["correct horse"]),
        ("ike_proposals", 42),
        ("ike_proposals", "aes128gcm16-prfsha256-x25519"),  # a str, not a tuple of them
        ("ike_proposals", ("aes128gcm16-prfsha256-x25519", 7)),
        ("esp_proposals", None),
        ("esp_proposals", {"aes128gcm16": 1}),
        ("local_ts", "10.98.1.0/24"),
        ("local_ts", ("10.98.1.0/24",)),
        ("remote_ts", TrafficSelector.subnet(RIGHT_NET)),  # one selector, not a tuple of them
        ("remote_ts", 3),
        ("trust", "ca.pem"),
        ("certificate", b"-----BEGIN CERTIFICATE-----"),
        ("validation_time", 1767225600),
        ("signature_scheme", None),
        ("mode", 1),
        ("retransmit_timeout", "2"),
        ("retransmit_tries", 2.5),
        ("retransmit_tries", True),
        ("cookie_threshold", None),
        ("half_open_limit", "50"),
        ("initial_contact", "yes"),
        ("force_encap", 1),
    ],
)
def test_config_wrong_types_are_config_errors_naming_the_field(field: str, value: object) -> None:
    from dataclasses import replace as dc_replace

    from vpnlearn.errors import ConfigError

    left, _ = configs()
    with pytest.raises(ConfigError) as err:
        dc_replace(left, **{field: value})
    assert type(err.value) is ConfigError  # not a TypeError from deep inside
    assert f"IkeConfig.{field}" in str(err.value)


def test_config_private_key_must_be_a_key_object(ca: DemoCA) -> None:
    from vpnlearn.errors import ConfigError

    left, _ = _cert_configs(ca, "fqdn", "ec", "")
    with pytest.raises(ConfigError, match=r"IkeConfig\.private_key"):
        _replace(left, private_key=b"-----BEGIN PRIVATE KEY-----")


def _replace(cfg, **kw):
    from dataclasses import replace as dc_replace

    return dc_replace(cfg, **kw)


def test_config_wrong_psk_type_does_not_show_the_secret() -> None:
    from vpnlearn.errors import ConfigError

    left, _ = configs()
    with pytest.raises(ConfigError, match=r"IkeConfig\.psk") as err:
        _replace(left, psk="very secret words")
    assert "very secret" not in str(err.value) and ".encode()" in str(err.value)


def test_config_lists_become_tuples_and_bytearray_psk_bytes() -> None:
    left, right = configs()
    cfg = _replace(
        left,
        psk=bytearray(b"correct horse"),
        ike_proposals=list(left.ike_proposals),
        esp_proposals=list(left.esp_proposals),
        local_ts=list(left.local_ts),
        remote_ts=list(left.remote_ts),
    )
    assert cfg == left and hash(cfg) == hash(left)
    assert type(cfg.psk) is bytes and type(cfg.ike_proposals) is tuple and type(cfg.local_ts) is tuple
    _assert_established(connect(cfg, right, seed="lists"))

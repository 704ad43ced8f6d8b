# %% [markdown]
# In notebook 03 the two gateways simply *had* a Security Association: same SPI, same keys. Real
# gateways must agree on those keys over the Internet, with someone listening. That is the job of
# **IKEv2** (Internet Key Exchange version 2, RFC 7296). Its first two exchanges take four messages:
#
# 1. **IKE_SA_INIT** (2 messages, plaintext): choose algorithms, do a Diffie-Hellman exchange, swap
#    nonces. Afterwards both sides hold the same secret keys, but don't yet know *who* the other is.
# 2. **IKE_AUTH** (2 messages, encrypted with those keys): prove identities (here with a pre-shared
#    key, PSK) and set up the first **CHILD_SA**, the ESP SA pair that carries the traffic.
#
# Here both peers run inside this notebook. `vpnlearn.ike` is *sans-I/O*: a peer never touches the
# network; you hand it bytes and it hands bytes back. So we can stop between messages, look inside,
# and tamper with them.

# %%
from vpnlearn.course import setup

rng = setup("04-ikev2-exchanges")

# %% [markdown]
# ## Two gateways
# The left gateway (192.0.2.1, protecting 10.98.1.0/24) starts; the right one (192.0.2.2,
# protecting 10.98.2.0/24) answers. RFC 7296 calls them the **initiator** and the **responder**.
# Each gets an `IkeConfig`: its identity, the peer's, the PSK, the proposals (strongSwan syntax)
# and the traffic selectors. We pick AES-CBC with HMAC-SHA-256 and ECP-256 (DH group 19), a suite
# AWS Site-to-Site VPN accepts; with it every key of RFC 7296 §2.14 is in use.

# %%
from vpnlearn.ike import Identity, IkeConfig, Initiator, Responder, TrafficSelector

LEFT, RIGHT = ("192.0.2.1", 500), ("192.0.2.2", 500)
PSK = b"correct.horse.battery.staple"
SUITE = "aes128-sha256-ecp256"


def make_configs(ike_left: str = SUITE, ike_right: str = SUITE, psk_left: bytes = PSK,
                 psk_right: bytes = PSK) -> tuple[IkeConfig, IkeConfig]:
    """The left (initiator) and right (responder) configurations."""
    left = IkeConfig(local_id=Identity.fqdn("left.example"), remote_id=Identity.fqdn("right.example"),
                     psk=psk_left, ike_proposals=(ike_left,), esp_proposals=("aes128gcm16",),
                     local_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
                     remote_ts=(TrafficSelector.subnet("10.98.2.0/24"),))
    right = IkeConfig(local_id=Identity.fqdn("right.example"), remote_id=Identity.fqdn("left.example"),
                      psk=psk_right, ike_proposals=(ike_right,), esp_proposals=("aes128gcm16",),
                      local_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
                      remote_ts=(TrafficSelector.subnet("10.98.1.0/24"),))
    return left, right


left_cfg, right_cfg = make_configs()
ini = Initiator(left_cfg, rng=rng.child("initiator"))
resp = Responder(right_cfg, rng=rng.child("responder"))
print(ini.state, resp.state)

# %% [markdown]
# A small helper prints what a peer reports after each call: its new state and its *events*
# (small frozen objects from `vpnlearn.ike.events`).

# %%
from vpnlearn.ike.udp import describe_event


def report(who: str, peer, out) -> None:
    """One line per event, and the peer's state."""
    for e in out.events:
        print(f"{who}: {describe_event(e)}")
    print(f"{who}: state {peer.state.value}, {len(out.send)} message(s) to send")


# %% [markdown]
# ## Message 1: IKE_SA_INIT request
# `start` gives the first message. It carries the initiator's offer (**SA**), its Diffie-Hellman
# public value (**KE**), a random **Nonce**, and two NAT-detection notifies (hashes of the
# addresses and ports, RFC 7296 §2.23). `describe` summarises a decoded message.

# %%
from vpnlearn.ike.messages import decode_message, describe, message_spans

out = ini.start(now=0.0, local=LEFT, remote=RIGHT)
report("initiator", ini, out)
msg1 = out.send[0]
print(describe(decode_message(msg1)))

# %% [markdown]
# Every byte, annotated from the same field declarations the encoder uses. The 28-byte IKE
# header (RFC 7296 §3.1) comes first: the initiator's SPI, a responder SPI of zero (not chosen
# yet), Exchange Type 34 (IKE_SA_INIT), the **I** flag (sent by the original initiator) and
# Message ID 0.

# %%
from vpnlearn.viz import hexdump

hexdump(msg1, message_spans(decode_message(msg1)), "Message 1: IKE_SA_INIT request (plaintext)")

# %% [markdown]
# ## Message 2: IKE_SA_INIT response
# The responder picks one proposal, adds its own KE and Nonce, and chooses its SPI.

# %%
out = resp.receive(msg1, now=0.0, local=RIGHT, remote=LEFT)
report("responder", resp, out)
msg2 = out.send[0]
print(describe(decode_message(msg2)))

# %% [markdown]
# ## The keys (RFC 7296 §2.14)
# Once message 2 arrives, both sides can compute the same secret `g^ir` from the two KE payloads,
# and from it:
#
# - `SKEYSEED = prf(Ni | Nr, g^ir)`
# - `{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)`
#
# `SK_d` seeds the CHILD_SA keys, `SK_a*`/`SK_e*` protect IKE messages (integrity / encryption, `i`
# for messages from the initiator, `r` from the responder), `SK_p*` go into the AUTH payloads.
# Nobody sent any of them: an eavesdropper saw only the public KE values.

# %%
out = ini.receive(msg2, now=0.0, local=LEFT, remote=RIGHT)
report("initiator", ini, out)
msg3 = out.send[0]
print(ini.session.chosen.name)
print(ini.session.keys)
print("both peers computed the same keys:", ini.session.keys == resp.session.keys)

# %% [markdown]
# Check the formula yourself with the library's own functions: the initiator's DH private value
# and the responder's KE payload give `g^ir`; `derive_ike_keys` applies §2.14.

# %%
from vpnlearn.ike.keys import derive_ike_keys, skeyseed
from vpnlearn.ike.payloads import KE, Nonce

m1, m2 = decode_message(msg1), decode_message(msg2)
Ni, Nr = m1.first(Nonce).data, m2.first(Nonce).data
g_ir = ini.session.dh.exchange(m2.first(KE).data)
chosen = ini.session.chosen
print("g^ir     =", g_ir.hex()[:32], f"... ({len(g_ir)} bytes, the x coordinate on P-256)")
seed = skeyseed(chosen.prf, Ni, Nr, g_ir)
print("SKEYSEED = prf(Ni | Nr, g^ir) matches:", seed == ini.session.keys.SKEYSEED)
recomputed = derive_ike_keys(chosen, Ni, Nr, g_ir, m1.spi_i, m2.spi_r)
print("all seven SK_* keys match:", recomputed == ini.session.keys)

# %% [markdown]
# ## Message 3: IKE_AUTH request
# On the wire it is the IKE header and one **SK payload** (Encrypted and Authenticated, type 46,
# §3.14): an IV, ciphertext, and an integrity checksum over everything from the IKE header on.

# %%
m3 = decode_message(msg3)
print(describe(m3))
hexdump(msg3, message_spans(m3), "Message 3: IKE_AUTH request, as an eavesdropper sees it")

# %% [markdown]
# The responder holds `SK_ei` and `SK_ai`, so it can open it. `open_message` checks the ICV and
# decrypts. Inside: the initiator's identity (**IDi**), its **AUTH** (§2.15: a MAC keyed from the
# PSK over message 1, the responder's nonce `Nr` and `prf(SK_pi, IDi)`), the CHILD_SA offer (**SA**
# with an ESP SPI), and the traffic selectors **TSi**/**TSr**.

# %%
from vpnlearn.ike.keys import sk_keys
from vpnlearn.ike.messages import open_message

print(describe(open_message(m3, sk_keys(resp.session.keys, resp.session.chosen, from_initiator=True))))

# %% [markdown]
# ## Message 4: IKE_AUTH response
# The responder checks AUTH, authenticates itself, narrows the selectors and creates the CHILD_SA.
# Then the initiator checks the responder's AUTH, and both are **ESTABLISHED**.

# %%
out = resp.receive(msg3, now=0.0, local=RIGHT, remote=LEFT)
report("responder", resp, out)
msg4 = out.send[0]
print(describe(open_message(decode_message(msg4),
                            sk_keys(ini.session.keys, ini.session.chosen, from_initiator=False))))
out = ini.receive(msg4, now=0.0, local=LEFT, remote=RIGHT)
report("initiator", ini, out)

# %% [markdown]
# ## The CHILD_SA keys (RFC 7296 §2.17)
# `KEYMAT = prf+(SK_d, Ni | Nr)`, cut into the initiator-to-responder key first, then the reverse.
# With AES-GCM each key ends in a 4-byte salt and there is no separate integrity key. The
# initiator's outbound SA is the responder's inbound SA: same SPI, same key.

# %%
ci, cr = ini.child_sas[0], resp.child_sas[0]
print(ci)
print(ci.keys)
print("same KEYMAT on both sides:", ci.keys == cr.keys)
print("initiator outbound SPI == responder inbound SPI:", ci.outbound_spi == cr.inbound_spi)
print(ci.outbound)
print(cr.inbound)

# %% [markdown]
# These are ordinary ESP SAs from notebook 03. A ping from 10.98.1.5 to 10.98.2.7 through them:

# %%
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.packets import icmp_echo

ping = icmp_echo("10.98.1.5", "10.98.2.7", identifier=1, sequence=1, payload=b"made by IKE").build()
on_wire = esp.protect(ci.outbound, ping, now=1.0)
print(len(on_wire), "bytes on the wire; the responder gets back the ping:",
      esp.unprotect(cr.inbound, on_wire, now=1.0) == ping)

# %% [markdown]
# ## The sequence diagram
# Drawn by `vpnlearn.viz.sequence.ike_sequence` from the initiator's real transcript (what it sent
# and received, and which key protected each message), not by hand.

# %%
from vpnlearn.viz.sequence import ike_sequence

ike_sequence(ini, title="IKE_SA_INIT + IKE_AUTH between left.example and right.example")

# %% [markdown]
# **What to notice.** Messages 1 and 2 are plaintext: the algorithms and the DH public values are
# public. Messages 3 and 4 are encrypted with different keys in each direction (`SK_ei`/`SK_ai`
# from the initiator, `SK_er`/`SK_ar` from the responder). The requests carry Message IDs 0 and 1;
# each response repeats its request's ID.
#
# **Try it.** Change `SUITE` to `"aes128gcm16-prfsha256-x25519"` and run all cells again. With an
# AEAD cipher (AES-GCM) `SK_ai` and `SK_ar` are empty: the cipher protects integrity by itself
# (RFC 5282), and `SK_ei`/`SK_er` grow by a 4-byte salt. The diagram then says "SK_ei" only.
#
# ## Save it for Wireshark
# `vpnlearn.pcap` writes the four IKE messages (in IPv4/UDP port 500) and the ping as a pcap file;
# `ike_sa_keys` gives the row of Wireshark's `ikev2_decryption_table`, and the CHILD_SA's ESP SAs
# give `esp_sa` rows. Demo keys only: never write real keys to a file like this.

# %%
import tempfile
from pathlib import Path

from vpnlearn import pcap
from vpnlearn.ike.udp import ike_sa_keys
from vpnlearn.ipsec.packets import ipv4_udp

folder = Path(tempfile.gettempdir()) / "vpnlearn-04-ikev2"
folder.mkdir(exist_ok=True)
packets = []
for n, entry in enumerate(ini.transcript):
    src, dst = (LEFT, RIGHT) if entry.direction == "sent" else (RIGHT, LEFT)
    packets.append((ipv4_udp(src[0], dst[0], src[1], dst[1], entry.raw).build(), n / 10))
packets.append((on_wire, 1.0))
pcap_file = pcap.write_pcap(folder / "ikev2.pcap", packets)
ike_row = ike_sa_keys(ini.ike_sa)
pcap.write_key_tables(folder / "wireshark-config", ike=[ike_row], esp=[ci.outbound])
print("files:", sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()))
print("ikev2_decryption_table row:", pcap.ikev2_decryption_uat([ike_row]).strip()[:100], "...")

# %% [markdown]
# Open it with `WIRESHARK_CONFIG_DIR=<folder>/wireshark-config wireshark <folder>/ikev2.pcap`. If
# `tshark` is installed, the next cell asks it to decrypt: the identities, the AUTH method (2 =
# shared key) and the traffic selectors come from *inside* the SK payloads, and `icmp.seq` from
# inside ESP. Without tshark it prints a note.

# %% tags=["nbval-ignore-output"] reason="depends on whether tshark is installed on the machine"
if pcap.tshark_available():
    fields = ["frame.number", "isakmp.exchangetype", "isakmp.id.data.fqdn", "isakmp.auth.method",
              "isakmp.ts.start_ipv4", "esp.spi", "icmp.seq", "esp.icv_good"]
    for row in pcap.run_tshark(pcap_file, fields, ike=[ike_row], esp=[ci.outbound]):
        print({k: v for k, v in row.items() if v})
else:
    print("tshark is not installed (Debian package 'tshark'): skipping the decrypted view.")

# %% [markdown]
# ## Break it
# A helper runs a whole exchange between two fresh peers, relaying every message, and returns
# them; `tamper` may change a message on its way (it gets the message number and the bytes).


# %%
def run_exchange(left: IkeConfig, right: IkeConfig, seed: str, tamper=None):
    """Relay messages between a new Initiator and Responder until neither has anything to send."""
    a = Initiator(left, rng=rng.child(seed + "-i"))
    b = Responder(right, rng=rng.child(seed + "-r"))
    out, to_responder, n = a.start(now=0.0, local=LEFT, remote=RIGHT), True, 1
    report("initiator", a, out)
    while out.send:
        data = out.send[0] if tamper is None else tamper(n, out.send[0])
        if to_responder:
            out = b.receive(data, now=0.0, local=RIGHT, remote=LEFT)
            report("responder", b, out)
        else:
            out = a.receive(data, now=0.0, local=LEFT, remote=RIGHT)
            report("initiator", a, out)
        to_responder, n = not to_responder, n + 1
    return a, b


# %% [markdown]
# **Break it: wrong PSK.** The right gateway was given another key. IKE_SA_INIT still works (no PSK
# is involved yet), but the responder's AUTH check fails. It answers IKE_AUTH with the error notify
# **AUTHENTICATION_FAILED** (RFC 7296 §2.21.2) and creates nothing.

# %%
bad_left, bad_right = make_configs(psk_right=b"another.secret.entirely")
a, b = run_exchange(bad_left, bad_right, "wrong-psk")
ike_sequence(a, title="Wrong PSK: the responder refuses IKE_AUTH")

# %% [markdown]
# **Break it: no common proposal.** The left side only offers AES-CBC/SHA-256/group 19, the right
# side only accepts AES-256-GCM with group 20. The responder answers IKE_SA_INIT with
# **NO_PROPOSAL_CHOSEN** (§3.10.1), in plaintext, since no keys exist yet.

# %%
bad_left, bad_right = make_configs(ike_right="aes256gcm16-prfsha384-ecp384")
a, b = run_exchange(bad_left, bad_right, "no-proposal")
print(describe(decode_message(a.transcript[-1].raw)))

# %% [markdown]
# **Break it: a replayed message.** An attacker records message 3 and sends it again to the
# established responder. IKEv2 numbers requests (Message ID): a request the responder has already
# answered is treated as a retransmission (§2.1), so it resends the *same* response bytes and creates
# no second CHILD_SA. A replayed old *response* is simply dropped by the initiator.

# %%
out = resp.receive(msg3, now=5.0, local=RIGHT, remote=LEFT)
report("responder", resp, out)
print("answered with the very same message 4:", out.send == [msg4],
      "| CHILD_SAs at the responder:", len(resp.child_sas))
out = ini.receive(msg4, now=5.0, local=LEFT, remote=RIGHT)
report("initiator", ini, out)

# %% [markdown]
# **Break it: a corrupted SK payload.** Flip one bit in the ciphertext of message 3 on its way. The
# responder's integrity check (the ICV of the SK payload, §3.14) fails, so it drops the message
# *without an answer*: answering unauthenticated bytes would only help an attacker. The initiator
# retransmits the genuine message when its timer runs out (§2.1).


# %%
def flip_bit_in_message_3(n: int, data: bytes) -> bytes:
    """Message 3 with one bit of its SK payload's ciphertext flipped."""
    if n != 3:
        return data
    bad = bytearray(data)
    bad[60] ^= 0x01
    return bytes(bad)


a, b = run_exchange(*make_configs(), "corrupt", tamper=flip_bit_in_message_3)
print("responder:", b.state.value, "| initiator's retransmission timer: t =", a.next_timer(), "s")

# %% [markdown]
# Time is passed in, never read from a clock: call `tick` with the time the timer asked for, and the
# initiator sends its genuine message 3 again. This time the responder accepts it.

# %%
out = a.tick(a.next_timer())
report("initiator", a, out)
out = b.receive(out.send[0], now=2.0, local=RIGHT, remote=LEFT)
report("responder", b, out)
out = a.receive(out.send[0], now=2.0, local=LEFT, remote=RIGHT)
print("initiator:", a.state.value)

# %% [markdown]
# ## Exercise: make the responder accept
# An AWS-style initiator (below) offers only `aes256-sha256-modp2048`: AES-256-CBC, HMAC-SHA-256
# (and PRF-HMAC-SHA-256) and DH group 14. Write the responder's IKE proposal, in strongSwan syntax
# (`encryption-integrity-dhgroup`, as in `SUITE` above), so that the exchange completes. The check
# runs a real exchange with your proposal and tells you what happened.

# %%
my_responder_proposal = "..."  # e.g. "aes128-sha1-modp1024" (that one is wrong)

# %%
from vpnlearn.errors import VpnlearnError
from vpnlearn.ike import events as ike_events


def check_proposal(proposal: str) -> None:
    """Run IKE_SA_INIT + IKE_AUTH against an initiator offering aes256-sha256-modp2048."""
    if not isinstance(proposal, str):
        print(f"Write the proposal as a string in quotes, e.g. \"aes128-sha1-modp1024\", not {proposal!r}.")
        return
    try:
        left, right = make_configs(ike_left="aes256-sha256-modp2048", ike_right=proposal)
    except VpnlearnError as err:
        print("Not a usable proposal yet:", err)
        print("Hint: three parts joined by '-': an encryption (aes256), an integrity (sha256), a DH group.")
        return
    a = Initiator(left, rng=rng.child("exercise-i"))
    b = Responder(right, rng=rng.child("exercise-r"))
    out, to_b = a.start(now=0.0, local=LEFT, remote=RIGHT), True
    failures = []
    while out.send:
        out = (b.receive(out.send[0], 0.0, local=RIGHT, remote=LEFT) if to_b
               else a.receive(out.send[0], 0.0, local=LEFT, remote=RIGHT))
        failures += [e.notify for e in out.of(ike_events.ProtocolFailure)]
        to_b = not to_b
    if a.ike_sa is not None and b.ike_sa is not None:
        print(f"Right: established with {b.ike_sa.suite}; keys agree: {a.ike_sa.keys == b.ike_sa.keys}")
    else:
        print("Not established; the peers reported:", ", ".join(failures) or "nothing")
        print("The responder must accept all three: aes256 (not aes128), sha256 (not sha1), modp2048 "
              "(DH group 14).")


check_proposal(my_responder_proposal)

# %% [markdown]
# ## Summary
# - IKE_SA_INIT (plaintext) agrees on algorithms and a Diffie-Hellman secret; IKE_AUTH (inside SK)
#   proves who is who and creates the first CHILD_SA: four messages in all (RFC 7296 §1.2).
# - SKEYSEED and the seven SK_* keys come from the nonces and `g^ir`; the CHILD_SA's KEYMAT from
#   `SK_d`. Both peers compute them; none is ever sent.
# - Failures are answered with error notifies where the RFC says so (AUTHENTICATION_FAILED,
#   NO_PROPOSAL_CHOSEN); tampered messages are dropped in silence; replays get the cached answer.
# - AWS Site-to-Site VPN tunnels speak IKEv2 (or IKEv1, next notebook) and authenticate with a PSK
#   by default, or with a certificate from AWS Private CA
#   ([tunnel authentication](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-tunnel-authentication-options.html));
#   the [tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html) list the
#   algorithms it accepts.
#
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("ikev2", ids=["ikev2-initial-exchange-order", "ikev2-skeyseed", "ikev2-key-order",
                   "ikev2-auth-encrypted-payloads", "ikev2-message-id-auth"])

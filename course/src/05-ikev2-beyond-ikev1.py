# %% [markdown]
# Notebook 04 ended with an IKE SA and one CHILD_SA. A tunnel lives for days, so that is only the
# start. Keys wear out and must be replaced (**rekeyed**), extra CHILD_SAs may be needed, a gateway
# must notice when its peer has died, and SAs must be closed cleanly. In IKEv2 all of this uses two
# more exchanges on the established IKE SA (RFC 7296 §1.3, §1.4):
#
# - **CREATE_CHILD_SA**: a new CHILD_SA, a rekeyed CHILD_SA, or a rekeyed IKE SA;
# - **INFORMATIONAL**: DELETE, error notifies, and the empty "are you alive?" request.
#
# At the end we compare with **IKEv1**, which AWS Site-to-Site VPN still accepts.

# %%
from vpnlearn.course import setup

rng = setup("05-ikev2-beyond-ikev1")

# %% [markdown]
# ## Two established gateways
# Same set-up as notebook 04. One change: the ESP proposal is `aes128gcm16-ecp256`. The `-ecp256`
# part asks for **Perfect Forward Secrecy** (PFS): each CHILD_SA made by CREATE_CHILD_SA does its own
# Diffie-Hellman exchange (group 19). AWS accepts group 19 for Phase 2
# ([tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)).

# %%
from vpnlearn.ike import Identity, IkeConfig, Initiator, Responder, TrafficSelector
from vpnlearn.ike.udp import describe_event

LEFT, RIGHT = ("192.0.2.1", 500), ("192.0.2.2", 500)


def make_configs(esp_left: str = "aes128gcm16-ecp256",
                 esp_right: str = "aes128gcm16-ecp256") -> tuple[IkeConfig, IkeConfig]:
    """The left (initiator) and right (responder) configurations; only the ESP proposals vary."""
    common = {"psk": b"correct.horse.battery.staple", "ike_proposals": ("aes128gcm16-prfsha256-ecp256",)}
    left = IkeConfig(local_id=Identity.fqdn("left.example"), remote_id=Identity.fqdn("right.example"),
                     esp_proposals=(esp_left,), local_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
                     remote_ts=(TrafficSelector.subnet("10.98.2.0/24"),), **common)
    right = IkeConfig(local_id=Identity.fqdn("right.example"), remote_id=Identity.fqdn("left.example"),
                      esp_proposals=(esp_right,), local_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
                      remote_ts=(TrafficSelector.subnet("10.98.1.0/24"),), **common)
    return left, right


class Link:
    """Carries messages between two in-notebook peers until neither has anything to send."""

    def __init__(self, ini: Initiator, resp: Responder, quiet: bool = False) -> None:
        self.ini, self.resp, self.quiet = ini, resp, quiet

    def run(self, out, now: float, from_initiator: bool = True) -> None:
        """Deliver ``out`` (just produced by one peer) and every answer, printing the events."""
        sender = "initiator" if from_initiator else "responder"
        while True:
            if not self.quiet:
                for e in out.events:
                    print(f"{sender}: {describe_event(e)}")
            if not out.send:
                return
            if sender == "initiator":
                out, sender = self.resp.receive(out.send[0], now, local=RIGHT, remote=LEFT), "responder"
            else:
                out, sender = self.ini.receive(out.send[0], now, local=LEFT, remote=RIGHT), "initiator"


def establish(seed: str, left: IkeConfig, right: IkeConfig, quiet: bool = True) -> Link:
    """A fresh pair of peers that have run IKE_SA_INIT + IKE_AUTH at t = 0."""
    link = Link(Initiator(left, rng=rng.child(seed + "-i")), Responder(right, rng=rng.child(seed + "-r")),
                quiet)
    link.run(link.ini.start(now=0.0, local=LEFT, remote=RIGHT), now=0.0)
    link.quiet = False
    return link


link = establish("main", *make_configs())
ini, resp = link.ini, link.resp
print(ini.state.value, resp.state.value)
print(ini.child_sas[0], "| PFS:", ini.child_sas[0].keys.pfs)

# %% [markdown]
# **What to notice.** The first CHILD_SA has **no** PFS even though we asked for it: it is created
# inside IKE_AUTH, and its keys come from `SK_d` of the IKE SA only (RFC 7296 §1.2: the KE payload
# is not sent there). PFS starts with the CHILD_SAs that CREATE_CHILD_SA makes.
#
# A small helper shows the inside of a request: the receiver's keys open the SK payload.

# %%
from vpnlearn.ike.keys import sk_keys
from vpnlearn.ike.messages import decode_message, describe, open_message


def show_inside(peer, data: bytes, from_initiator: bool) -> None:
    """Decrypt a message with the keys of ``peer``'s IKE SA and print its payloads."""
    keys = sk_keys(peer.session.keys, peer.session.chosen, from_initiator=from_initiator)
    print(describe(open_message(decode_message(data), keys)))


# %% [markdown]
# ## A second CHILD_SA (CREATE_CHILD_SA, §1.3.1)
# At t = 10 s the left side asks for another CHILD_SA, for half of each network. The request carries
# `SA` (with a fresh ESP SPI), a new `Nonce`, a `KE` (PFS) and the traffic selectors.

# %%
out = ini.create_child(10.0, (TrafficSelector.subnet("10.98.1.0/25"),),
                       (TrafficSelector.subnet("10.98.2.0/25"),))
show_inside(resp, out.send[0], from_initiator=True)
link.run(out, now=10.0)

# %% [markdown]
# Its keys: `KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)` (§2.17). With PFS, someone who later steals
# `SK_d` still cannot compute this KEYMAT without the new Diffie-Hellman secret.

# %%
from vpnlearn.viz.tables import from_rows


def child_table(title: str):
    """The initiator's CHILD_SAs as a table (each SPI is the one the receiver chose)."""
    rows = [{"inbound SPI": f"0x{c.inbound_spi:08x}", "outbound SPI": f"0x{c.outbound_spi:08x}",
             "suite": c.chosen.name, "local": c.local_ts, "remote": c.remote_ts, "PFS": c.keys.pfs,
             "created at (s)": c.created} for c in ini.child_sas]
    return from_rows(title, rows)


new = ini.child_sas[1]
print(new.keys)
print("both sides have the same KEYMAT:", new.keys == resp.child_sas[1].keys)
child_table("CHILD_SAs of the left gateway after CREATE_CHILD_SA")

# %% [markdown]
# ## Rekeying a CHILD_SA with PFS (§1.3.3, §2.8)
# An SA must not live forever. AWS's default Phase 2 (CHILD_SA) lifetime is 3,600 s and it starts the
# rekey in the margin before that (default margin 270 s, with random fuzz;
# [tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)). We rekey the first
# CHILD_SA at t = 3,330 s. The request is a CREATE_CHILD_SA with a **N(REKEY_SA)** notify naming the
# SPI being replaced. When the new SA is up, the initiator deletes the old one (INFORMATIONAL).

# %%
old = ini.child_sas[0]
out = ini.rekey_child(3330.0, old)
show_inside(resp, out.send[0], from_initiator=True)
link.run(out, now=3330.0)

# %%
still_there = any(c.inbound_spi == old.inbound_spi for c in ini.child_sas)
print(f"old SA 0x{old.inbound_spi:08x} still there:", still_there)
child_table("CHILD_SAs after the rekey: new SPIs, new keys (with PFS)")

# %% [markdown]
# Traffic moves to the new SA straight away. A ping through the newest CHILD_SA:

# %%
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.packets import icmp_echo

ci, cr = ini.child_sas[-1], resp.child_sas[-1]
ping = icmp_echo("10.98.1.5", "10.98.2.7", identifier=5, sequence=1, payload=b"after the rekey").build()
print("delivered:", esp.unprotect(cr.inbound, esp.protect(ci.outbound, ping, now=3331.0), now=3331.0) == ping)

# %% [markdown]
# ## Rekeying the IKE SA itself (§1.3.2, §2.18)
# The IKE SA's keys also age (AWS Phase 1 lifetime: default 28,800 s). A CREATE_CHILD_SA with an
# **IKE** proposal (new IKE SPI), a Nonce and a KE (always: an IKE SA rekey always does a new DH)
# makes a new IKE SA:
#
# `SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)`, then the seven `SK_*` keys as in notebook 04,
# with the new SPIs. The CHILD_SAs move over to the new IKE SA; the old one is deleted.

# %%
old_ike = ini.ike_sa
out = ini.rekey_ike(28000.0)
show_inside(resp, out.send[0], from_initiator=True)
link.run(out, now=28000.0)

# %%
new_ike = ini.ike_sa
print(f"old IKE SA: SPIi {old_ike.spi_i.hex()} SPIr {old_ike.spi_r.hex()}")
print(f"new IKE SA: SPIi {new_ike.spi_i.hex()} SPIr {new_ike.spi_r.hex()}")
print(new_ike.keys)
print("both peers agree on the new keys:", new_ike.keys == resp.ike_sa.keys,
      "| new SKEYSEED differs from the old:", new_ike.keys.SKEYSEED != old_ike.keys.SKEYSEED)
print("CHILD_SAs kept:", len(ini.child_sas))

# %% [markdown]
# ## Is the peer still there? Liveness checks (DPD, §1.4, §2.4)
# IKEv2 has dead peer detection built in: an **empty INFORMATIONAL request**. The peer must answer
# it (an empty, encrypted response). Time is passed in: we check at t = 28,030 s.

# %%
link.run(ini.liveness(28030.0), now=28030.0)

# %% [markdown]
# **Break it: the peer dies.** We send a liveness request from a fresh pair and never deliver it.
# The library retransmits when its timer runs out (driven by the `now` we give to `tick`), waiting
# twice as long each time, and gives up after `retransmit_tries` (5) sends with **PeerDead**: the
# IKE SA is closed (RFC 7296 §2.4: then its CHILD_SAs must go too).

# %%
lonely = establish("dpd", *make_configs())
out = lonely.ini.liveness(100.0)   # this request is lost
while (when := lonely.ini.next_timer()) is not None:
    out = lonely.ini.tick(when)
    print(f"t = {when:6.1f} s:", ", ".join(describe_event(e) for e in out.events))
print("state:", lonely.ini.state.value, "| IKE SA:", lonely.ini.ike_sa)

# %% [markdown]
# AWS: each tunnel has a **DPD timeout** (at least 30 s) and a **DPD timeout action**: `clear` (the
# default: end the IKE session and stop the tunnel), `none`, or `restart`. The default timeout is
# 30 s in the user guide and the create API, but the `ModifyVpnTunnelOptions` API reference says 40 s:
# our fact sheet records this as a discrepancy (its §9), so check the value on your own tunnel.
# Sources: [tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html),
# [ModifyVpnTunnelOptions](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptions.html).
#
# **Try it.** In `make_configs`, add `"retransmit_tries": 3` to `common` and run the cells again: the
# dead peer is declared dead sooner (after 2 + 4 + 8 = 14 s instead of 62 s).
#
# ## DELETE (§1.4.1)
# Closing is an INFORMATIONAL exchange with a **Delete** payload. For a CHILD_SA it lists the
# sender's *inbound* ESP SPI; the peer deletes its matching SA pair and answers with its own SPI. For
# the IKE SA, a Delete with protocol IKE closes everything, CHILD_SAs included; the answer is empty.

# %%
out = ini.delete_child(28040.0, ini.child_sas[0])
show_inside(resp, out.send[0], from_initiator=True)
link.run(out, now=28040.0)
print("CHILD_SAs left:", len(ini.child_sas), len(resp.child_sas))

# %%
link.run(ini.delete_ike(28050.0), now=28050.0)
print("initiator:", ini.state.value, "| responder:", resp.state.value)

# %% [markdown]
# **Break it: a request on a closed SA.** The library refuses with a clear error instead of sending.

# %%
from vpnlearn.errors import ProtocolError

try:
    ini.liveness(28060.0)
except ProtocolError as err:
    print("refused:", err)

# %% [markdown]
# ## The whole life of the IKE SA
# The sequence diagram, drawn from the left gateway's transcript: every exchange above, with its
# Message ID and time. After the IKE SA rekey the Message IDs start again at 0: the new IKE SA has its
# own counter.

# %%
from vpnlearn.viz.sequence import ike_sequence

ike_sequence(ini, title="One IKE SA's life: create, rekey child (PFS), rekey IKE, DPD, delete")

# %% [markdown]
# ## The state machine
# Each IKE SA, in each peer, follows one table of transitions (`vpnlearn.ike.state.TRANSITIONS`).
# The peers run on that table, and the diagram is drawn from it. The initiator's side, with the
# state our left gateway ended in:

# %%
from vpnlearn.viz.sequence import state_diagram

state_diagram("initiator", current=ini.state)

# %% [markdown]
# **What to notice.** CREATE_CHILD_SA and INFORMATIONAL keep an IKE SA in ESTABLISHED: CHILD_SAs come
# and go without the IKE SA noticing. An IKE SA rekey moves the *old* SA to REKEYED (its successor
# starts ESTABLISHED), and any side may delete.
#
# **Break it: PFS groups that don't match.** A classic tunnel problem: left asks for PFS with group
# 19, right only accepts group 14 (`modp2048`). The tunnel comes up (the first CHILD_SA has no DH
# exchange, so the groups don't matter yet)... and the first CREATE_CHILD_SA (here, a rekey an hour
# later) fails with **NO_PROPOSAL_CHOSEN**. The IKE SA survives, but the CHILD_SA is not renewed.

# %%
mismatch = establish("pfs-mismatch", *make_configs(esp_right="aes128gcm16-modp2048"))
print("up at t = 0:", mismatch.ini.state.value, "with", len(mismatch.ini.child_sas), "CHILD_SA")
mismatch.run(mismatch.ini.rekey_child(3330.0, mismatch.ini.child_sas[0]), now=3330.0)
print("after the rekey attempt: IKE SA", mismatch.ini.state.value,
      "| CHILD_SAs:", len(mismatch.ini.child_sas))

# %% [markdown]
# ## Exercise: PFS with DH group 14
# Your security team wants every rekeyed CHILD_SA to use PFS with DH group 14 (2048-bit MODP) and
# AES-128-GCM. Write the ESP proposal (strongSwan syntax, as in `make_configs`) that both gateways
# will use. The check rekeys a CHILD_SA with it and looks at the KE payload that was really sent.

# %%
my_esp_proposal = "aes128gcm16"   # change me

# %%
from vpnlearn.errors import VpnlearnError
from vpnlearn.ike.payloads import KE


def check_esp_proposal(proposal: str) -> None:
    """Rekey a CHILD_SA between two peers configured with ``proposal`` and report on PFS."""
    if not isinstance(proposal, str):
        print(f"Write the proposal as a string in quotes, not {proposal!r}.")
        return
    try:
        pair = establish("exercise", *make_configs(proposal, proposal))
    except VpnlearnError as err:
        print("Not a usable proposal yet:", err)
        return
    pair.quiet = True
    out = pair.ini.rekey_child(3330.0, pair.ini.child_sas[0])
    keys = sk_keys(pair.resp.session.keys, pair.resp.session.chosen, from_initiator=True)
    ke = open_message(decode_message(out.send[0]), keys).first(KE)
    pair.run(out, now=3330.0)
    child = pair.ini.child_sas[-1]
    if ke is None:
        print("No KE payload in the rekey request: no PFS. Add a DH group to the proposal, "
              "e.g. 'aes128gcm16-<group>'.")
    elif ke.group != 14:
        print(f"PFS is on, but with DH group {ke.group}. Group 14 is 'modp2048' in strongSwan's names.")
    elif not child.chosen.name.startswith("aes128gcm16"):
        print(f"PFS with group 14, but the cipher is {child.chosen.name}: the team asked for AES-128-GCM.")
    else:
        print(f"Right: the rekey sent KE group {ke.group} and made {child.chosen.name}, "
              f"PFS = {child.keys.pfs}.")


check_esp_proposal(my_esp_proposal)

# %% [markdown]
# ## IKEv1: Main Mode + Quick Mode (RFC 2409)
# IKEv1 gets to the same point, one IPsec SA pair, in two phases:
#
# - **Main Mode** (Phase 1, 6 messages) builds the ISAKMP SA: proposals, then Diffie-Hellman and
#   nonces, then (encrypted) identities and proofs.
# - **Quick Mode** (Phase 2, 3 messages, encrypted) builds the IPsec SAs, with optional PFS.
#
# `vpnlearn.ike.ikev1` describes these messages as a table (the library does not implement IKEv1);
# the diagram is drawn from it.

# %%
from vpnlearn.viz.sequence import ikev1_sequence, ikev2_first_child_sequence

ikev1_sequence()

# %%
ikev2_first_child_sequence()

# %% [markdown]
# Side by side, from `vpnlearn.ike.ikev1.compare()`:

# %%
from vpnlearn.ike.ikev1 import compare

from_rows("IKEv1 and IKEv2", compare())

# %% [markdown]
# **What to notice.** IKEv2 needs 4 messages instead of 9, has Message IDs and one retransmission
# rule, built-in NAT detection and DPD, and a single exchange (CREATE_CHILD_SA) for every rekey.
# With a PSK, IKEv1 Main Mode must pick the key *before* it learns the peer's identity (message 5 is
# encrypted with a key that already depends on the PSK), which is why such peers are told apart by
# IP address.
#
# ## Why does AWS still offer IKEv1?
# AWS Site-to-Site VPN accepts both IKEv1 and IKEv2 on each tunnel (both are allowed by default);
# with IKEv1 it supports **Main Mode only**, no Aggressive Mode
# ([your customer gateway device](https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)).
# Some features need IKEv2: AWS can start the negotiation itself (startup action `start`) only with
# IKEv2 ([initiate tunnels](https://docs.aws.amazon.com/vpn/latest/s2svpn/initiate-vpn-tunnels.html)).
#
# The AWS pages we cite don't say *why* IKEv1 is still there. Our reading, not an AWS statement: the
# customer gateway is the customer's own device, and many older routers and firewalls only speak
# IKEv1, so AWS keeps it for compatibility. If your device speaks IKEv2, restrict the tunnel's IKE
# versions to `ikev2` ([ModifyVpnTunnelOptions](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptions.html)).
#
# ## Summary
# - CREATE_CHILD_SA makes new CHILD_SAs, rekeys them (N(REKEY_SA), optional PFS KE) and rekeys the
#   IKE SA (new SPI, always a KE; SKEYSEED from the old SK_d).
# - INFORMATIONAL carries Delete payloads and the empty liveness request; lost requests are
#   retransmitted by the requester until it declares the peer dead.
# - IKEv1 takes 9 messages in two phases for what IKEv2 does in 4; AWS keeps it, Main Mode only.
#
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("ikev1-vs-ikev2", ids=["ike2-create-child-sa-extra", "ike2-rekey-child-notify", "ike2-pfs",
                            "ike1-vs-ike2-message-count", "ike1-aws-main-mode-only"])

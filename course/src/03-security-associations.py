# %% [markdown]
# In notebook 02 a Security Association simply *existed*. A real gateway keeps three databases
# (RFC 4301 §4.4) that decide which SA, if any, a packet meets:
#
# - the **SPD** (Security Policy Database), an ordered list of rules: which traffic must be
#   protected (PROTECT), may pass in the clear (BYPASS) or must be dropped (DISCARD);
# - the **SAD** (Security Association Database): the SAs themselves, with SPIs, keys, counters,
#   lifetimes and replay windows;
# - the PAD (Peer Authorization Database), which says which peers IKE may talk to, and as whom.
#
# An SA is **one-way**. A tunnel needs a pair: one outbound, one inbound, each with its own SPI and
# keys. AWS Site-to-Site VPN makes one SA pair per tunnel, so four SAs for its two tunnels
# ([your customer gateway](https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)).

# %%
from vpnlearn.course import setup

rng = setup("03-security-associations")

# %% [markdown]
# ## One tunnel, two SAs
# The office gateway (customer gateway, 203.0.113.10) has a tunnel to an AWS endpoint
# (198.51.100.20). Each receiver chooses the SPI of the SA it receives on (RFC 4301 §4.1), so
# AWS picked 0xA1000001 for office -> AWS, and the office picked 0xC1000001 for AWS -> office.

# %%
from vpnlearn.ipsec.sa import SecurityAssociation

office_out = SecurityAssociation(0xA1000001, mode="tunnel", tunnel_src="203.0.113.10",
                                 tunnel_dst="198.51.100.20", rng=rng.child("office-to-aws"))
office_in = SecurityAssociation(0xC1000001, direction="inbound", mode="tunnel",
                                tunnel_src="198.51.100.20", tunnel_dst="203.0.113.10",
                                rng=rng.child("aws-to-office"))
print(office_out)
print(office_in)

# %% [markdown]
# ## The SPD: what must be protected
# The office's policy, first match wins (RFC 4301 §4.4.1):
#
# 1. IKE itself (UDP 500 and 4500) passes in the clear, or the gateway could never set up its SAs;
# 2. office (172.16.0.0/16) <-> VPC (10.0.0.0/16) must be protected by the SA named `tunnel1`;
# 3. everything else is dropped.

# %%
from vpnlearn.ipsec.spd import SPD, entry
from vpnlearn.viz.tables import spd_table

spd = SPD([
    entry("ike", "BYPASS", protocol="UDP", local_ports=500, remote_ports=500),
    entry("ike-natt", "BYPASS", protocol="UDP", local_ports=4500, remote_ports=4500),
    entry("office-vpc", "PROTECT", local="172.16.0.0/16", remote="10.0.0.0/16", sa_name="tunnel1",
          ipsec="esp tunnel"),
    entry("default", "DISCARD"),
])
spd_table(spd)

# %% [markdown]
# ## The SAD: where the SAs live
# Outbound SAs are found through the SPD entry that chose them (its `sa_name`); inbound SAs by the
# SPI the packet carries (RFC 4301 §4.4.2). No keys are shown.

# %%
from vpnlearn.ipsec.sad import SAD
from vpnlearn.viz.tables import sad_table

sad = SAD()
sad.add_outbound(office_out, "tunnel1")
sad.add_inbound(office_in, destination="203.0.113.10")
sad_table(sad)

# %% [markdown]
# ## Step a packet through SPD -> SA -> ESP
# A host in the office (172.16.1.10) pings a server in the VPC (10.0.1.5).
#
# **Step 1, the SPD.** The table marks the deciding entry and says why each earlier one was skipped.

# %%
from vpnlearn.ipsec.packets import icmp_echo

ping = icmp_echo("172.16.1.10", "10.0.1.5", identifier=3, sequence=1, payload=b"are you there?").build()
decision = spd.lookup(ping, "outbound")
spd_table(spd, decision)

# %% [markdown]
# **Step 2, the SA** that the PROTECT entry names; **step 3, ESP** with that SA. The time is
# passed in (seconds since the SA was created): the library never reads a clock.

# %%
from vpnlearn.ipsec.esp import protect_packet

sa = sad.outbound(decision)
sent = protect_packet(sa, ping, now=12.0)
print("SA chosen:", sa)
print(f"on the wire: {sent.outer.src} -> {sent.outer.dst}, ESP SPI 0x{sent.esp.spi:08x}, "
      f"sequence number {sent.esp.seq}, {len(sent.data)} bytes")

# %% [markdown]
# **At AWS.** The receiving gateway finds the SA by the SPI in the packet, opens it, and then checks
# the decrypted packet against its own SPD: traffic that arrived through an SA must be traffic that
# SA's policy allows (RFC 4301 §5.2). AWS's view is the mirror image: local is the VPC.

# %%
from vpnlearn.ipsec.esp import unprotect

aws_sad = SAD()
aws_sad.add_inbound(office_out.peer(), destination="198.51.100.20")
aws_spd = SPD([entry("vpc-office", "PROTECT", local="10.0.0.0/16", remote="172.16.0.0/16",
                     sa_name="tunnel1"), entry("default", "DISCARD")])

aws_sa = aws_sad.inbound_for_packet(sent.data)
inner = unprotect(aws_sa, sent.data, now=12.1)
print("AWS found SA:", aws_sa)
print("inner packet is the office's ping:", inner == ping)
print(aws_spd.lookup(inner, "inbound").why)

# %% [markdown]
# **Break it.** Three packets the databases refuse, each with the library's explanation:
# traffic the SPD does not allow, traffic whose SA IKE has not made yet, and a packet with an SPI
# nobody knows.

# %%
from vpnlearn.errors import PolicyError

print(spd.lookup(icmp_echo("172.16.1.10", "8.8.8.8").build(), "outbound").why)

if "office-vpc2" not in spd.names():          # a second VPC, policy written, tunnel not up yet
    spd.add(entry("office-vpc2", "PROTECT", local="172.16.0.0/16", remote="10.1.0.0/16",
                  sa_name="tunnel2"), position=3)
try:
    sad.outbound(spd.lookup(icmp_echo("172.16.1.10", "10.1.0.9").build(), "outbound"))
except PolicyError as err:
    print("\nPROTECT but no SA:", err)

forged = bytearray(sent.data)
forged[20:24] = bytes.fromhex("deadbeef")          # the SPI field of the ESP header
try:
    aws_sad.inbound_for_packet(bytes(forged))
except PolicyError as err:
    print("\nunknown SPI:", err)

# %% [markdown]
# ## Lifetimes: SAs are not forever
# Every SA has soft and hard limits, in seconds, bytes or packets (RFC 4301 §4.4.2.1). At the soft
# limit the gateway should negotiate a new SA (rekey); at the hard limit the old one must not be
# used. AWS's Phase 2 lifetime is 3600 s by default, and AWS rekeys a *rekey margin* (default 270 s)
# before it ends
# ([tunnel options](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html)).
# `Lifetime.aws_phase2()` models that as soft 3330 s, hard 3600 s. (AWS also moves the exact rekey
# moment at random, by the *rekey fuzz* percentage of the rekey window; the model uses a fixed
# 3330 s.)

# %%
from vpnlearn.errors import LifetimeExpired
from vpnlearn.ipsec.sa import Lifetime

timed = SecurityAssociation(0xA1000002, mode="tunnel", tunnel_src="203.0.113.10", tunnel_dst="198.51.100.20",
                            lifetime=Lifetime.aws_phase2(), created=0.0, rng=rng.child("timed"))
for now in (60.0, 3000.0, 3330.0, 3599.0, 3600.0):
    try:
        protect_packet(timed, ping, now=now)
        news = [str(e) for e in timed.events if e.value == now - timed.created]
        print(f"t={now:>6}: sent{'  <- ' + news[0] if news else ''}")
    except LifetimeExpired as err:
        print(f"t={now:>6}: refused: {err}")

# %% [markdown]
# The same works for volume: a lifetime in packets (tiny here, to see it happen).
#
# **Try it.** Change `soft_packets=3, hard_packets=5` and run again. What happens if `soft` is
# larger than `hard`?

# %%
counted = SecurityAssociation(0xA1000003, mode="tunnel", tunnel_src="203.0.113.10",
                              tunnel_dst="198.51.100.20", lifetime=Lifetime(soft_packets=3, hard_packets=5),
                              rng=rng.child("counted"))
for n in range(1, 7):
    try:
        protect_packet(counted, ping)
        print(f"packet {n}: sent", *(f" <- {e}" for e in counted.events if e.value == n))
    except LifetimeExpired as err:
        print(f"packet {n}: refused: {err}")

# %% [markdown]
# ## The anti-replay window
# An attacker can record a genuine packet and send it again later: its ICV is still valid. The
# receiver therefore remembers which sequence numbers it has accepted, in a window that ends at the
# highest number seen (RFC 4303 §3.4.3). A number already seen, or too far left of the window, is
# dropped; a number right of the window is new and slides the window forward.
#
# A 64-packet window, and packets arriving out of order:

# %%
from vpnlearn.errors import ReplayError
from vpnlearn.ipsec.replay import ReplayWindow

window = ReplayWindow(64)
for seq in (1, 2, 3, 5, 4, 4, 70, 6, 7, 200, 137, 136):
    try:
        window.check(seq)           # before the ICV check: changes nothing
        window.update(seq)          # only after the ICV verified
        print(f"{seq:>4}: accepted  window now [{max(1, window.bottom)}, {window.top}]")
    except ReplayError as err:
        print(f"{seq:>4}: dropped   {err}")

# %% [markdown]
# What to notice: 4 arriving after 5 is fine (it is inside the window and new); 6 after 70 is
# dropped as too old, even though it was never seen. A bigger window tolerates more reordering. AWS
# lets you choose 64 to 2048 packets, default 1024
# ([tunnel options](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html)).
#
# **Break it.** The library accepts only AWS's range (RFC 4303 §3.4.3 itself allows windows from 32
# packets), so a 32-packet window is refused, with the reason and the source:

# %%
from vpnlearn.errors import ConfigError

try:
    ReplayWindow(32)
except ConfigError as err:
    print(err)

# %% [markdown]
# ## Exercise: write the office's SPD
# The office's security team wants:
#
# 1. office (172.16.0.0/16) <-> VPC (10.0.0.0/16): protected by the SA `tunnel1`;
# 2. IKE between the gateways (UDP 500 <-> 500) in the clear;
# 3. office -> Internet (any other address) in the clear, without the tunnel;
# 4. the guest network 172.16.99.0/24 must reach **nothing** through the gateway, not even the VPC.
#
# Fill in `my_entries` with `entry(name, action, ...)` calls (actions `"PROTECT"`, `"BYPASS"`,
# `"DISCARD"`; selectors `local=`, `remote=`, `protocol=`, `local_ports=`, `remote_ports=`), in the
# order you want them tried, then run the check. One entry is given to start with.

# %%
my_entries = [
    entry("ike", "BYPASS", protocol="UDP", local_ports=500, remote_ports=500),
]

# %%
from vpnlearn.ipsec.packets import ipv4_udp


def check_spd(entries: list) -> None:
    """Run the four requirements' packets through an SPD made of ``entries`` and explain each result."""
    try:
        policy = SPD(entries)
    except ConfigError as err:
        print("The SPD cannot be built:", err)
        return
    tests = [
        (icmp_echo("172.16.4.20", "10.0.2.7").build(), "PROTECT", "requirement 1: office -> VPC"),
        (ipv4_udp("203.0.113.10", "198.51.100.20", 500, 500, b"ike"), "BYPASS", "requirement 2: IKE"),
        (ipv4_udp("172.16.4.20", "192.0.2.80", 40000, 443, b"web"), "BYPASS", "requirement 3: Internet"),
        (icmp_echo("172.16.99.5", "10.0.2.7").build(), "DISCARD", "requirement 4: guest -> VPC"),
        (ipv4_udp("172.16.99.5", "192.0.2.80", 40000, 443, b"web"), "DISCARD",
         "requirement 4: guest -> Internet"),
    ]
    ok = 0
    for packet, want, what in tests:
        d = policy.lookup(packet, "outbound")
        got = d.action.value
        if got == want and (want != "PROTECT" or d.entry.sa_name == "tunnel1"):
            ok += 1
            by = f" by entry {d.entry.name}" if d.entry else " (no entry matched)"
            print(f"ok       {what}: {got}{by}")
        else:
            print(f"NOT YET  {what}: want {want}, got {got}"
                  + (f" (SA {d.entry.sa_name})" if got == "PROTECT" else ""))
            print("         " + d.why.replace("\n", "\n         "))
    print(f"{ok} of {len(tests)} checks pass." + (" Well done." if ok == len(tests) else
                                                  " Remember: the first matching entry wins."))


check_spd(my_entries)

# %% [markdown]
# ## Quiz
# Five questions from the `security-associations` bank on what this notebook showed.

# %%
from vpnlearn.quiz import quiz

quiz("security-associations", ids=["sa-simplex", "sa-aws-four", "sa-inbound-lookup", "sa-lifetime-soft-hard",
                                   "sa-aws-replay-window"])

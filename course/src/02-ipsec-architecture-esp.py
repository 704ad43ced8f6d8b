# %% [markdown]
# IPsec (RFC 4301) protects IP packets with one of two protocols, each in one of two modes:
#
# | | **ESP** (RFC 4303, IP protocol 50) | **AH** (RFC 4302, IP protocol 51) |
# |---|---|---|
# | hides the data | yes | no |
# | detects changes to the data | yes | yes |
# | also covers the outer IP addresses | no | yes |
# | crosses a NAT | yes, inside UDP 4500 (RFC 3948) | no |
#
# **Tunnel mode** wraps the whole original packet in a new one between two gateways; **transport
# mode** keeps the original IP header and protects only what follows it (RFC 4301 §4.1). AWS
# Site-to-Site VPN uses ESP in tunnel mode
# ([your customer gateway](https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)).
# This notebook builds all of these with the library and reads them byte by byte.

# %%
from vpnlearn.course import setup

rng = setup("02-ipsec-architecture-esp")

# %% [markdown]
# ## The ESP header
# ESP's own header is just two 32-bit fields. The picture is drawn from the same field declaration
# the library encodes and decodes with (`vpnlearn.ipsec.esp.ESP_HEADER`).

# %%
from vpnlearn.ipsec.esp import ESP_HEADER, ESP_TRAILER
from vpnlearn.viz import header_diagram

for field in ESP_HEADER.fields + ESP_TRAILER.fields:
    print(f"{field.name:<16} {field.bits:>2} bits  {field.rfc:<14} {field.meaning}")
header_diagram(ESP_HEADER, trailer="IV, then the encrypted Payload Data, Padding, Pad Length, Next Header; "
               "then the ICV")

# %% [markdown]
# - The **SPI** names the Security Association, so the receiver knows which keys to use
#   (notebook 03 is about SAs).
# - The **Sequence Number** counts packets from 1; the receiver uses it to drop replays.
# - Everything after the header is encrypted, except the IV and the ICV at the end.
#
# ## Tunnel mode and transport mode, side by side
# One ping from a laptop (192.168.1.10) to a server (10.0.1.5), protected twice with AES-GCM:
# by a tunnel-mode SA between two gateways, and by a transport-mode SA on the laptop itself.

# %%
from vpnlearn.ipsec.esp import protect_packet, unprotect
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.viz import hexdump

ping = icmp_echo("192.168.1.10", "10.0.1.5", identifier=7, sequence=1, payload=b"hello, VPC")
raw = ping.build()

tunnel_sa = SecurityAssociation(0x2000A001, mode="tunnel", tunnel_src="203.0.113.10",
                                tunnel_dst="198.51.100.20", rng=rng.child("tunnel"))
transport_sa = SecurityAssociation(0x2000B001, mode="transport", rng=rng.child("transport"))

in_tunnel = protect_packet(tunnel_sa, raw)
in_transport = protect_packet(transport_sa, raw)
print(f"original packet      {len(raw):>3} bytes  {ping.src} -> {ping.dst}")
print(f"ESP tunnel mode      {len(in_tunnel.data):>3} bytes  {in_tunnel.outer.src} -> {in_tunnel.outer.dst}")
print(f"ESP transport mode   {len(in_transport.data):>3} bytes  "
      f"{in_transport.outer.src} -> {in_transport.outer.dst}")

# %%
hexdump(in_transport.data, in_transport.spans(), "The ping in ESP transport mode")

# %% [markdown]
# What to notice: in transport mode the laptop's and server's addresses stay visible and the IP
# header's Protocol field says 50 (ESP); the ICMP header and data are encrypted, and Next Header
# (inside the encryption) says 1, ICMP. In tunnel mode (below) the outer header names only the two
# gateways and Next Header is 4: the payload is a whole IPv4 packet.

# %%
from vpnlearn.viz import packet_diagram

packet_diagram(in_tunnel.spans(), title="ESP tunnel mode", detail=["ESP", "ESP trailer"])

# %% [markdown]
# ## The receiver checks before it decrypts
# The gateway at the other end holds the matching inbound SA (`peer()`: same SPI and keys). RFC 4303
# §3.4 fixes the order: find the SA by SPI, check the sequence number against the replay window,
# verify the ICV, and only then decrypt.

# %%
receiver = tunnel_sa.peer()
print("decrypted packet equals the original:", unprotect(receiver, in_tunnel.data) == raw)

# %% [markdown]
# **Break it.** Three attacks on the tunnel packet. The SPI and Sequence Number are not encrypted,
# but the ICV covers them, so changing the sequence number is caught; a changed bit of ciphertext
# fails the ICV; and replaying the genuine packet is caught by the replay window, before any
# cryptography runs. (The flipped packet goes to a second receiver: the first one has already
# accepted sequence number 1 and would drop it as a replay without even checking the ICV.)

# %%
from vpnlearn.errors import AuthenticationError, ReplayError

esp_at = in_tunnel.esp_offset                    # where ESP starts, after the 20-byte outer header
new_seq = bytearray(in_tunnel.data)
new_seq[esp_at + 7] = 9                          # Sequence Number 1 -> 9
flipped = bytearray(in_tunnel.data)
flipped[-20] ^= 0x80                             # one bit of the ciphertext, just before the ICV

fresh = tunnel_sa.peer()                         # a second receiver that has not seen packet 1 yet
for what, packet, gateway in (("sequence number changed", new_seq, receiver),
                              ("one ciphertext bit flipped", flipped, fresh),
                              ("genuine packet again", in_tunnel.data, receiver)):
    try:
        unprotect(gateway, bytes(packet))
        print(f"{what}: accepted")
    except (AuthenticationError, ReplayError) as err:
        print(f"{what}: {type(err).__name__}: {err}")

print("receiver:", receiver.counters)

# %% [markdown]
# ## AH: integrity, including the addresses, and no secrecy
# AH puts a header between the IP header and the payload and computes its ICV over the payload,
# the AH header **and the outer IP header**, with the fields routers change on the way (TTL,
# checksum, DSCP/ECN, flags, fragment offset) set to zero (RFC 4302 §3.3.3.1). It encrypts nothing.

# %%
from vpnlearn.ipsec import ah

ah_sa = SecurityAssociation(0x3000A001, protocol="ah", mode="transport", rng=rng.child("ah"))
with_ah = ah.protect_packet(ah_sa, raw)
hexdump(with_ah.data, with_ah.spans(), "The ping with AH, transport mode")

# %% [markdown]
# What to notice: `hello, VPC` is in plain text near the end, and the protection column marks the
# source and destination addresses as authenticated, but not TTL or the checksum.
#
# ## Why AH cannot cross a NAT
# A home router with NAT rewrites the laptop's private source address 192.168.1.10 to its public
# one, say 198.51.100.77, and recomputes the IP checksum. For AH that is indistinguishable from an
# attack: the address is covered by the ICV.

# %%
from dataclasses import replace

from vpnlearn.ipsec.packets import IPv4


def nat_rewrite(packet: bytes, new_src: str) -> bytes:
    """What a source NAT does to an IPv4 packet: new source address, new header checksum."""
    return replace(IPv4.parse(packet), src=new_src).build()


try:
    ah.unprotect(ah_sa.peer(), nat_rewrite(with_ah.data, "198.51.100.77"))
except AuthenticationError as err:
    print("AH after NAT:", err)

# %% [markdown]
# ESP does not cover the outer header, so a NAT that only changes addresses would not break its ICV.
# The real problem is that most NATs share one public address among many hosts by rewriting
# **ports**, and ESP has none. NAT traversal (RFC 3948) therefore puts ESP inside UDP port 4500 when
# IKE detects a NAT (RFC 7296 §2.23). AWS supports it: allow UDP 4500 as well as UDP 500
# ([your customer gateway](https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html#FirewallRules)).
#
# Here the NAT rewrites both the source address and the UDP source port (4500 -> 61001), and the
# gateway's inbound SA still accepts the packet.

# %%
from vpnlearn.ipsec.natt import UdpEncap
from vpnlearn.ipsec.packets import UDP

natt_sa = SecurityAssociation(0x2000C001, mode="tunnel", tunnel_src="192.168.1.10",
                              tunnel_dst="198.51.100.20", udp_encap=UdpEncap(), rng=rng.child("natt"))
natt_packet = protect_packet(natt_sa, raw)


def napt_rewrite(packet: bytes, new_src: str, new_port: int) -> bytes:
    """What a port-translating NAT does: new source address and UDP source port."""
    outer = IPv4.parse(packet)
    udp = UDP.parse(outer.payload)
    new_udp = replace(udp, src_port=new_port).build(checksum=False)   # RFC 3948 §2.1: checksum 0
    return replace(outer, src=new_src, payload=new_udp).build()


after_nat = napt_rewrite(natt_packet.data, "198.51.100.77", 61001)
outer = IPv4.parse(after_nat)
print(f"before NAT: {natt_packet.outer.src} -> {natt_packet.outer.dst}, UDP 4500 -> 4500")
print(f"after NAT:  {outer.src} -> {outer.dst}, UDP {UDP.parse(outer.payload).src_port} -> 4500")
print("the gateway opens it, inner packet unchanged:", unprotect(natt_sa.peer(), after_nat) == raw)

# %% [markdown]
# The same port 4500 also carries IKE messages (marked by four zero bytes, the *non-ESP marker*)
# and one-byte NAT-keepalives that hold the NAT's mapping open. A receiver tells them apart by
# their first bytes (RFC 3948 §2.2-2.3):

# %%
from vpnlearn.ipsec import natt

for name, payload in (("ESP packet", natt_packet.esp.data), ("IKE on 4500", natt.wrap_ike(b"\x11" * 28)),
                      ("keepalive", natt.NAT_KEEPALIVE)):
    print(f"{name:<12} starts {payload[:4].hex():<8} -> {natt.classify(payload)}")

# %% [markdown]
# **Try it.** Remove `udp_encap=UdpEncap()` from `natt_sa` and run the NAT cells again: the packet
# is now plain ESP (protocol 50), and `napt_rewrite` fails because there is no UDP header, and no
# port, to rewrite.
#
# ## Save it for Wireshark
# `vpnlearn.pcap` writes the packets as a pcap file and the SA keys as Wireshark's `esp_sa` table,
# so Wireshark (or `tshark`) can decrypt them. The files go to a folder in your temporary directory.

# %%
import tempfile
from pathlib import Path

from vpnlearn import pcap

folder = Path(tempfile.gettempdir()) / "vpnlearn-02-esp"
folder.mkdir(exist_ok=True)
second = protect_packet(tunnel_sa, icmp_echo("192.168.1.10", "10.0.1.5", identifier=7, sequence=2,
                                             payload=b"second ping").build())
pcap_file = pcap.write_pcap(folder / "esp-tunnel.pcap", [in_tunnel.data, second.data])
pcap.write_key_tables(folder / "wireshark-config", esp=[tunnel_sa])
print("files:", sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()))
print("esp_sa row:", pcap.esp_sa_uat([tunnel_sa]).strip()[:96], "...")

# %% [markdown]
# To look at them in Wireshark: `WIRESHARK_CONFIG_DIR=<folder>/wireshark-config wireshark
# <folder>/esp-tunnel.pcap`. These are demo keys; a key table made from real SAs is a secret and
# must be guarded like one. If `tshark` is installed, the next cell asks it to decrypt the two
# packets (an optional extra; it only prints a note when tshark is missing).

# %% tags=["nbval-ignore-output"] reason="depends on whether tshark is installed on the machine"
if pcap.tshark_available():
    fields = ["frame.number", "ip.src", "ip.dst", "esp.spi", "esp.sequence", "icmp.seq", "esp.icv_good"]
    for row in pcap.run_tshark(pcap_file, fields, esp=[tunnel_sa]):
        print(row)
else:
    print("tshark is not installed (Debian package 'tshark'): skipping the decrypted view.")

# %% [markdown]
# `ip.src` lists two addresses: tshark decrypted the ESP payload and found the inner packet
# (laptop -> server) inside the outer one (gateway -> gateway); `esp.icv_good` says it checked the ICV.
#
# ## Exercise: how big is the packet on the wire?
# The ping above is 38 bytes (20 IPv4 + 8 ICMP + 10 data). Predict the total length of the packet
# on the wire for each case, then run the check. You need: outer IPv4 header 20 bytes, UDP header 8,
# SPI + Sequence Number 8, AES-GCM IV 8 and ICV 16; padding so that payload + Pad Length + Next
# Header is a multiple of 4 (RFC 4303 §2.4).

# %%
my_sizes = {
    "ESP transport mode": None,
    "ESP tunnel mode": None,
    "ESP tunnel mode in UDP (NAT-T)": None,
}

# %%
def check_sizes(answers: dict) -> None:
    """Build each packet with the library and compare its length with the answer."""
    cases = {
        "ESP transport mode": SecurityAssociation(0x4000A001, mode="transport", rng=rng.child("x1")),
        "ESP tunnel mode": SecurityAssociation(0x4000A002, mode="tunnel", tunnel_src="203.0.113.10",
                                               tunnel_dst="198.51.100.20", rng=rng.child("x2")),
        "ESP tunnel mode in UDP (NAT-T)": SecurityAssociation(
            0x4000A003, mode="tunnel", tunnel_src="203.0.113.10", tunnel_dst="198.51.100.20",
            udp_encap=UdpEncap(), rng=rng.child("x3")),
    }
    right = 0
    for name, sa in cases.items():
        p = protect_packet(sa, raw)
        udp = 8 if p.udp else 0
        parts = (f"IPv4 20{' + UDP 8' if udp else ''} + ESP header 8 + IV {len(p.esp.iv)} + payload "
                 f"{len(p.esp.payload)} + padding {p.esp.pad_length} + 2 + ICV {p.esp.icv_len}")
        answer = answers.get(name)
        if answer is None:
            print(f"{name}: not answered yet. What does this mode put inside ESP: the whole packet "
                  "or only what follows the IP header?")
        elif answer == len(p.data):
            right += 1
            print(f"{name}: {answer} bytes, right ({parts})")
        else:
            more = "more" if len(p.data) > answer else "less"
            print(f"{name}: {answer} is not it; the library builds {more} than that. Count again: "
                  "outer header, ESP header, IV, payload, padding, trailer, ICV.")
    print(f"{right} of {len(cases)} right.")


check_sizes(my_sizes)

# %% [markdown]
# ## Quiz
# Five questions on ESP that the quiz in *Start here* did not ask.

# %%
from vpnlearn.quiz import quiz

quiz("ipsec-esp", ids=["esp-next-header-tunnel", "esp-total-size", "esp-services", "esp-aws-mode",
                       "esp-natt-non-esp-marker"])

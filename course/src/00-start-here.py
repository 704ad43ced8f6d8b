# %% [markdown]
# Welcome. This course teaches IPsec, IKE and the AWS VPN options by running real code. Every packet
# you see is built by the `vpnlearn` library with real cryptography (the `cryptography` package), in
# the exact format the RFCs define, so Wireshark and real VPN gateways read it too.
#
# **How a notebook works.** Each one teaches one idea. Read a cell, run it (Shift+Enter), look at
# what it prints. Cells marked **Try it** invite you to change one thing and run again. Cells marked
# **Break it** show what goes wrong, on purpose. Every notebook ends with a short quiz that gives
# feedback right away and remembers your progress.
#
# Run the next cell. It turns on *demo mode*: random bytes (keys, nonces) come from a fixed seed, so
# you see exactly the bytes this notebook was written with, and so does everyone in your class.

# %%
from vpnlearn.course import setup

rng = setup("00-start-here")

# %% [markdown]
# ## A first packet
# A laptop at home (192.168.1.10) pings a server in a VPC (10.0.1.5). This is the ICMP echo request
# its IP stack would send: 20 bytes of IPv4 header, 8 bytes of ICMP header, then the data.

# %%
from vpnlearn.ipsec.packets import icmp_echo, packet_spans
from vpnlearn.viz import hexdump

ping = icmp_echo("192.168.1.10", "10.0.1.5", identifier=1, sequence=1, payload=b"hello, VPC")
raw = ping.build()
hexdump(raw, packet_spans(raw), "The ping, as it leaves the laptop")

# %% [markdown]
# Anyone on the path between the laptop and AWS can read this: the addresses, and the data
# `hello, VPC` in plain text (`68 65 6c 6c 6f` ...).
#
# ## The same packet, through a VPN tunnel
# A VPN gateway protects the packet with **ESP** (Encapsulating Security Payload, RFC 4303). In
# *tunnel mode* the whole original packet is encrypted and travels inside a new packet between the
# two gateways, here the office router 203.0.113.10 and an AWS tunnel endpoint 198.51.100.20.
#
# A **Security Association** (SA) holds what both gateways agreed on: the algorithm (here AES-GCM
# with a 128-bit key), the keys, and a number that names the SA in every packet, the **SPI**.

# %%
from vpnlearn.ipsec.esp import protect_packet, unprotect
from vpnlearn.ipsec.sa import SecurityAssociation

sa = SecurityAssociation(0x1000A001, encryption="aes128gcm16", mode="tunnel",
                         tunnel_src="203.0.113.10", tunnel_dst="198.51.100.20", rng=rng)
sa

# %%
protected = protect_packet(sa, raw)
hexdump(protected.data, protected.spans(), "The ping inside ESP, on the Internet")

# %% [markdown]
# Compare the two dumps. On the Internet, an observer now sees only the gateways' addresses, the SPI
# and a sequence number. The original addresses and `hello, VPC` are inside the encrypted part. The
# last 16 bytes, the **ICV** (Integrity Check Value), let the receiver detect any change.
#
# The picture below is drawn from the same field declarations the library uses to build and parse
# the packet: what is encrypted, and what the ICV covers.

# %%
from vpnlearn.viz import packet_diagram

packet_diagram(protected.spans(), title="ESP in tunnel mode", detail=["ESP", "ESP trailer"])

# %% [markdown]
# ## The other side
# The AWS end has the matching inbound SA (same SPI, same keys). It checks the ICV, decrypts, and
# gets back the original packet, byte for byte.

# %%
inbound = sa.peer()
unprotect(inbound, protected.data) == raw

# %% [markdown]
# **Try it.** Change the payload in the `icmp_echo(...)` cell to your own text and run the cells
# again (Run → Run All Cells). The encrypted bytes change completely; the header bytes don't.
#
# **Break it.** An attacker flips one bit of the encrypted data. The receiver's ICV check fails and
# the packet is dropped, without revealing anything about its contents.

# %%
from vpnlearn.errors import AuthenticationError

tampered = bytearray(protected.data)
tampered[40] ^= 0x01
try:
    unprotect(sa.peer(), bytes(tampered))
except AuthenticationError as err:
    print("rejected:", err)

# %% [markdown]
# ## Where things are
# - **Notebooks**: the [contents](contents.ipynb) lists them in order; each links to the next.
# - **The library**: `vpnlearn` (`vpnlearn.ipsec`, `vpnlearn.ike`, `vpnlearn.aws` ...); every
#   function has a docstring: type `help(protect_packet)` or press Shift+Tab inside a call.
# - **Sources**: protocol facts come from the RFCs (RFC 4303 is ESP); AWS facts link to AWS's own
#   documentation, for example the
#   [Site-to-Site VPN user guide](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPC_VPN.html).
# - **Your progress**: quiz answers are saved in a file on this machine; in a terminal,
#   `vpnlearn progress` shows them topic by topic.
#
# ## Quiz
# Choose an answer and press **Check**. You get feedback and the source for the answer; you can try
# again as often as you like.

# %%
from vpnlearn.quiz import quiz

quiz("ipsec-esp", n=3)

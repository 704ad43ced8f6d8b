# %% [markdown]
# Welcome. This course teaches IPsec, IKE and the AWS VPN options by running real code: every packet
# you see here is built by the `vpnlearn` library with real cryptography, and Wireshark can read it.
#
# Run the next cell. It sets up *demo mode*: random bytes come from a fixed seed, so you see exactly
# the bytes this notebook was written with. Real keys must never come from a seed, and the library
# says so when demo mode is on.

# %%
from vpnlearn.course import setup

rng = setup("00-start-here")
rng

# %% [markdown]
# ## A first packet
# An ICMP echo request ("ping") from a laptop at home to a server in a VPC, as the laptop's IP stack
# would build it. `build()` fills in the lengths and checksums.

# %%
from vpnlearn.ipsec.packets import IPv4, icmp_echo

ping = icmp_echo("192.168.1.10", "10.0.1.5", identifier=1, sequence=1, payload=b"hello, VPC")
raw = ping.build()
print(len(raw), "bytes:", raw.hex(" "))

# %% [markdown]
# Parsing is the mirror of building, and every field has its RFC name:

# %%
for span in IPv4.parse(raw).spans()[:13]:
    print(f"{span.label:20} {span.value!r}")

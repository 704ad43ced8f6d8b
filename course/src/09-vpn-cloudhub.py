# %% [markdown]
# A company has a VPC and three branch offices, each with a Site-to-Site VPN connection to the same
# virtual private gateway (VGW). Each branch reaches the VPC. Can the branches reach *each other*?
#
# With **AWS VPN CloudHub**, yes: the VGW becomes the hub of a hub-and-spoke network. Each branch
# advertises its own prefixes over BGP, and the VGW re-advertises them to every other branch
# ([VPN CloudHub](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html)). AWS's
# recipe has four ingredients, and this notebook breaks each one:
#
# 1. **one** virtual private gateway;
# 2. one customer gateway per site, each with a **unique BGP ASN**;
# 3. **dynamically routed** (BGP) VPN connections;
# 4. site prefixes that **do not overlap**.

# %%
from vpnlearn.course import setup

rng = setup("09-vpn-cloudhub")

# %% [markdown]
# ## 1. Build the hub
# `vpnlearn.aws.cloudhub.CloudHub` wraps the VGW routing model of notebook 07
# (`vpnlearn.aws.routing.VgwRouter`). Adding a site creates its customer gateway, a BGP VPN
# connection with both tunnels UP, and the BGP advertisements of its prefixes. The VGW's ASN is
# 64512, AWS's default Amazon-side ASN.

# %%
from vpnlearn.aws.cloudhub import CloudHub
from vpnlearn.aws.network import VPC

vpc = VPC("vpc-hq", "10.0.0.0/16", name="hq")
vpc.add_subnet("subnet-app", "10.0.1.0/24", az="us-east-1a")

hub = CloudHub(vgw_id="vgw-0hub", asn=64512, vpc=vpc, rng=rng.child("vgw"))
hub.add_site("seattle", asn=65001, prefixes=["10.10.0.0/16"])
hub.add_site("chicago", asn=65002, prefixes=["10.20.0.0/16"])
hub.add_site("miami", asn=65003, prefixes=["10.30.0.0/16"])

for site in hub.sites.values():
    print(f"{site.name:<8} ASN {site.asn}  advertises {', '.join(map(str, site.prefixes))}  "
          f"over {site.connection}")

# %% [markdown]
# The picture is drawn by `vpnlearn.viz.topology.cloudhub_diagram` from the hub object: the VGW in
# the middle, each site with its ASN and prefix, two tunnels per site (green and solid = UP).

# %%
from vpnlearn.viz.topology import cloudhub_diagram

cloudhub_diagram(hub)

# %% [markdown]
# ## 2. What the hub tells each site
# The VGW keeps the best path for every prefix it knows and re-advertises it to each BGP peer. When
# a BGP router passes a route on to another AS, it puts its own ASN at the front of the route's
# **AS_PATH** (RFC 4271 §5.1.2). So Seattle hears Chicago's prefix with AS_PATH `64512 65002`: "go
# through AS 64512 (the hub) to reach AS 65002 (Chicago)".

# %%
for route in hub.advertised_to("seattle"):
    print(route.describe())

# %% [markdown]
# Seattle's router receives all four, *including its own prefix*. It keeps three. A BGP router
# refuses any route whose AS_PATH already contains its own ASN: that is BGP's loop prevention
# (RFC 4271 §9.1.2). Seattle sees 65001 in the first route and drops it, which is right: it is its
# own network coming back.

# %%
kept, dropped = hub.received_routes("seattle")
print("Seattle keeps:")
for r in kept:
    print("  ", r.describe())
print("Seattle drops (its own ASN 65001 is in the AS_PATH):")
for r in dropped:
    print("  ", r.describe())

# %% [markdown]
# ## 3. A packet from Seattle to Miami
# `CloudHub.path` follows a packet: Seattle's lookup in the routes it learned, then the VGW's own
# path selection (the same ordered rules as notebook 07: longest prefix, route source, AS_PATH, MED,
# then one egress tunnel that AWS picks).

# %%
print(hub.path("seattle", "10.30.4.5").explain())

# %% [markdown]
# What to notice: the VGW had two equal paths to Miami, one per tunnel, and used one of them. A VGW
# uses a single egress tunnel for all its VPN connections; AWS picks it and you cannot configure it
# ([VPN routing](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html)). (The seed
# of this notebook decides which one the model picks.) `vpnlearn.viz.tables.path_choice_table` shows
# the VGW's candidates and which rule eliminated each:

# %%
from vpnlearn.viz.tables import path_choice_table

path_choice_table(hub.path("seattle", "10.30.4.5").hub_choice)

# %% [markdown]
# The diagram can draw the same path:

# %%
cloudhub_diagram(hub, packet=("seattle", "10.30.4.5"))

# %% [markdown]
# **Try it.** Take Miami's tunnel down and send the packet again: the VGW falls back to the other
# tunnel. Then take both down: Miami's BGP sessions end, the hub withdraws its prefix, and Seattle
# has no route left.

# %%
hub.set_tunnel_state("miami", "tunnel1", "DOWN")
print(hub.path("seattle", "10.30.4.5").explain())
hub.set_tunnel_state("miami", "tunnel2", "DOWN")
print()
print(hub.path("seattle", "10.30.4.5").explain())
for t in ("tunnel1", "tunnel2"):
    hub.set_tunnel_state("miami", t, "UP")   # restore for the rest of the notebook

# %% [markdown]
# ## 4. The VPC learns the branches too
# With route propagation on, the VGW's BGP routes appear in the VPC's route table, so servers in
# the VPC can answer all three branches (notebook 07 explains propagation).

# %%
result = hub.vgw.enable_propagation(vpc.main_route_table)
print(f"added {len(result.added)} propagated route(s) to {result.table_id}:")
for r in vpc.main_route_table.routes:
    print("  ", r.describe())

# %% [markdown]
# ## 5. Break it: two sites with the same ASN
# Rule 2 is the subtle one. Suppose the network team gives every branch the same private ASN,
# 65000. `CloudHub(strict=True)` (the default) refuses that outright; with `strict=False` the model
# accepts it, records the problem, and lets us watch what BGP does.

# %%
same = CloudHub(vgw_id="vgw-0same", asn=64512, strict=False, rng=rng.child("same"))
same.add_site("seattle", asn=65000, prefixes=["10.10.0.0/16"])
same.add_site("chicago", asn=65000, prefixes=["10.20.0.0/16"])
for p in same.problems:
    print("problem:", p)
print()
print(same.path("seattle", "10.20.1.1").explain())

# %% [markdown]
# Chicago's route reaches Seattle as AS_PATH `64512 65000`. Seattle's own ASN is 65000, so BGP loop
# prevention throws it away: the hub *did* advertise it, but the branch could never use it. The
# VPN tunnels are up, BGP is up, and still nothing flows between the branches. That is why AWS
# asks for a unique ASN per customer gateway.
#
# **Break it.** Rule 4: a new Boston office reuses part of Chicago's range. CloudHub refuses it,
# naming the field and the site it collides with, because the hub could not tell which branch owns
# 10.20.200.0/24.

# %%
from vpnlearn.errors import ConfigError

try:
    hub.add_site("boston", asn=65004, prefixes=["10.20.128.0/17"])
except ConfigError as err:
    print("refused:", err)

try:
    hub.add_site("boston", asn=65004, prefixes=["10.40.0.0/16"], routing="static")
except ConfigError as err:
    print("refused:", err)

# %% [markdown]
# The second refusal is rule 3: a statically routed connection has no BGP session, so the hub has
# nothing to re-advertise.
#
# One more fact worth knowing: CloudHub costs the normal VPN connection-hour rates, and data the
# VGW relays from one site to another is billed as standard data transfer
# ([VPN CloudHub](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html)).
#
# ## Exercise: add the Denver office
# Denver gets a VPN connection to the same hub. Choose its BGP ASN and the prefix it advertises
# (its LAN) so that Denver reaches every other site and the VPC, and every site reaches Denver.
# Hints: private 16-bit ASNs are 64512-65534; what must the ASN differ from? What must the prefix
# not overlap?

# %%
DENVER_ASN = None        # for example 65xxx
DENVER_PREFIX = ""       # for example "10.x.0.0/16"

# %%
def check_denver(asn: object, prefix: str) -> None:
    """Add Denver to a copy of the hub and follow packets both ways with CloudHub.path."""
    trial = CloudHub(vgw_id="vgw-0hub", asn=64512, vpc=VPC("vpc-hq", "10.0.0.0/16", name="hq"),
                     strict=False, rng=rng.child("exercise"))
    for s in hub.sites.values():
        trial.add_site(s.name, asn=s.asn, prefixes=s.prefixes)
    if asn is None or not prefix:
        print("Set DENVER_ASN (a number) and DENVER_PREFIX (a CIDR) in the cell above, then run both cells.")
        return
    try:
        trial.add_site("denver", asn=asn, prefixes=[prefix])  # type: ignore[arg-type]
    except ConfigError as err:
        print("Not accepted:", err)
        return
    for p in trial.problems:
        print("Problem:", p)
    probes = {"seattle": "10.10.0.10", "chicago": "10.20.0.10", "miami": "10.30.0.10", "vpc-hq": "10.0.1.10"}
    net = trial.sites["denver"].prefixes[0]
    denver_host = str(net[min(10, net.num_addresses - 1)])
    failures = 0
    for name, ip in probes.items():
        out = trial.path("denver", ip)
        if out.egress != name:
            failures += 1
            print(f"denver -> {name} ({ip}): does not arrive. {out.steps[-1].text}")
    for name in ("seattle", "chicago", "miami"):
        back = trial.path(name, denver_host)
        if back.egress != "denver":
            failures += 1
            print(f"{name} -> denver ({denver_host}): does not arrive. {back.steps[-1].text}")
    if failures == 0 and not trial.problems:
        print(f"Denver (ASN {asn}, {prefix}) reaches all 3 sites and the VPC, and they all reach Denver.")
    elif failures == 0:
        print("Every packet arrives in this model, but the design breaks the rule above: fix it.")
    else:
        print(f"{failures} path(s) fail: adjust the ASN or the prefix and run both cells again.")


check_denver(DENVER_ASN, DENVER_PREFIX)

# %% [markdown]
# ## Where the rules live
# Every rule used above is a row in `vpnlearn.aws.network.ROUTING_RULES`, with the AWS page it
# comes from.

# %%
from vpnlearn.aws.network import routing_rules_table
from vpnlearn.viz.tables import Table

rows = routing_rules_table("CLOUDHUB")
Table("CloudHub rules", ("rule", "description"), tuple((r["rule_id"], r["description"]) for r in rows),
      links=tuple(r["url"] for r in rows), link_column="rule")

# %% [markdown]
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("cloudhub", n=5)

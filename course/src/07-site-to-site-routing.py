# %% [markdown]
# Notebook 06 built the tunnels. A tunnel that is UP still carries nothing until *routing* says
# which packets go into it. Three places decide, and this notebook runs each as a lookup that prints
# its reasons:
#
# 1. **the VPN connection's routing type**: static routes you type in, or BGP, where your device
#    advertises its prefixes inside each tunnel
#    ([routing options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html));
# 2. **the VPC route table**: which route a packet leaving a subnet uses, in AWS's documented
#    priority order ([route priority](https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html));
# 3. **the virtual private gateway** (VGW): when it knows several paths to the same place, which one
#    it uses ([VPN route priority](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority)).
#
# The models are `vpnlearn.aws.network` (VPC, subnets, route tables), `vpnlearn.aws.routing`
# (lookups, the VGW, propagation) and `vpnlearn.aws.tgw` (the transit gateway, for contrast).

# %%
from vpnlearn.course import setup

rng = setup("07-site-to-site-routing")

# %% [markdown]
# ## 1. A VPC, a VGW and two sites
# The VPC `prod` (10.0.0.0/16) has an application subnet and an Internet gateway. Two sites connect
# to its VGW:
#
# - a **branch** office with a small router: **static** routing, its LAN 172.16.0.0/16 typed in as a
#   static route of the VPN connection;
# - a **data centre** with a BGP-capable router (ASN 65010): **BGP** routing (AWS calls it dynamic).
#
# A new VPN connection's tunnels are DOWN until the customer gateway brings them up.

# %%
from vpnlearn.aws.network import VPC
from vpnlearn.aws.routing import VgwRouter

vpc = VPC("vpc-0prod", "10.0.0.0/16", name="prod")
vpc.add_subnet("subnet-app", "10.0.1.0/24", az="us-east-1a")
rtb = vpc.main_route_table
rtb.add("0.0.0.0/0", "igw-0internet")

vgw = VgwRouter("vgw-0prod", asn=64512, vpc=vpc, rng=rng.child("vgw"))
vgw.add_vpn_connection("vpn-branch", routing="static", static_prefixes=["172.16.0.0/16"])
vgw.add_vpn_connection("vpn-dc", routing="bgp", cgw_asn=65010)
print(rtb)

# %% [markdown]
# **Static or BGP?** AWS's advice: use BGP if your device supports it, because BGP also tells AWS
# when a path stops working and lets the two tunnels fail over by themselves; static routing is for
# devices without BGP ([routing options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html)).
# The model enforces one rule of the choice: a BGP connection takes no static routes.
#
# **Break it.** Give the BGP connection a static route.

# %%
from vpnlearn.errors import ConfigError

try:
    vgw.add_static_route("vpn-dc", "192.168.0.0/16")
except ConfigError as err:
    print(f"refused: {err}")

# %% [markdown]
# ## 2. Route propagation follows the tunnels
# With **route propagation** enabled on a route table, the VGW writes the routes it has learned into
# it; nobody has to type them ([route tables for VPN](https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html#vpn-configure-routing)).
# But it writes only what it can use *now*: prefixes of a connection whose tunnels are UP. Every
# change returns what was added to and withdrawn from the table; `show` prints that.

# %%
def show(results) -> None:
    """Print what a propagation changed (a PropagationResult or a list of them)."""
    results = results if isinstance(results, list) else [results]
    changes = [f"  + {r.describe()}" for res in results for r in res.added]
    changes += [f"  - {r.describe()}" for res in results for r in res.withdrawn]
    print("\n".join(changes) or "  (no change)")


print("enable propagation on the main route table:")
show(vgw.enable_propagation(rtb))
print("branch tunnel1 UP:")
show(vgw.set_tunnel_state("vpn-branch", "tunnel1", "UP"))
print("data centre tunnel1 and tunnel2 UP:")
show(vgw.set_tunnel_state("vpn-dc", "tunnel1", "UP") + vgw.set_tunnel_state("vpn-dc", "tunnel2", "UP"))

# %% [markdown]
# The branch's static route appeared as soon as one tunnel was UP. The data centre's tunnels are UP
# but nothing appeared: with BGP, the VGW knows only what the customer gateway *advertises*, and it
# has not said anything yet. Now it advertises its LAN on both tunnels (BGP runs inside each tunnel,
# between the tunnel inside addresses), and one more prefix, 10.0.5.0/24, by mistake.

# %%
for tunnel in ("tunnel1", "tunnel2"):
    print(f"advertised on {tunnel}:")
    show(vgw.advertise("vpn-dc", tunnel, "192.168.0.0/16") + vgw.advertise("vpn-dc", tunnel, "10.0.5.0/24"))

# %% [markdown]
# The picture shows the table as it is now (`vpnlearn.viz.tables.route_table`):

# %%
from vpnlearn.viz.tables import route_table

route_table(rtb)

# %% [markdown]
# **Try it.** Take tunnels down and watch the withdrawals. A static connection keeps its prefixes
# while *either* tunnel is UP; a BGP prefix stays while *some* tunnel still advertises it, because
# each tunnel has its own BGP session. When the last one goes, the route leaves the table, and
# packets to it follow the next best route (here: the default route to the Internet gateway).

# %%
print("data centre tunnel1 DOWN:")
show(vgw.set_tunnel_state("vpn-dc", "tunnel1", "DOWN"))
print("data centre tunnel2 DOWN:")
show(vgw.set_tunnel_state("vpn-dc", "tunnel2", "DOWN"))
print("both UP again, the router re-advertises:")
show(vgw.set_tunnel_state("vpn-dc", "tunnel1", "UP") + vgw.set_tunnel_state("vpn-dc", "tunnel2", "UP"))
for tunnel in ("tunnel1", "tunnel2"):
    show(vgw.advertise("vpn-dc", tunnel, "192.168.0.0/16") + vgw.advertise("vpn-dc", tunnel, "10.0.5.0/24"))

# %% [markdown]
# What to notice: the second tunnel's advertisement changed nothing in the table (the prefix was
# already there), but it matters: it keeps the route alive when the first tunnel goes down.
#
# One honest caveat from AWS's page: "If your connection is interrupted but the VPN connection remains
# UP, any propagated routes that are in your route table are not automatically removed"
# ([route propagation](https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html)).
# Propagation follows the tunnel *status*, not the traffic. BGP's own liveness checks help here,
# one more reason AWS recommends BGP-capable devices; notebook 06's failover timeline shows how long
# DPD and the BGP hold timer take to notice.
#
# ## 3. VPC route priority, as a lookup
# A packet leaving `subnet-app` uses the subnet's route table. `routing.lookup` applies AWS's order
# step by step: the routes that contain the destination; the local route's precedence; longest
# prefix; static over propagated; among propagated routes, Direct Connect, then VPN static, then
# VPN BGP. Each step names its rule id; the table marks the winner (=>) and what each rule eliminated
# (x), with links to the AWS page.
#
# First: a server in the VPC sends to 10.0.5.9. The data centre advertised 10.0.5.0/24, which is
# *more specific* than the VPC's 10.0.0.0/16.

# %%
from vpnlearn.aws.routing import lookup

route_table(rtb, lookup(rtb, "10.0.5.9"))

# %% [markdown]
# What to notice: longest prefix did **not** decide first. A propagated route that overlaps the
# VPC's local route is ignored, even when it is more specific (step `VPC-RT-LOCAL`). The mistaken
# advertisement cannot steal traffic that belongs inside the VPC.
#
# Next, 192.168.1.1 (the data centre) and 8.8.8.8 (the Internet). `decided_by` names the last rule
# that eliminated something; `MATCH` means only one route contained the address at all.

# %%
for destination in ("192.168.1.1", "8.8.8.8"):
    found = lookup(rtb, destination)
    print(f"{destination:<12} -> {found.target.id:<14} decided by {found.decided_by}")

# %% [markdown]
# **Try it.** The security team puts a firewall appliance in the VPC and adds a *static* route
# 172.16.0.0/16 -> its network interface, the same prefix the branch's VPN propagates. Which wins?

# %%
rtb.add("172.16.0.0/16", "eni-0firewall")
route_table(rtb, lookup(rtb, "172.16.8.8"))

# %% [markdown]
# Same prefix length, so the static route wins over the propagated one (`VPC-RT-STATIC`): traffic to
# the branch now goes through the firewall. Remove the static route to send it straight to the VGW
# again.

# %%
removed = rtb.remove_route("172.16.0.0/16", target="eni-0firewall")
print(f"removed: {removed[0].describe()}\n172.16.8.8 -> {lookup(rtb, '172.16.8.8').target.id}")

# %% [markdown]
# ## 4. VGW path selection, as a lookup
# The route table sent the packet to the VGW. If the VGW knows several paths for the destination it
# chooses in this order ([VPN route priority](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority)):
# longest prefix; Direct Connect BGP, then VPN static, then VPN BGP; shortest AS_PATH; lowest MED
# (only between paths whose first AS is the same); and then **one egress tunnel**: AWS picks it and
# "you can't configure AWS to prefer a specific tunnel"
# ([tunnel preference](https://repost.aws/knowledge-center/vpn-configure-tunnel-preference)).
#
# To the data centre: two equal paths (one per tunnel), so the last rule decides. Which tunnel the
# model picks comes from this notebook's seed (rng), standing in for AWS's choice.

# %%
from vpnlearn.viz.tables import path_choice_table

path_choice_table(vgw.select("192.168.1.1"))

# %% [markdown]
# The diagram (`vpnlearn.viz.topology.site_to_site_diagram`) follows the same packet through the
# route table and the VGW: the models decide, the picture only highlights. The `VpnConnection`
# objects of notebook 06 add each tunnel's addresses.

# %%
from vpnlearn.aws.site_to_site import CustomerGateway, two_tunnel_connection
from vpnlearn.viz.topology import site_to_site_diagram

cgws = [CustomerGateway("cgw-0branch", bgp_asn=65000, ip_address="198.51.100.27",
                        device_name="branch-router"),
        CustomerGateway("cgw-0dc", bgp_asn=65010, ip_address="203.0.113.50", device_name="dc-edge")]
conns = [two_tunnel_connection("vpn-branch", cgws[0], vpn_gateway="vgw-0prod"),
         two_tunnel_connection("vpn-dc", cgws[1], vpn_gateway="vgw-0prod",
                               inside_cidrs=("169.254.20.0/30", "169.254.21.0/30"),
                               outside_ips=("198.51.100.5", "198.51.100.6"))]
site_to_site_diagram(vpc, vgw, connections=conns, customer_gateways=cgws,
                     packet=("10.0.1.10", "192.168.1.1"))

# %% [markdown]
# **Try it.** The branch *also* becomes reachable from the data centre: the data centre's router
# starts advertising 172.16.0.0/16 over BGP. Now the VGW has a static path and BGP paths for the
# same prefix. Static wins (`VGW-PATH-SOURCE`), whatever the AS_PATH.

# %%
for tunnel in ("tunnel1", "tunnel2"):
    vgw.advertise("vpn-dc", tunnel, "172.16.0.0/16", as_path=[65010, 65000])
print(vgw.select("172.16.8.8").explain())

# %% [markdown]
# **Break it.** The data centre advertises 101 prefixes to the VGW. A customer gateway may advertise
# at most 100 dynamic routes to a VGW, and the limit cannot be raised
# ([quotas](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html)). The model follows what
# happens with a BGP maximum-prefix limit (RFC 4486 §4): the session is reset and *every* prefix it
# carried is withdrawn, not just the extra one. (The reset behaviour is not on AWS's page; the model's
# docstring names its source.) We use a copy of the VGW, to keep ours.

# %%
test_vgw = VgwRouter("vgw-0test", vpc=VPC("vpc-0test", "10.9.0.0/16"), rng=rng.child("test"))
test_vgw.add_vpn_connection("vpn-dc", routing="bgp", cgw_asn=65010)
test_vgw.set_tunnel_state("vpn-dc", "tunnel1", "UP")
for i in range(101):
    test_vgw.advertise("vpn-dc", "tunnel1", f"192.168.{i}.0/24")
print(test_vgw.events[-1])
print("prefixes the VGW still has from vpn-dc:", sum(p.connection == "vpn-dc" for p in test_vgw.paths()))

# %% [markdown]
# ## 5. For contrast: a transit gateway uses all tunnels (ECMP)
# A VGW sends over one tunnel at a time. A transit gateway with `VpnEcmpSupport` (on by default)
# spreads traffic over *every* equal BGP path: both tunnels of a connection, and the tunnels of
# several connections, for more bandwidth. ECMP needs BGP; static VPN routes on a TGW do not use it
# ([quotas and rules](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html);
# [how transit gateways work](https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html)).

# %%
from vpnlearn.aws.tgw import TransitGateway
from vpnlearn.viz.topology import transit_gateway_diagram

tgw = TransitGateway("tgw-0hub", asn=64512, rng=rng.child("tgw"))
tgw.attach_vpc(vpc)
for name in ("vpn-dc-a", "vpn-dc-b"):
    tgw.attach_vpn(name, routing="bgp", cgw_asn=65010)
    for tunnel in ("tunnel1", "tunnel2"):
        tgw.set_tunnel_state(name, tunnel, "UP")
        tgw.advertise(name, tunnel, "192.168.0.0/16")
print(tgw.lookup("192.168.1.1").explain())

# %%
transit_gateway_diagram(tgw, destination="192.168.1.1")

# %% [markdown]
# ## Exercise: a primary and a backup data centre
# The company opens a second data centre (ASN 65020) with its own VPN connection `vpn-dc2`. Both
# advertise 192.168.0.0/16 over BGP. Traffic from the VPC must use **vpn-dc1** while it is up, and
# fail over to vpn-dc2 only when vpn-dc1's tunnels are down.
#
# Your backup router controls two BGP attributes on what it advertises: how many *extra* times it
# prepends its own ASN to the AS_PATH, and the MED. Set them below, then run the check. It builds the
# VGW, asks `VgwRouter.select` for the path, and prints the VGW's reasons. (Hint: read the MED rule
# in section 4 carefully: which paths does AWS compare MEDs between?)

# %%
BACKUP_EXTRA_PREPENDS = 0   # how many extra times vpn-dc2 repeats 65020 in the AS_PATH
BACKUP_MED = 0              # the MED vpn-dc2 sends (vpn-dc1 sends 100)

# %%
def check_backup(extra_prepends: int, med: int) -> None:
    """Build the two-data-centre VGW and check which connection it uses, before and after dc1 fails."""
    if not isinstance(extra_prepends, int) or not isinstance(med, int) or extra_prepends < 0:
        print("Use whole numbers: BACKUP_EXTRA_PREPENDS >= 0, BACKUP_MED >= 0.")
        return
    router = VgwRouter("vgw-0prod", vpc=VPC("vpc-0prod", "10.0.0.0/16"), rng=rng.child("exercise"))
    for name, asn in (("vpn-dc1", 65010), ("vpn-dc2", 65020)):
        router.add_vpn_connection(name, routing="bgp", cgw_asn=asn)
    try:
        for tunnel in ("tunnel1", "tunnel2"):
            for name in ("vpn-dc1", "vpn-dc2"):
                router.set_tunnel_state(name, tunnel, "UP")
            router.advertise("vpn-dc1", tunnel, "192.168.0.0/16", med=100)
            router.advertise("vpn-dc2", tunnel, "192.168.0.0/16", as_path=[65020] * (1 + extra_prepends),
                             med=med)
    except ConfigError as err:
        print(f"Not accepted: {err}")
        return
    router.preferred_tunnel = ("vpn-dc2", "tunnel1")   # the case where AWS's own pick went to dc2
    normal = router.select("192.168.1.1")
    for tunnel in ("tunnel1", "tunnel2"):
        router.set_tunnel_state("vpn-dc1", tunnel, "DOWN")
    failed = router.select("192.168.1.1")
    uses = normal.path.connection if normal.path else None
    # Which rule removed the backup's paths? The tunnel pick (VGW-ONE-TUNNEL) is AWS's, not yours.
    by_rule = {p.tunnel: s.rule_id for s in normal.steps for p in s.eliminated if p.connection == "vpn-dc2"}
    if uses == "vpn-dc1" and by_rule and "VGW-ONE-TUNNEL" not in by_rule.values():
        print(f"Right: the VGW uses vpn-dc1; the backup's paths lost at {sorted(set(by_rule.values()))}, "
              "a rule you control.\nWhen both vpn-dc1 tunnels are down the VGW uses "
              f"{failed.path.connection if failed.path else 'nothing'} ({failed.path.describe()}).")
        return
    print(f"Not yet: the VGW would send to {uses}; the tunnel pick (AWS's choice) decided it. Its reasons:")
    print(normal.explain())
    if med > 100 and extra_prepends == 0:
        print("The MEDs were not compared: the paths start with different ASNs (65010, 65020).")


check_backup(BACKUP_EXTRA_PREPENDS, BACKUP_MED)

# %% [markdown]
# ## Where the rules live
# Every rule id printed above is a row of `vpnlearn.aws.network.ROUTING_RULES`, with the AWS page it
# comes from. Here are the rows this notebook used (`routing_rules_table()` lists them all).

# %%
from vpnlearn.aws.network import routing_rules_table
from vpnlearn.viz.tables import Table

USED = ("PROP-WHEN-UP", "PROP-STALE", "VPC-RT-LOCAL", "VPC-RT-LPM", "VPC-RT-STATIC", "VPC-RT-PROP-ORDER",
        "VGW-PATH-LPM", "VGW-PATH-SOURCE", "VGW-PATH-ASPATH", "VGW-PATH-MED", "VGW-ONE-TUNNEL",
        "VGW-CGW-DYNAMIC-LIMIT", "TGW-ECMP")
by_id = {r["rule_id"]: r for r in routing_rules_table()}
rows = [by_id[rule_id] for rule_id in USED]
Table("Routing rules", ("rule", "description"), tuple((r["rule_id"], r["description"]) for r in rows),
      links=tuple(r["url"] for r in rows), link_column="rule")

# %% [markdown]
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("s2s-routing", n=5)

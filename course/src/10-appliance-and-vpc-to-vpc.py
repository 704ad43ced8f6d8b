# %% [markdown]
# Two questions that come up in every AWS network design:
#
# 1. *"Can't I just run my own VPN software on an EC2 instance?"* You can. AWS does not provide or
#    maintain such appliances (you find them on AWS Marketplace or build one with strongSwan), and
#    everything AWS's managed VPN does for you, above all high availability, becomes **your** job
#    ([VPN connections](https://docs.aws.amazon.com/vpc/latest/userguide/vpn-connections.html)).
# 2. *"How do I connect two VPCs?"* By VPC peering, a transit gateway, or a VPN between them; each
#    routes differently.
#
# We answer both with the routing models in `vpnlearn.aws` (`appliance`, `vpc_to_vpc`, `tgw`,
# `network`): each packet below is followed through real route-table lookups, and every "no" comes
# with the rule that said it.

# %%
from vpnlearn.course import setup

rng = setup("10-appliance-and-vpc-to-vpc")

# %% [markdown]
# ## Part 1: a VPN appliance on EC2
# Our VPC (10.0.0.0/16) has a private subnet in each of two Availability Zones, each with its own
# route table. The remote office is 192.168.0.0/16. We launch one VPN instance, `i-vpn1`, and point
# subnet A's route for the office at the instance's network interface (ENI).

# %%
from vpnlearn.aws.appliance import SoftwareVpn
from vpnlearn.aws.network import VPC

vpc = VPC("vpc-app", "10.0.0.0/16", name="app")
rtb_a = vpc.add_route_table("rtb-a")
rtb_b = vpc.add_route_table("rtb-b")
vpc.add_subnet("subnet-a", "10.0.1.0/24", az="us-east-1a", route_table=rtb_a)
vpc.add_subnet("subnet-b", "10.0.2.0/24", az="us-east-1b", route_table=rtb_b)

vpn = SoftwareVpn(vpc, ["192.168.0.0/16"])
vpn1 = vpn.add_instance("i-vpn1", "subnet-a", "10.0.1.10")
vpn.route_via(rtb_a, vpn1)

first = vpn.send("subnet-a", "10.0.1.5", "192.168.1.1")
print("delivered:", first.delivered)
print("path:", " -> ".join(first.hops))
print("why:", first.reason, f"[{first.rule_id}]")

# %% [markdown]
# **Break it (it broke by itself).** The route table did its job: the table below, drawn by
# `vpnlearn.viz.tables.route_table` from the lookup, shows the static route to `eni-vpn1` chosen.
# But the packet died at the instance. Every EC2 instance starts with its **source/destination
# check** on: it may only send and receive traffic that it is itself the source or destination of.
# A router, NAT or VPN gateway forwards *other hosts'* traffic, so the check must be turned off
# ([ModifyInstanceAttribute](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html)).

# %%
from vpnlearn.viz.tables import route_table

route_table(rtb_a, first.lookup)

# %%
vpn1.source_dest_check = False   # aws ec2 modify-instance-attribute --no-source-dest-check

out = vpn.send("subnet-a", "10.0.1.5", "192.168.1.1")
back = vpn.receive_from_remote("i-vpn1", "192.168.1.1", "10.0.1.5")
for d in (out, back):
    print(f"{d.source} -> {d.destination}: {'delivered' if d.delivered else 'DROPPED'}; "
          f"{' -> '.join(d.hops)}; {d.reason}")

# %% [markdown]
# The picture comes from `vpnlearn.viz.topology.appliance_diagram`; the blue numbered path is
# the one `SoftwareVpn.send` returned. Note the static route `192.168.0.0/16 -> eni-vpn1` in route
# table rtb-a: a static route like this beats an identical propagated route (notebook 07).

# %%
from vpnlearn.viz.topology import appliance_diagram

appliance_diagram(vpn, packet=("subnet-a", "10.0.1.5", "192.168.1.1"))

# %% [markdown]
# ## High availability is your job
# One instance is a **single point of failure**. AWS's whitepaper sketches the fix: several VPN
# instances, each AZ's subnets routed through the instance *in the same AZ*, and a **monitoring
# instance** that notices a failure and moves the affected route tables to a working instance. AWS
# gives no ready-made monitor
# ([HA for software VPN instances](https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/appendix-a-high-level-ha-architecture-for-software-vpn-instances.html)).
#
# `vpnlearn.aws.appliance.Monitor` is such a monitor. It checks the instances each time we call
# `poll(now)` (time is a number we pass in: the library never reads a clock) and fails over after
# three failed checks in a row.

# %%
from vpnlearn.aws.appliance import Monitor

vpn2 = vpn.add_instance("i-vpn2", "subnet-b", "10.0.2.10", source_dest_check=False)
monitor = Monitor(vpn, {"rtb-a": "i-vpn1", "rtb-b": "i-vpn2"}, failures_before_failover=3)
print("rtb-a uses", monitor.current("rtb-a"), "| rtb-b uses", monitor.current("rtb-b"))

vpn1.running = False   # i-vpn1 crashes at t = 0 s
for now in (5, 15, 25):
    sent = vpn.send("subnet-a", "10.0.1.5", "192.168.1.1")
    events = monitor.poll(now)
    print(f"t={now:>2}s  packet from subnet A: {'delivered' if sent.delivered else 'LOST'}  | monitor: "
          + "; ".join(f"{e.kind}: {e.detail}" for e in events))
after = vpn.send("subnet-a", "10.0.1.5", "192.168.1.1")
print(f"t=30s  packet from subnet A: {'delivered' if after.delivered else 'LOST'} via {after.hops[2]}")
print("rtb-a now uses", monitor.current("rtb-a"))

# %% [markdown]
# What to notice: between the crash and the failover, subnet A's packets were lost: its route
# still pointed at a dead ENI (a *blackhole*). How long depends on how often the monitor checks and
# how many failures it waits for. Subnet A now crosses to the instance in the *other* AZ:

# %%
appliance_diagram(vpn, packet=("subnet-a", "10.0.1.5", "192.168.1.1"))

# %% [markdown]
# **Try it.** Bring `i-vpn1` back (`vpn1.running = True`) and call `monitor.poll(45)`: the routes
# move back home. Then rebuild the monitor with `failures_before_failover=1` and crash an instance
# again: faster failover, but one lost health check (a busy instance) is now enough to move routes.
#
# **Break it.** The monitor itself is one more instance that can fail. If it is down, nothing moves
# the routes, and the blackhole stays.

# %%
vpn1.running = True
monitor.poll(45)
vpn2.running = False
monitor.running = False
for now in (50, 60, 70, 80):
    monitor.poll(now)
lost = vpn.send("subnet-b", "10.0.2.5", "192.168.1.1")
print(monitor.events[-1].detail)
print("subnet B:", lost.reason, f"[{lost.rule_id}]")
vpn2.running = True
monitor.running = True

# %% [markdown]
# ## Part 2: connecting VPCs
# ### VPC peering is not transitive
# Peering joins exactly two VPCs, privately (never over the Internet), in the same or another
# Region. Two rules shape every design
# ([peering basics](https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html)):
# peering is **not transitive**, and there is **no edge-to-edge routing** (a VPC cannot use its
# peer's VPN, Direct Connect, Internet gateway or NAT).
#
# `vpnlearn.aws.vpc_to_vpc.Fabric` holds several VPCs and what joins them; `can_reach` walks a
# packet hop by hop.

# %%
from vpnlearn.aws.vpc_to_vpc import Fabric

fabric = Fabric(rng=rng.child("peering"))
vpc_a = fabric.add_vpc(VPC("vpc-a", "10.1.0.0/16"))
vpc_b = fabric.add_vpc(VPC("vpc-b", "10.2.0.0/16"))
vpc_c = fabric.add_vpc(VPC("vpc-c", "10.3.0.0/16"))
fabric.peer("vpc-a", "vpc-b")
fabric.peer("vpc-b", "vpc-c")
fabric.add_onprem_vpn("vpc-b", "office", ["192.168.0.0/16"])

print(fabric.can_reach("vpc-a", "vpc-b").explain())

# %% [markdown]
# A and B talk; B and C talk. Can A reach C through B? Someone adds a route in A's table sending
# C's range to the A-B peering, hoping B will forward it. And A also wants B's VPN to the office.

# %%
vpc_a.main_route_table.add("10.3.0.0/16", "pcx-vpc-a-vpc-b")
vpc_a.main_route_table.add("192.168.0.0/16", "pcx-vpc-a-vpc-b")
for dst in ("vpc-c", "192.168.1.1"):
    print(fabric.can_reach("vpc-a", dst).explain())
    print()

# %% [markdown]
# `vpnlearn.viz.topology.fabric_diagram` draws the fabric and highlights the hops `can_reach`
# walked before the packet was stopped:

# %%
from vpnlearn.viz.topology import fabric_diagram

fabric_diagram(fabric, packet=("vpc-a", "192.168.1.1"))

# %% [markdown]
# **Break it.** Peering refuses VPCs whose CIDRs overlap, even if only the non-overlapping parts
# would be used.

# %%
from vpnlearn.errors import ConfigError

fabric.add_vpc(VPC("vpc-copy", "10.1.128.0/17"))
try:
    fabric.peer("vpc-b", "vpc-copy")
    print("vpc-b <-> vpc-copy: peered (10.2.0.0/16 and 10.1.128.0/17 do not overlap)")
    fabric.peer("vpc-a", "vpc-copy")
except ConfigError as err:
    print("refused:", err)

# %% [markdown]
# ### A transit gateway is a router
# A transit gateway (TGW) is a regional router: each VPC attaches to it and sends other VPCs'
# traffic to it; the TGW's route table (filled by the attachments: each VPC attachment propagates
# its CIDR) forwards it on. Routing through it *is* transitive. It holds up to 5,000 attachments
# ([how transit gateways work](https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html),
# [quotas](https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html)).

# %%
from vpnlearn.aws.tgw import TransitGateway

hubbed = Fabric(rng=rng.child("tgw"))
for name, cidr in (("vpc-a", "10.1.0.0/16"), ("vpc-b", "10.2.0.0/16"), ("vpc-c", "10.3.0.0/16")):
    hubbed.add_vpc(VPC(name, cidr))
hubbed.add_tgw(TransitGateway("tgw-0main", rng=rng.child("tgw-router")))
for name in ("vpc-a", "vpc-b", "vpc-c"):
    hubbed.attach_to_tgw("tgw-0main", name, routes=["10.0.0.0/8"])

tgw = hubbed.tgws["tgw-0main"][0]
print("TGW route table (each VPC attachment propagates its CIDR):")
for r in tgw.routes():
    print("  ", r.describe())
print()
print(hubbed.can_reach("vpc-a", "vpc-c").explain())

# %%
fabric_diagram(hubbed, packet=("vpc-a", "vpc-c"))

# %% [markdown]
# One VGW attaches to one VPC at a time, so when one VPN connection must reach many VPCs, AWS points
# you to a transit gateway ([VPN quotas](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html)).
#
# ### A VPN between two VPCs
# The do-it-yourself way, which also works across Regions and accounts: a software VPN appliance in
# VPC *west* (its Elastic IP registered as a customer gateway) and a virtual private gateway with a
# Site-to-Site VPN connection on VPC *east*. Unlike peering or a TGW, this traffic crosses the
# Internet (encrypted), and the appliance brings back Part 1's problems. The fact sheet marks this
# recipe UNCONFIRMED as an AWS "recommended" design: it follows from how the pieces work, and the
# whitepaper lists "software VPN to AWS managed VPN" among the options
# ([VPC connectivity options](https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/welcome.html)).

# %%
cross = Fabric(rng=rng.child("vpn"))
cross.add_vpc(VPC("vpc-east", "10.1.0.0/16", region="us-east-1"))
west = cross.add_vpc(VPC("vpc-west", "10.9.0.0/16", region="eu-west-1"))
west.add_subnet("subnet-w", "10.9.1.0/24", az="eu-west-1a")
link = cross.vpn_between("vpc-east", "vpc-west", subnet="subnet-w", instance_ip="10.9.1.10")

for src, dst in (("vpc-east", "vpc-west"), ("vpc-west", "vpc-east")):
    print(cross.can_reach(src, dst).explain())

# %%
fabric_diagram(cross, packet=("vpc-west", "vpc-east"))

# %% [markdown]
# **Break it.** The appliance in the west VPC was launched from a fresh image, with its
# source/destination check back on.

# %%
appliance = cross.appliances["vpc-west"].instances[link.instance]
appliance.source_dest_check = True
print(cross.can_reach("vpc-west", "vpc-east").explain())
appliance.source_dest_check = False

# %% [markdown]
# ### The options side by side
# From `vpnlearn.aws.vpc_to_vpc.compare_options()` (the whitepaper's detailed pros and cons are
# marked UNCONFIRMED on the fact sheet; these rows are the documented rules above).

# %%
from vpnlearn.aws.vpc_to_vpc import compare_options
from vpnlearn.viz.tables import Table

cols = ("option", "transitive", "crosses_internet", "inter_region", "overlapping_cidrs",
        "single_point_of_failure")
opts = compare_options()
Table("Connecting VPCs", cols, tuple(tuple(str(o[c]) for c in cols) for o in opts),
      links=tuple(str(o["url"]) for o in opts), link_column="option")

# %% [markdown]
# ## Exercise: full mesh with peering
# Three VPCs must all reach each other, and the team wants peering (no transit gateway). They
# started with the list below. Fix `my_peerings` so that every VPC reaches every other, then run
# the check. (Each peering adds the routes on both sides.)

# %%
my_peerings = [
    ("vpc-a", "vpc-b"),
    ("vpc-b", "vpc-c"),
]

# %%
from itertools import permutations


def check_mesh(peerings: list) -> None:
    """Build the three VPCs with these peerings and ask can_reach for all six directions."""
    trial = Fabric(rng=rng.child("exercise"))
    for name, cidr in (("vpc-a", "10.1.0.0/16"), ("vpc-b", "10.2.0.0/16"), ("vpc-c", "10.3.0.0/16")):
        trial.add_vpc(VPC(name, cidr))
    try:
        for a, b in peerings:
            trial.peer(a, b)
    except ConfigError as err:
        print("A peering was refused:", err)
        return
    except (TypeError, ValueError):
        print("Each entry must be a pair of VPC ids, like ('vpc-a', 'vpc-c').")
        return
    lines, bad = [], 0
    for src, dst in permutations(("vpc-a", "vpc-b", "vpc-c"), 2):
        r = trial.can_reach(src, dst)
        if not r.reachable:
            bad += 1
            lines.append(f"{src} -> {dst}: NOT reachable: {r.reason}")
    if bad:
        lines.append(f"{6 - bad} of 6 directions work. Peering is not transitive: every pair of VPCs that "
                     "must talk needs its own peering.")
    else:
        lines.append(f"All 6 directions work with {len(peerings)} peerings. (n VPCs need n(n-1)/2 "
                     "peerings: this is why large networks use a transit gateway.)")
    print("\n".join(lines))


check_mesh(my_peerings)

# %% [markdown]
# ## Quiz
# Two short quizzes: the software appliance, then connecting VPCs.

# %%
from vpnlearn.quiz import quiz

quiz("software-appliance", n=3)

# %%
quiz("vpc-to-vpc", n=3)

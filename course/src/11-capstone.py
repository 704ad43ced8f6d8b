# %% [markdown]
# Time to put the course together. In this notebook you are the network engineer of a small company,
# and you build its whole hybrid network with the library's models: Site-to-Site VPN connections with
# their tunnel options, routing with a preference, CloudHub between the offices, a transit gateway,
# a VPC peering across Regions and Client VPN for people working from home. At each step you
# **validate** what you built, **draw** it with a packet's path, and at the end you **break** it on
# purpose (an ISP fails) to check that the design survives.
#
# ## The brief
# **Northwind Tools** has:
#
# | What | Where | Addresses |
# |---|---|---|
# | Chicago office (head office), two Internet lines: ISP A and ISP B | on premises | 172.16.0.0/16 |
# | Berlin office, one Internet line | on premises | 172.17.0.0/16 |
# | VPC **us-app** (ERP, shared by everyone) | us-east-1 | 10.10.0.0/16 |
# | VPC **eu-app** (data of EU customers) | eu-central-1 | 10.20.0.0/16 |
# | Remote staff (laptops, anywhere) | Internet | you pick a client CIDR |
#
# The requirements:
#
# 1. **R1 Secure tunnels.** Both offices reach us-app over IPsec with AWS-valid options limited to
#    strong algorithms (IKEv2, AES-GCM, elliptic-curve DH).
# 2. **R2 High availability.** No single failure (one AWS tunnel endpoint, one ISP) cuts Chicago off:
#    every connection has *both* tunnels configured, and Chicago has a second connection over ISP B.
# 3. **R3 Routing preference.** Traffic from AWS to Chicago uses ISP A while it is up; ISP B is only
#    the backup.
# 4. **R4 Office to office.** Chicago and Berlin talk to each other through AWS (no private WAN).
# 5. **R5 Berlin reaches eu-app** over its own VPN in eu-central-1, using both tunnels at once.
# 6. **R6 us-app and eu-app** talk privately (not over the Internet).
# 7. **R7 Remote staff** reach us-app; only the IT group reaches the Chicago office; Internet
#    traffic of laptops does not go through AWS.
#
# The design we build (you check it as we go):
#
# - us-east-1: a **virtual private gateway** (VGW) on us-app with three BGP connections (Chicago A,
#   Chicago B, Berlin). The VGW doubles as a **CloudHub** for R4.
# - eu-central-1: a **transit gateway** (TGW) with eu-app attached and a BGP VPN from Berlin (ECMP, R5).
# - an inter-Region **VPC peering** us-app <-> eu-app (R6).
# - a **Client VPN** endpoint in us-app with split tunnel (R7).

# %%
from vpnlearn.course import setup

rng = setup("11-capstone")

# %% [markdown]
# ## 1. The Site-to-Site VPN connections (R1, R2)
# Each office router is described to AWS by a **customer gateway** (CGW): its public IP and its BGP
# ASN ([customer gateway options](https://docs.aws.amazon.com/vpn/latest/s2svpn/cgw-options.html)).
# Chicago has two routers, one per ISP; Berlin has one. CloudHub (section 3) asks for a **unique BGP
# ASN for each customer gateway**, so the three get 65010 (Chicago A), 65011 (Chicago B) and 65020.
# Every connection gets the same strong tunnel options, and `two_tunnel_connection` fills in both
# tunnels (inside CIDR, AWS outside IP, Availability Zone).

# %%
from vpnlearn.aws.site_to_site import (
    CustomerGateway,
    Inventory,
    VirtualPrivateGateway,
    two_tunnel_connection,
    validate,
    validate_customer_gateway,
)

STRONG = dict(
    phase1_encryption_algorithms=("AES256-GCM-16",),
    phase2_encryption_algorithms=("AES256-GCM-16",),
    phase1_integrity_algorithms=("SHA2-384",),
    phase2_integrity_algorithms=("SHA2-384",),
    phase1_dh_group_numbers=(20,),
    phase2_dh_group_numbers=(20,),
    ike_versions=("ikev2",),
)

cgw_chi_a = CustomerGateway("cgw-chicago-a", bgp_asn=65010, ip_address="198.51.100.10",
                            device_name="chi-edge-a")
cgw_chi_b = CustomerGateway("cgw-chicago-b", bgp_asn=65011, ip_address="192.0.2.10",
                            device_name="chi-edge-b")
cgw_ber = CustomerGateway("cgw-berlin", bgp_asn=65020, ip_address="203.0.113.20",
                          device_name="ber-edge")
vgw = VirtualPrivateGateway("vgw-0us", vpc="vpc-0us")          # Amazon-side ASN 64512

vpn_chi_a = two_tunnel_connection("vpn-chicago", cgw_chi_a, vpn_gateway=vgw,
                                  inside_cidrs=("169.254.10.0/30", "169.254.11.0/30"),
                                  outside_ips=("198.51.100.101", "198.51.100.102"), **STRONG)
vpn_chi_b = two_tunnel_connection("vpn-chicago-b", cgw_chi_b, vpn_gateway=vgw,
                                  inside_cidrs=("169.254.12.0/30", "169.254.13.0/30"),
                                  outside_ips=("198.51.100.103", "198.51.100.104"), **STRONG)
vpn_ber = two_tunnel_connection("vpn-berlin", cgw_ber, vpn_gateway=vgw,
                                inside_cidrs=("169.254.14.0/30", "169.254.15.0/30"),
                                outside_ips=("198.51.100.105", "198.51.100.106"), **STRONG)
us_inventory = Inventory([vpn_chi_a, vpn_chi_b, vpn_ber], region="us-east-1")
for c in us_inventory.vpn_connections:
    print(f"{c.id:<14} {c.routing} routing, CGW {c.customer_gateway_id:<14} "
          f"tunnels {[str(t.options.tunnel_inside_cidr) for t in c.tunnels]}")

# %% [markdown]
# `validate` checks every documented AWS rule (ASNs, inside CIDRs, pre-shared keys, lifetimes,
# algorithms, both tunnels configured ...) over the whole inventory and returns all **findings**.
# `findings_table` draws them, errors first, each linked to the AWS page of its rule.

# %%
from vpnlearn.viz.tables import findings_table

findings_table(validate(us_inventory), title="us-east-1: three connections on vgw-0us")

# %% [markdown]
# No errors and no warnings: the algorithm lists hold only strong choices, so none of the
# "weak but allowed" warnings of notebook 06 appear.
#
# **Break it.** A colleague copies Berlin's connection and makes three "small" edits: tunnel 2 reuses
# tunnel 1's inside CIDR, the Phase 2 lifetime is raised to 8 hours "to rekey less", and the device
# was only configured with tunnel 1. The validator finds all three at once.

# %%
from dataclasses import replace

t1, t2 = vpn_ber.tunnels
sloppy = replace(vpn_ber, tunnels=[
    replace(t1, options=replace(t1.options, phase2_lifetime_seconds=28800)),
    replace(t2, options=replace(t2.options, tunnel_inside_cidr=t1.options.tunnel_inside_cidr),
            configured_on_device=False),
])
findings_table(validate(Inventory([sloppy], region="us-east-1")), title="The colleague's copy of vpn-berlin")

# %% [markdown]
# ## 2. Routing on the virtual private gateway (R3, R4)
# Now the routing side. `vpnlearn.aws.routing.VgwRouter` is the VGW's route selection; a
# `CloudHub` (from `vpnlearn.aws.cloudhub`) wraps one and adds a site per office, each advertising
# its prefix by BGP on both tunnels. Redundant devices at the *same* site should advertise the *same*
# ranges ([your customer gateway](https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)), so
# Chicago's second router advertises 172.16.0.0/16 too. The library's `CloudHub` has one connection
# per site (and refuses two sites with overlapping prefixes), so we add the backup connection to the
# hub's VGW directly. Its router puts its ASN 65011 in the AS_PATH three times (**prepending**), so
# its path is longer.
#
# Why prepending works: for the same prefix a VGW prefers Direct Connect, then static VPN routes,
# then BGP VPN routes, and among BGP routes the **shortest AS_PATH**, then the lowest MED
# ([route priority](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority)).
# AWS names AS-path prepending (with Local Preference) as the way to prefer one path when a device
# cannot route asymmetrically ([VPN routing](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html)).

# %%
from vpnlearn.aws.cloudhub import CloudHub
from vpnlearn.aws.network import VPC

vpc_us = VPC("vpc-0us", "10.10.0.0/16", name="us-app", region="us-east-1")
rtb_us = vpc_us.add_route_table("rtb-us-private")
vpc_us.add_subnet("subnet-us-a", "10.10.1.0/24", az="us-east-1a", route_table=rtb_us)
vpc_us.add_subnet("subnet-us-b", "10.10.2.0/24", az="us-east-1b", route_table=rtb_us)

hub = CloudHub(vgw_id="vgw-0us", asn=64512, vpc=vpc_us, rng=rng.child("vgw"))
hub.add_site("chicago", asn=65010, prefixes=["172.16.0.0/16"])     # connection vpn-chicago
hub.add_site("berlin", asn=65020, prefixes=["172.17.0.0/16"])      # connection vpn-berlin
router = hub.vgw

PREPEND = 3
router.add_vpn_connection("vpn-chicago-b", routing="bgp", cgw_asn=65011)
for tunnel in ("tunnel1", "tunnel2"):
    router.set_tunnel_state("vpn-chicago-b", tunnel, "UP")
    router.advertise("vpn-chicago-b", tunnel, "172.16.0.0/16", as_path=(65011,) * PREPEND)

result = router.enable_propagation(rtb_us)     # EnableVgwRoutePropagation on the subnets' table
for route in rtb_us.routes:
    print(route.describe())

# %% [markdown]
# The route table got one propagated route per office prefix, pointing at the VGW. Which
# connection the VGW then uses is its own decision, and `select` prints each step with its rule:

# %%
print(router.select("172.16.1.10").explain())

# %% [markdown]
# What to notice: step 2 drops ISP B's paths (AS_PATH of 3 ASes against 1). Step 3 is a fact worth
# remembering: a VGW uses **one** egress tunnel for equal paths, across all its VPN connections, and
# you cannot choose which one
# ([VPN routing](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html)).
#
# ## 3. Draw it, with a packet
# `site_to_site_diagram` draws the VPC, its route table, the VGW, every tunnel (inside CIDR, AWS
# outside IP, UP/DOWN) and the customer gateways. The numbered blue path is a packet from a server in
# us-app to a Chicago host, as the route table lookup and the VGW's `select` decided it.

# %%
from vpnlearn.viz.topology import site_to_site_diagram

US_CONNECTIONS = [vpn_chi_a, vpn_chi_b, vpn_ber]
US_CGWS = [cgw_chi_a, cgw_chi_b, cgw_ber]
site_to_site_diagram(vpc_us, router, connections=US_CONNECTIONS, customer_gateways=US_CGWS,
                     packet=("10.10.1.5", "172.16.1.10"), title="Northwind us-east-1: us-app and its offices")

# %% [markdown]
# ### Office to office through CloudHub (R4)
# With CloudHub the VGW re-advertises each site's prefixes to every other site, with its own ASN in
# front ([CloudHub](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html)). Berlin learns
# Chicago's prefix with AS_PATH `64512 65010`. Its packet enters the hub and leaves by the same
# selection as above:

# %%
from vpnlearn.viz.topology import cloudhub_diagram

print(hub.path("berlin", "172.16.1.10").explain().splitlines()[-1] + "\n")
cloudhub_diagram(hub, packet=("berlin", "172.16.1.10"), title="CloudHub: Berlin -> Chicago")

# %% [markdown]
# The CloudHub picture draws the hub's *sites*. ISP B's connection was added to the VGW by hand, not as
# a site, so it is not drawn here; the Site-to-Site picture above shows all three connections.
#
# **Break it.** CloudHub needs a **unique ASN per customer gateway**. Suppose Berlin's router had
# been set up with Chicago's ASN 65010. Built with `strict=False`, the hub accepts the mistake and
# shows what happens: Berlin drops every route whose AS_PATH already holds "its" ASN (BGP loop
# prevention, RFC 4271 §9.1.2), so it has no route to Chicago at all.

# %%
twin = CloudHub(vgw_id="vgw-0twin", asn=64512, strict=False, rng=rng.child("twin"))
twin.add_site("chicago", asn=65010, prefixes=["172.16.0.0/16"])
twin.add_site("berlin", asn=65010, prefixes=["172.17.0.0/16"])
print("problem:", twin.problems[0])
print(twin.path("berlin", "172.16.1.10").explain())

# %% [markdown]
# ## 4. Failover: does the design survive? (R2, R3)
# Two kinds of failure, two mechanisms.
#
# **One AWS endpoint is updated.** `vpnlearn.aws.failover.simulate` steps the `vpn-chicago`
# connection through time (seconds we pass in, no clock) while the path to tunnel 1 is cut for an
# endpoint update. During AWS's tunnel updates, AWS lowers the MED on the other tunnel so BGP moves
# traffic there ([tunnel updates](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#routing-vpn-tunnel-updates)).

# %%
from vpnlearn.aws.failover import Outage, simulate

update = [Outage(tunnel=1, start=100, end=400, reason="AWS endpoint update", maintenance=True)]
timeline = simulate(vpn_chi_a, duration=600, outages=update, rng=rng.child("failover"), preferred_tunnel=1)
for event in timeline.events:
    if event.t > 0:
        print(f"t={event.t:>4g}s tunnel {event.tunnel}  {event.kind:<17} {event.detail}")
print(f"AWS -> Chicago traffic lost: {timeline.lost_seconds:g} s")

# %% [markdown]
# **Try it.** Set `maintenance=False` in the `Outage` above (a plain path failure, not an announced
# update) and run the cell again: now AWS only notices when DPD (30 s) or the BGP hold timer fires,
# and the seconds in between are lost.
#
# **ISP A fails.** Both tunnels of `vpn-chicago` share ISP A, so both go. One connection alone cannot
# survive that:

# %%
isp_a_down = [Outage(tunnel=n, start=100, reason="ISP A down") for n in (1, 2)]
alone = simulate(vpn_chi_a, duration=600, outages=isp_a_down, rng=rng.child("failover"), preferred_tunnel=1)
print(alone.of_kind("traffic")[-1].detail)
print(f"vpn-chicago alone: AWS -> Chicago traffic lost for {alone.lost_seconds:g} of 600 s")

# %% [markdown]
# The simulation shows that `vpn-chicago` has no route left after DPD clears both tunnels (t=130 s).
# Now tell the VGW the same thing: both tunnels DOWN. Their BGP routes go with them, the backup's
# longer AS_PATH is the only one left, and the same packet takes ISP B.

# %%
for tunnel in ("tunnel1", "tunnel2"):
    router.set_tunnel_state("vpn-chicago", tunnel, "DOWN")
print(router.select("172.16.1.10").explain().splitlines()[-1] + "\n")
site_to_site_diagram(vpc_us, router, connections=US_CONNECTIONS, customer_gateways=US_CGWS,
                     packet=("10.10.1.5", "172.16.1.10"), title="ISP A is down: the packet takes ISP B")

# %% [markdown]
# When ISP A comes back, the tunnels come UP, the BGP sessions inside them start again and Chicago A
# advertises its prefix again; its shorter AS_PATH wins again (R3):

# %%
for tunnel in ("tunnel1", "tunnel2"):
    router.set_tunnel_state("vpn-chicago", tunnel, "UP")
    router.advertise("vpn-chicago", tunnel, "172.16.0.0/16", as_path=(65010,))
print(router.select("172.16.1.10").explain().splitlines()[-1])

# %% [markdown]
# ## 5. Berlin and eu-app: a transit gateway with ECMP (R5)
# A VGW attaches to one VPC, so eu-app in eu-central-1 needs its own gateway. We use a **transit
# gateway** there: a regional router that VPCs and VPN connections attach to, which evaluates its own
# route table ([how transit gateways work](https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html)).
# Unlike a VGW, a TGW can spread traffic over both tunnels at once with **ECMP**, but only with BGP
# (dynamic) routing ([VPN quotas](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html)).
#
# First the connection itself, validated like the others. Customer gateways are counted and created
# per Region ([VPN quotas](https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html)), so
# Berlin's router gets a second CGW resource in eu-central-1.

# %%
from vpnlearn.aws.site_to_site import TransitGateway as TgwResource

cgw_ber_eu = CustomerGateway("cgw-berlin-eu", bgp_asn=65020, ip_address="203.0.113.20",
                             device_name="ber-edge")
tgw_eu = TgwResource("tgw-0eu")
vpn_ber_eu = two_tunnel_connection("vpn-berlin-eu", cgw_ber_eu, transit_gateway=tgw_eu,
                                   inside_cidrs=("169.254.20.0/30", "169.254.21.0/30"),
                                   outside_ips=("198.51.100.201", "198.51.100.202"),
                                   azs=("eu-central-1a", "eu-central-1b"),
                                   **STRONG)
tgw_eu.attach_vpn(vpn_ber_eu)
eu_findings = validate(Inventory([vpn_ber_eu], region="eu-central-1"))
print(f"eu-central-1: {len(eu_findings)} finding(s)")

# %% [markdown]
# Then the routing: `vpnlearn.aws.tgw.TransitGateway` holds the TGW's route table. eu-app's CIDR
# propagates from its VPC attachment; Berlin's prefix comes by BGP on both tunnels.

# %%
from vpnlearn.aws.tgw import TransitGateway
from vpnlearn.viz.topology import transit_gateway_diagram

vpc_eu = VPC("vpc-0eu", "10.20.0.0/16", name="eu-app", region="eu-central-1")
vpc_eu.add_subnet("subnet-eu-a", "10.20.1.0/24", az="eu-central-1a")
tgw = TransitGateway("tgw-0eu", rng=rng.child("tgw"))
tgw.attach_vpc(vpc_eu)
tgw.attach_vpn("tgw-attach-berlin", routing="bgp", cgw_asn=65020)
for tunnel in ("tunnel1", "tunnel2"):
    tgw.set_tunnel_state("tgw-attach-berlin", tunnel, "UP")
    tgw.advertise("tgw-attach-berlin", tunnel, "172.17.0.0/16")
print(tgw.lookup("172.17.1.10").explain() + "\n")
transit_gateway_diagram(tgw, destination="172.17.1.10", title="eu-central-1: tgw-0eu toward Berlin")

# %% [markdown]
# **Try it.** Make the Berlin attachment static: in the cell above use `routing="static"`, delete the
# `tgw.advertise(...)` line and add `tgw.add_static_route("172.17.0.0/16", "tgw-attach-berlin")` after
# the loop. The lookup no longer spreads over two tunnels: ECMP needs BGP.
#
# ## 6. us-app <-> eu-app: VPC peering across Regions (R6)
# An inter-Region **VPC peering** joins the two VPCs privately, over AWS's network (MTU 1500). Two
# rules shape every design: peering is **not transitive**, and there is **no edge-to-edge routing**:
# a VPC cannot use its peer's VPN connection
# ([peering basics](https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html)).
# `vpnlearn.aws.vpc_to_vpc.Fabric` walks packets across VPCs; here it gets its own copies of the two
# VPCs with the VPN to Chicago on us-app.

# %%
from vpnlearn.aws.vpc_to_vpc import Fabric
from vpnlearn.viz.topology import fabric_diagram

fabric = Fabric(rng=rng.child("fabric"))
fabric.add_vpc(VPC("vpc-0us", "10.10.0.0/16", name="us-app", region="us-east-1"))
eu_copy = fabric.add_vpc(VPC("vpc-0eu", "10.20.0.0/16", name="eu-app", region="eu-central-1"))
pcx = fabric.peer("vpc-0us", "vpc-0eu")
fabric.add_onprem_vpn("vpc-0us", "chicago", ["172.16.0.0/16"])
print(f"{pcx.id}: inter-Region {pcx.inter_region}, MTU {pcx.mtu}\n"
      + fabric.can_reach("vpc-0us", "vpc-0eu").explain() + "\n")
fabric_diagram(fabric, packet=("vpc-0us", "vpc-0eu"), title="us-app <-> eu-app over inter-Region peering")

# %% [markdown]
# **Break it.** Someone wants eu-app servers to reach Chicago "through the peering and us-app's VPN"
# and adds a route for 172.16.0.0/16 to the peering in eu-app's table. The route is accepted, the
# packet is not:

# %%
eu_copy.main_route_table.add("172.16.0.0/16", pcx.id)
print(fabric.can_reach("vpc-0eu", "172.16.1.10").explain())

# %% [markdown]
# That is why the brief gives Berlin its own VPN in eu-central-1 (R5), and why eu-app is not asked to
# reach Chicago. (If it were, a transit gateway in each Region with a TGW peering would do it; the
# library does not model TGW peering.)
#
# ## 7. Remote staff: Client VPN (R7)
# A **Client VPN** endpoint in us-app, associated with a subnet in each of two Availability Zones
# (each associated subnet must be in a different AZ, and AWS recommends at least two for redundancy:
# [target networks](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-target.html)),
# with **split tunnel** on: laptops get only the endpoint's routes, and their Internet traffic stays
# local ([split tunnel](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/split-tunnel-vpn.html)).
# Users sign in through the company's SAML identity provider, so rules can name groups
# ([authorization rules](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-rules.html)).
#
# A route to Chicago's prefix through the associated subnets sends IT's traffic on into the VPC; from
# there the subnets' route table (with the propagated route to the VGW from section 2) takes it to
# Chicago. The endpoint translates the laptop's source address to the address of its network
# interface in the subnet ([how Client VPN works](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/what-is.html)),
# so Chicago answers to an address inside 10.10.0.0/16, which it already routes back through the VPN.

# %%
from vpnlearn.aws.clientvpn import AuthenticationOption, ClientVpnEndpoint
from vpnlearn.viz.topology import client_vpn_diagram

CA_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/ca-0001"
SERVER_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/server-0001"
SAML = "arn:aws:iam::111122223333:saml-provider/NorthwindIdP"
AUTH = (AuthenticationOption("federated-authentication", SAML),)


def make_endpoint(client_cidr: str) -> ClientVpnEndpoint:
    """Northwind's endpoint in us-app with ``client_cidr``: two AZs, split tunnel, R7's routes and rules."""
    ep = ClientVpnEndpoint.for_vpc(vpc_us, client_cidr, server_certificate_arn=SERVER_ARN,
                                   authentication=AUTH, split_tunnel=True)
    for subnet in ("subnet-us-a", "subnet-us-b"):
        ep.associate(vpc_us.subnets[subnet])
        ep.add_route("172.16.0.0/16", subnet, "Chicago, via the VPC's VGW")
    ep.authorize_ingress("10.10.0.0/16", all_users=True)
    ep.authorize_ingress("172.16.0.0/16", group="it")
    return ep


endpoint = make_endpoint("10.250.0.0/22")
print(f"pushed to laptops: {endpoint.pushed_routes()}")
for groups, ip in ((["sales"], "10.10.1.5"), (["sales"], "172.16.1.10"), (["it"], "172.16.1.10")):
    decision = endpoint.access(groups, ip)
    print(f"{groups[0]:<5} -> {ip:<11} {'REACHES' if decision.reaches else 'stopped'}: {decision.reason}")
findings_table(endpoint.validate(), title="Client VPN endpoint in us-app")

# %%
client_vpn_diagram(endpoint, access=(["it"], "172.16.1.10"))

# %% [markdown]
# ## 8. Exercise: review a design
# A consultant proposes changes to four values of the design. Some are wrong. Fix the values below
# until the check passes; the check builds each piece with the library and reports what its rules or
# decisions say. Hints: look back at sections 2, 3 (CloudHub), 4 and 7.

# %%
MY_DESIGN = {
    "berlin_asn": 65010,               # BGP ASN of Berlin's router (CloudHub site)
    "backup_prepends": 1,              # how many times ISP B's router puts its ASN 65011 in its AS_PATH
    "dpd_timeout_seconds": 10,         # DPD timeout of every tunnel
    "client_cidr": "172.16.0.0/22",    # Client VPN client CIDR
}

# %%
from vpnlearn.aws.routing import ROUTING_RULES
from vpnlearn.errors import ConfigError


def check_design(design: dict) -> None:
    """Build each part of ``design`` with the library and say which requirement holds, and why not."""
    good = 0
    try:
        berlin_asn = int(design["berlin_asn"])
        prepends = int(design["backup_prepends"])
        dpd = int(design["dpd_timeout_seconds"])
        client_cidr = str(design["client_cidr"])
    except (KeyError, TypeError, ValueError) as err:
        print(f"MY_DESIGN needs the four keys with numbers / a CIDR string: {err!r}")
        return
    # R4: Berlin's customer gateway, then CloudHub with it (built leniently: mistakes show as problems).
    trial = CloudHub(vgw_id="vgw-0trial", asn=64512, strict=False, rng=rng.child("exercise"))
    try:
        cgw = CustomerGateway("cgw-berlin", bgp_asn=berlin_asn, ip_address="203.0.113.20")
        cgw_findings = validate_customer_gateway(cgw, "CustomerGateways[0]", region="us-east-1")
        if cgw_findings:
            raise ConfigError(f"customer gateway: {cgw_findings[0].message} [{cgw_findings[0].rule_id}]")
        if berlin_asn == cgw_chi_b.bgp_asn:
            rule = ROUTING_RULES["CLOUDHUB-UNIQUE-ASN"]
            raise ConfigError(f"Chicago's backup router already uses ASN {berlin_asn}; CloudHub needs a "
                              f"unique BGP ASN for each customer gateway ({rule.url})")
        trial.add_site("chicago", asn=65010, prefixes=["172.16.0.0/16"])
        trial.add_site("berlin", asn=berlin_asn, prefixes=["172.17.0.0/16"])
        trip = trial.path("berlin", "172.16.1.10")
        r4 = trip.delivered and not trial.problems
        why = trial.problems[0] if trial.problems else trip.explain().splitlines()[-1]
    except ConfigError as err:
        r4, why = False, str(err)
    print(("OK      " if r4 else "NOT YET ") + f"R4 Berlin <-> Chicago: {why}")
    good += r4
    # R3: the backup's AS_PATH against the primary's, as the VGW compares them.
    vgw_trial = CloudHub(vgw_id="vgw-0trial", asn=64512, rng=rng.child("exercise")).vgw
    try:
        if prepends < 1:
            raise ConfigError("backup_prepends: a BGP router puts its own ASN in the AS_PATH at least once")
        for conn, asn, path in (("vpn-chicago", 65010, (65010,)),
                                ("vpn-chicago-b", 65011, (65011,) * prepends)):
            vgw_trial.add_vpn_connection(conn, routing="bgp", cgw_asn=asn)
            for tunnel in ("tunnel1", "tunnel2"):
                vgw_trial.set_tunnel_state(conn, tunnel, "UP")
                vgw_trial.advertise(conn, tunnel, "172.16.0.0/16", as_path=path)
        choice = vgw_trial.select("172.16.1.10")
        by_as_path = [s for s in choice.steps if s.rule_id == "VGW-PATH-ASPATH"]
        r3 = bool(by_as_path) and choice.path.connection == "vpn-chicago"
        if r3:
            why = f"{by_as_path[0].text}: ISP B's paths are eliminated; AWS uses {choice.path.describe()}"
        else:
            why = ("both AS_PATHs are one AS long, so AWS may pick any of the four tunnels (here "
                   f"{choice.path.connection}/{choice.path.tunnel}); ISP B's AS_PATH must be longer")
    except ConfigError as err:
        r3, why = False, str(err)
    print(("OK      " if r3 else "NOT YET ") + f"R3 prefer ISP A: {why}")
    good += r3
    # R1/R2: the tunnel options AWS accepts.
    try:
        conn = two_tunnel_connection("vpn-chicago", cgw_chi_a, vpn_gateway=vgw, dpd_timeout_seconds=dpd,
                                     **STRONG)
        errs = [f for f in validate(Inventory([conn], region="us-east-1")) if f.severity == "error"]
        why = "; ".join(f"{f.path.rsplit('.', 1)[-1]}: {f.message}" for f in errs[:1]) or "AWS accepts it"
        r1 = not errs
    except ConfigError as err:
        r1, why = False, str(err)
    print(("OK      " if r1 else "NOT YET ") + f"R1 tunnel options (DPD {dpd} s): {why}")
    good += r1
    # R7: the Client VPN endpoint with this client CIDR.
    try:
        errs = [f for f in make_endpoint(client_cidr).validate() if f.severity == "error"]
        r7 = not errs
        why = "; ".join(list(dict.fromkeys(f"{f.path}: {f.message}" for f in errs))[:3]) or "no errors"
    except ConfigError as err:
        r7, why = False, str(err)
    print(("OK      " if r7 else "NOT YET ") + f"R7 client CIDR {client_cidr}: {why}")
    good += r7
    print(f"\n{good} of 4 hold." + (" The design is ready for review. Well done." if good == 4 else ""))


check_design(MY_DESIGN)

# %% [markdown]
# ## What you built
# Every requirement maps to a piece of library code you ran and a check it passed:
#
# | Requirement | How | Checked by |
# |---|---|---|
# | R1 secure tunnels | strong `TunnelOptions`, IKEv2 only | `validate` findings |
# | R2 high availability | two tunnels each, 2nd Chicago connection | `simulate`, `VgwRouter` (tunnels DOWN) |
# | R3 prefer ISP A | AS_PATH prepending on ISP B | `VgwRouter.select` steps |
# | R4 office to office | CloudHub on the VGW, unique ASNs | `CloudHub.path` |
# | R5 Berlin <-> eu-app | TGW, BGP, ECMP | `tgw.TransitGateway.lookup` |
# | R6 us-app <-> eu-app | inter-Region peering | `Fabric.can_reach` |
# | R7 remote staff | Client VPN, split tunnel, group rules | `ClientVpnEndpoint.access`, `validate` |
#
# ## Quiz
# The capstone bank mixes every topic of the course. `quiz("capstone", n=10)` alone would give one
# question from each of the first ten topics. The ten below are picked from the same bank to match
# what you just designed: tunnels and lifetimes, the VGW's path choice, CloudHub, ECMP, peering,
# Client VPN, and how a peer notices the other is gone. For another mix, try
# `quiz("capstone", n=22, seed=1)`.

# %%
from vpnlearn.quiz import quiz

quiz("capstone", n=10, ids=["s2s-two-tunnels", "sa-aws-phase2-equals-phase1", "route-as-path",
                            "route-vgw-one-tunnel", "hub-redundant-same-site", "hub-same-asn", "route-ecmp",
                            "v2v-edge-to-edge", "cvpn-client-cidr-overlap", "ikev2-liveness"])

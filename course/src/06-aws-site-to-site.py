# %% [markdown]
# Your office has a router with a public IP address; your servers run in a VPC. An **AWS
# Site-to-Site VPN connection** joins them with IPsec over the Internet. It has three parts
# ([how it works](https://docs.aws.amazon.com/vpn/latest/s2svpn/how_it_works.html)):
#
# - a **target gateway** on the AWS side: a *virtual private gateway* (VGW), the VPN concentrator
#   of one VPC, or a *transit gateway* (TGW), a regional router many VPCs attach to;
# - a **customer gateway** (CGW): the AWS resource that *describes* your device (its public IP and
#   BGP ASN);
# - the **VPN connection** itself, which always has **two tunnels**, each ending on a different AWS
#   endpoint, for redundancy ([tunnels](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)).
#
# Each tunnel is an IKE SA plus an IPsec (ESP) SA pair, exactly as in notebooks 03-05. This notebook
# uses `vpnlearn.aws`: objects that mirror the EC2 API, a validator that knows AWS's documented rules,
# a failover simulator and a strongSwan configuration generator.

# %%
from vpnlearn.course import setup

rng = setup("06-aws-site-to-site")

# %% [markdown]
# ## 1. Model a connection on a virtual private gateway
# `two_tunnel_connection` builds a `VpnConnection` whose two tunnels have their inside CIDRs, AWS
# outside IPs and Availability Zones filled in. Every tunnel option not given keeps **AWS's default**.

# %%
from vpnlearn.aws.site_to_site import (
    CustomerGateway,
    Inventory,
    VirtualPrivateGateway,
    two_tunnel_connection,
    validate,
)

cgw = CustomerGateway("cgw-0branch", bgp_asn=64512, ip_address="198.51.100.27",
                      device_name="branch-strongswan")
vgw = VirtualPrivateGateway("vgw-0prod", vpc="vpc-0prod")      # Amazon-side ASN: 64512 by default
AWS_IPS = ("203.0.113.11", "203.0.113.202")
vpn = two_tunnel_connection("vpn-0branch", cgw, vpn_gateway=vgw, outside_ips=AWS_IPS)

print(f"{vpn.id}: {vpn.routing} routing, target {vpn.vpn_gateway_id}, CGW {vpn.customer_gateway_id}")
for i, t in enumerate(vpn.tunnels, 1):
    print(f"  tunnel {i}: AWS {t.outside_ip_address} in {t.availability_zone}, "
          f"inside {t.options.tunnel_inside_cidr}")

# %% [markdown]
# Constructing these objects checks only that the values can be *read* (an IP parses, an algorithm
# name is known). Whether AWS accepts them is a separate question: `validate` checks every documented
# rule at once and returns **findings**, each with the JSON path of the field (as in
# `describe-vpn-connections`), the rule id and the AWS page the rule comes from.
#
# **Break it.** The connection above has a mistake. The picture is `vpnlearn.viz.tables.findings_table`:
# errors first (AWS refuses them, or the connection cannot work), then warnings (accepted, but weak).

# %%
from vpnlearn.viz.tables import findings_table

findings = validate(Inventory([vpn]))
findings_table([f for f in findings if f.severity == "error"], title="Errors in vpn-0branch")

# %% [markdown]
# The customer gateway uses ASN 64512, the same as the VGW's Amazon-side ASN. With BGP the two ends
# must be different autonomous systems
# ([setting up a connection](https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html)).
# A private ASN such as 65010 fixes it. Beware of defaults here, AWS's own pages disagree: the API
# says a new customer gateway gets ASN 65000
# ([CreateCustomerGateway](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateCustomerGateway.html)),
# the live [customer gateway options](https://docs.aws.amazon.com/vpn/latest/s2svpn/cgw-options.html)
# page says 64512, which would collide with a default VGW. vpnlearn uses 65000 and records both
# (rule `CGW-ASN-RANGE`).

# %%
cgw.bgp_asn = 65010
print([f.rule_id for f in validate(Inventory([vpn])) if f.severity == "error"] or "no errors")

# %% [markdown]
# ## 2. Tunnel options: AWS's defaults and their rules
# No errors now, but look at the warnings. AWS's defaults *allow* every algorithm it supports,
# including weak ones (SHA-1, DH group 2, IKEv1), so that any device can connect.

# %%
for f in validate(Inventory([vpn])):
    if f.path.startswith("VpnConnections[0].Options.TunnelOptions[0]"):
        print(f"{f.rule_id:<20} {f.path.rsplit('.', 1)[1]:<26} {f.value}")

# %% [markdown]
# The validator reads its limits from ONE table, `vpnlearn.aws.rules.RULES`: each row has the API
# field, what is allowed, AWS's default, a severity and a link to the AWS page (click a rule id).
# Here are the rules for one tunnel: a long reference table, so it starts closed (click its title).

# %%
from vpnlearn.viz.tables import rules_table

rules_table("tunnel").fold()

# %% [markdown]
# What to notice: Phase 1 (IKE SA) lifetime 900-28,800 s (default 28,800); Phase 2 (IPsec SA)
# 900-3,600 s (default 3,600) and *shorter* than Phase 1; rekey margin at most half the Phase 2
# lifetime; DPD timeout at least 30 s. Drift on the fact sheet: the DPD timeout default is 30 s on
# create ([VpnTunnelOptionsSpecification](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html)),
# while the text for modifying a tunnel mentions 40; vpnlearn uses 30.
#
# **Try it.** A connection limited to strong choices: AES-GCM, SHA-2, DH groups 19-21 (elliptic
# curves) and IKEv2 only. `two_tunnel_connection` passes these options to both tunnels. Change one
# value (say, add `"SHA1"` back) and run again.

# %%
STRONG = dict(
    phase1_encryption_algorithms=("AES256-GCM-16", "AES128-GCM-16"),
    phase2_encryption_algorithms=("AES256-GCM-16", "AES128-GCM-16"),
    phase1_integrity_algorithms=("SHA2-256", "SHA2-384"),
    phase2_integrity_algorithms=("SHA2-256", "SHA2-384"),
    phase1_dh_group_numbers=(19, 20, 21),
    phase2_dh_group_numbers=(19, 20, 21),
    ike_versions=("ikev2",),
)
vpn = two_tunnel_connection("vpn-0branch", cgw, vpn_gateway=vgw, outside_ips=AWS_IPS, **STRONG)
print(vpn.tunnels[0].options)
print(f"{len(validate(Inventory([vpn])))} finding(s)")

# %% [markdown]
# **Break it.** Some values break AWS's rules. A pre-shared key must be 8-64 characters of letters,
# digits, `.` and `_`, and may not start with `0`; Phase 2 must be shorter than Phase 1
# ([VpnTunnelOptionsSpecification](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html)).
# `validate_tunnel_options` reports *all* problems of one tunnel at once. (The key is never printed:
# findings show `'***'`.)

# %%
from dataclasses import replace

from vpnlearn.aws.tunnel_options import validate_tunnel_options

bad = replace(vpn.tunnels[0].options, pre_shared_key="0abc", phase1_lifetime_seconds=3600,
              rekey_margin_time_seconds=2000)
for f in validate_tunnel_options(bad, "TunnelOptions[0]"):
    print(f"{f.severity.upper():<7} {f.rule_id:<22} {f.message}")

# %% [markdown]
# ## 3. VGW or transit gateway?
# The same connection can end on a transit gateway instead. Some options exist *only* there:
# **accelerated** VPN, which enters AWS through AWS Global Accelerator
# ([accelerated VPN](https://docs.aws.amazon.com/vpn/latest/s2svpn/accelerated-vpn.html)), and
# `large` tunnels of up to 5 Gbps instead of 1.25
# ([VpnConnectionOptionsSpecification](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnectionOptionsSpecification.html)).
# And a connection has exactly one target gateway.
#
# **Break it.** Ask for acceleration on the VGW connection, then attach the same connection to a TGW.

# %%
from vpnlearn.aws.site_to_site import TransitGateway
from vpnlearn.errors import ConfigError

fast = replace(vpn, enable_acceleration=True)
for f in validate(Inventory([fast])):
    if f.severity == "error":
        print(f.rule_id, "-", f.message)

tgw = TransitGateway("tgw-0hub")
try:
    tgw.attach_vpn(vpn)
except ConfigError as err:
    print(f"refused: {err}")

# %% [markdown]
# Built for the transit gateway from the start, the accelerated connection is valid:

# %%
on_tgw = two_tunnel_connection("vpn-0fast", cgw, transit_gateway=tgw,
                               inside_cidrs=("169.254.20.0/30", "169.254.21.0/30"), **STRONG)
on_tgw.enable_acceleration = True
attachment = tgw.attach_vpn(on_tgw)
print(attachment)
print([f.rule_id for f in validate(Inventory([on_tgw])) if f.severity == "error"] or "no errors")

# %% [markdown]
# ## 4. Import what the AWS CLI prints
# `aws ec2 describe-vpn-connections` (and `describe-customer-gateways`, `describe-vpn-gateways`)
# print JSON. `vpnlearn.aws.importer.load_files` reads those files into the same objects; next to
# this notebook, `data/` holds an example export. The diagram is drawn from the imported objects by
# `vpnlearn.viz.topology.inventory_diagram`: tunnel states come from the `VgwTelemetry` in the file.

# %%
from vpnlearn.aws.importer import load_files
from vpnlearn.viz.topology import inventory_diagram

GATEWAYS = ["data/describe-customer-gateways.json", "data/describe-vpn-gateways.json"]
inv = load_files(["data/describe-vpn-connections.json", *GATEWAYS])
inventory_diagram(inv)

# %%
findings_table(validate(inv), title="Findings in the exported connection")

# %% [markdown]
# A valid configuration, but tunnel 2 is DOWN ("IPSEC IS DOWN"), so the connection has no redundancy
# right now: AWS's [resiliency](https://docs.aws.amazon.com/vpn/latest/s2svpn/disaster-recovery-resiliency.html)
# advice is to configure and keep *both* tunnels up.
#
# A colleague drafted a second connection, `data/draft-vpn-connection.json` (made by editing a copy
# of the export). Before anyone sends it to AWS, validate it.

# %%
draft = load_files(["data/draft-vpn-connection.json", *GATEWAYS])
draft_findings = validate(draft)
findings_table(draft_findings, title="Findings in the draft")

# %% [markdown]
# A finding's path counts objects across all the files read together; `Inventory.locate` turns it
# back into the file and the index inside that file:

# %%
print(draft.locate(draft_findings[0].path))

# %% [markdown]
# The same checks work in a terminal, on your own exports (run from the `notebooks` folder):
# `vpnlearn aws check data/draft-vpn-connection.json data/describe-customer-gateways.json
# data/describe-vpn-gateways.json`. `vpnlearn aws diagram` and `vpnlearn aws simulate` draw and
# simulate the same files (`--help` lists their options).

# %% [markdown]
# **Break it.** A file that is not even readable fails at import, before validation, with the file,
# line and column (JSON syntax) or the JSON path (a value that cannot be read):

# %%
import json
from pathlib import Path

from vpnlearn.aws.importer import inventory_from_json
from vpnlearn.errors import ParseError

doc = json.loads(Path("data/draft-vpn-connection.json").read_text())
doc["VpnConnections"][0]["Options"]["TunnelOptions"][0]["TunnelInsideCidr"] = "169.254.44.300/30"
try:
    inventory_from_json((doc, "draft (edited)"))
except (ConfigError, ParseError) as err:
    print(f"import failed: {err}")

# %% [markdown]
# ## Exercise: fix the draft
# All errors are in tunnel 2 (`TunnelOptions[1]`). Below are its current values. Change them so the
# draft passes validation, then run the check cell. Hints: the findings table above links each rule
# to its AWS page; tunnel 1 already uses 169.254.44.88/30; the PSK must be 8-64 characters.

# %%
TUNNEL_2 = {
    "TunnelInsideCidr": "169.254.5.0/30",
    "PreSharedKey": "0short",
    "Phase2LifetimeSeconds": 28800,
    "DpdTimeoutSeconds": 15,
    "Phase1DHGroupNumbers": [5, 14],
}

# %%
def check_draft(values: dict) -> None:
    """Put ``values`` into tunnel 2 of the draft JSON, import it and validate it with the library."""
    doc = json.loads(Path("data/draft-vpn-connection.json").read_text())
    tunnel = doc["VpnConnections"][0]["Options"]["TunnelOptions"][1]
    for key, value in values.items():
        if key.endswith("Numbers") or key.endswith("Algorithms"):
            value = [{"Value": v} for v in (value if isinstance(value, list | tuple) else [value])]
        tunnel[key] = value
    gateways = [(json.loads(Path(p).read_text()), p) for p in GATEWAYS]
    try:
        inv = inventory_from_json((doc, "your tunnel 2"), *gateways)
    except (ConfigError, ParseError) as err:
        print("Not readable yet:", err)
        return
    errors = [f for f in validate(inv) if f.severity == "error"]
    if not errors:
        print("The draft passes: no errors. Tunnel 2 is ready to be created.")
        return
    print(f"{len(errors)} error(s) left:")
    for f in errors:
        print(f"  - {f.path.rsplit('.', 1)[-1]} = {f.value!r}: {f.message} [{f.rule_id}]")


check_draft(TUNNEL_2)

# %% [markdown]
# ## 5. Failover between the two tunnels
# Why two tunnels? AWS updates its endpoints and the Internet path to one endpoint can fail.
# `vpnlearn.aws.failover.simulate` steps a connection through time (seconds are numbers we pass in;
# nothing reads a clock) while we cut the path to one endpoint (`Outage`). What it follows:
#
# - **Dead Peer Detection** (RFC 3706): AWS declares the peer dead after `DpdTimeoutSeconds`
#   without an answer, then applies `DpdTimeoutAction` (`clear` by default: end IKE, tunnel DOWN);
# - a DOWN tunnel's routes are withdrawn, so AWS moves traffic to the other tunnel;
# - which tunnel AWS prefers is its own choice: "you can't configure AWS to prefer a specific tunnel"
#   ([tunnel preference](https://repost.aws/knowledge-center/vpn-configure-tunnel-preference)). The
#   simulator draws it from the seeded `rng`, so it is the same on every run.

# First, four quiet hours with no outage (10-second steps). Watch two random things, both drawn from
# the seeded `rng`: which tunnel AWS sends on, and when each IPsec SA is rekeyed. AWS rekeys
# `RekeyMarginTimeSeconds` (270 s) before the 3,600 s lifetime ends, minus a random part of up to
# `RekeyFuzzPercentage` (100 %) of the margin
# ([tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)): somewhere
# between 3,060 s and 3,330 s after the SA was made. The two tunnels drift apart, so they do not
# rekey at the same moment. Rekeys are make-before-break: no traffic is lost.

# %%
from vpnlearn.aws.failover import Outage, simulate

quiet = simulate(vpn, duration=4 * 3600, step=10, rng=rng.child("quiet"))
print(f"AWS's preferred tunnel (seeded): tunnel {quiet.active_tunnel_at(0)}")
print("\n".join(str(e) for e in quiet.of_kind("child-rekey")))

# %% [markdown]
# Now an outage. To keep the story easy to follow we fix AWS's choice to tunnel 1
# (`preferred_tunnel=1`) and cut the Internet path to tunnel 1 from t=120 s to t=400 s.

# %%
cut = [Outage(tunnel=1, start=120, end=400, reason="the ISP path to tunnel 1 fails")]
timeline = simulate(vpn, duration=600, outages=cut, rng=rng.child("failover"), preferred_tunnel=1)
print(timeline.format() + f"\n\nAWS -> branch traffic lost for {timeline.lost_seconds:g} s")

# %% [markdown]
# What to notice: from t=120 to t=150 traffic still goes into tunnel 1 and is lost, because AWS does
# not know yet that the path is dead. Two timers can notice: DPD (30 s here) and, with BGP, the BGP
# hold timer (30 s in AWS's generic sample configuration); whichever expires first withdraws the
# routes. When the path returns, the *customer gateway* must start IKE again (`DpdTimeoutAction`
# `clear` means AWS waits for it), and traffic stays on tunnel 2.
#
# **Try it.** Set `dpd_timeout_seconds` to 60. With BGP the loss does not change: the hold timer
# still withdraws the routes after 30 s. With static routing there is no BGP session, so only DPD
# can notice, and the loss doubles. (Below 30 s is not allowed, as the rule table says.)

# %%
def with_options(conn, **changes):
    """A copy of ``conn`` whose two tunnels have ``changes`` applied to their options."""
    return replace(conn, tunnels=[replace(t, options=replace(t.options, **changes)) for t in conn.tunnels])


slow = with_options(vpn, dpd_timeout_seconds=60)
runs = [simulate(replace(slow, static_routes_only=static), duration=600, outages=cut,
                 rng=rng.child("failover"), preferred_tunnel=1) for static in (False, True)]
print("\n".join(f"DPD timeout 60 s, {run.routing:>6} routing: traffic lost for {run.lost_seconds:g} s"
                for run in runs))

# %% [markdown]
# **Break it.** Many real outages come from a customer gateway that only has tunnel 1 configured.
# Mark tunnel 2 as not configured on the device and cut tunnel 1: there is nowhere to fail over to.
# `validate` warns about this setup, and the timeline shows the cost.

# %%
single = replace(vpn, tunnels=[vpn.tunnels[0], replace(vpn.tunnels[1], configured_on_device=False)])
lonely = simulate(single, duration=600, outages=cut, rng=rng.child("failover"), preferred_tunnel=1)
for f in validate(Inventory([single])):
    print(f.severity.upper(), f.rule_id, "-", f.message)
print(f"one tunnel configured: traffic lost for {lonely.lost_seconds:g} s of 600")

# %% [markdown]
# Back to the exported connection of section 4: its telemetry says tunnel 2 is DOWN.
# `outages_from_telemetry` turns that into an outage from t=0, so we can simulate the connection as
# it stands. AWS replaces tunnel endpoints from time to time, one tunnel at a time
# ([endpoint replacements](https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html)).
# Normally that is harmless, because the other tunnel carries the traffic. Today there is no other.

# %%
from vpnlearn.aws.failover import outages_from_telemetry

exported = inv.vpn_connections[0]
now = outages_from_telemetry(exported)
update = Outage(tunnel=1, start=300, end=420, reason="AWS replaces the tunnel 1 endpoint", maintenance=True)
as_is = simulate(exported, duration=600, outages=[*now, update], rng=rng.child("exported"))
print("\n".join(str(e) for e in as_is.events if e.t >= 300 and e.kind != "bgp-up")
      + f"\n\ntraffic lost for {as_is.lost_seconds:g} s")

# %% [markdown]
# ## 6. The customer gateway's strongSwan configuration
# AWS lets you download a sample configuration for your device
# ([download the configuration](https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html#vpn-download-config)):
# one section per tunnel. `vpnlearn.aws.swanctl.swanctl_conf` writes the same for strongSwan's
# `swanctl.conf`, *from the model*: proposals from the tunnel's algorithm lists (names mapped through
# `vpnlearn.crypto.suites`), lifetimes so that the customer gateway rekeys `RekeyMarginTimeSeconds`
# before AWS's lifetime ends, one XFRM interface per tunnel (AWS tunnels are route-based), and
# placeholders for the pre-shared keys. Here is tunnel 1; tunnel 2 is the same with its own addresses.

# %%
from vpnlearn.aws.swanctl import swanctl_conf

conf = swanctl_conf(vpn)
lines = conf.splitlines()
end = next(i for i, line in enumerate(lines) if "IPsec Tunnel #2" in line)
print("\n".join(lines[:end]))
print("    ...")
print("\n".join(lines[lines.index("secrets {"):lines.index("secrets {") + 6]))

# %% [markdown]
# What to notice: `rekey_time = 28530s` is 28,800 - 270 (Phase 1 lifetime minus the rekey margin);
# the child SA has `rekey_time = 3330s` and `life_time = 3600s`; `rand_time = 270s` is the fuzz
# (100 % of the margin). `proposals` holds only the strong algorithms we chose, in strongSwan's names
# (`aes256gcm16`, `prfsha256`, `ecp256` ...). In the library's tests, this file is loaded into a real
# strongSwan `charon` in two network namespaces against a stand-in for the AWS endpoints
# (`aws_endpoint_conf`); that needs root, so it is not run here.
#
# **Break it.** Some devices only speak IKEv1. Make the tunnels IKEv1-only and generate again.
# strongSwan's IKEv1 has no AES-GCM IKE SA, and our strong list has only GCM for Phase 1, so the
# generator refuses, naming the field (the connection itself is valid for AWS, which is the point:
# the device's limits are not AWS's).

# %%
v1 = with_options(vpn, ike_versions=("ikev1",))
try:
    swanctl_conf(v1)
except ConfigError as err:
    print(f"refused: {err}")

# %% [markdown]
# **Try it.** Add `"AES256"` (AES-CBC) to Phase 1 and compare `version` and `proposals`: IKEv1
# proposals in CBC mode with a separate integrity algorithm.

# %%
v1 = with_options(vpn, ike_versions=("ikev1",), phase1_encryption_algorithms=("AES256",))
for line in swanctl_conf(v1).splitlines()[:20]:
    if line.strip().startswith(("version", "proposals")):
        print(line.strip())

# %% [markdown]
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("site-to-site", n=5)

"""AWS Site-to-Site VPN rules: ONE table, each rule with the AWS page it comes from.

Every documented constraint the validator enforces is a :class:`Rule` in :data:`RULES`: its id, the
API field it is about, what it says, the allowed values (a range, an enumeration or a relation), the
default, the AWS documentation URL, and a note where AWS's own pages disagree ("drift") or where the
fact is UNCONFIRMED. A notebook shows the table with :func:`rules_table`; the validator reads limits
from it (:func:`rule`), so the table and the checks cannot drift apart.

Where the fact sheet records drift (aws-facts.md §9) the rule says which value we chose and cites both
sources in ``note``. The choices are:

- DPD timeout default: **30** on create (UG VPNTunnels; API VpnTunnelOptionsSpecification), not the
  40 of the ModifyVpnTunnelOptionsSpecification text; minimum 30 everywhere.
- Customer gateway default ASN: **65000** (API CreateCustomerGateway, UG-2023), not the 64512 the live
  cgw-options page shows.
- Customer gateway ASN range: the current **1-4,294,967,295** (live page, API BgpAsn +
  BgpAsnExtended), not the 2023 1-2,147,483,647; private 32-bit ASNs are allowed (live), not refused
  (UG-2023).
- Singapore: 17943 is reserved for customer gateways (live cgw-options); 17493 is listed as the
  pre-2018 VGW default (UG-2023 how_it_works). Both are kept, each in its own rule; which digit order
  is right is UNCONFIRMED.
- Rekey margin: 60 <= margin <= Phase 2 lifetime / 2 (both texts agree on the constraint).
- Tunnel bandwidth: ``standard`` | ``large``; large only on a transit gateway (API).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from vpnlearn.errors import ConfigError

# Canonical pages (aws-facts.md tags in brackets).
URL_TUNNELS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html"  # [UG-2023][LIVE]
URL_TUNNEL_SPEC = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html"  # [API]
)
URL_MODIFY_TUNNEL_SPEC = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptionsSpecification.html"
)
URL_CONN_SPEC = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnectionOptionsSpecification.html"
)
URL_CREATE_CONN = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpnConnection.html"
URL_VPN_CONNECTION = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnection.html"
URL_MODIFY_CONN_OPTS = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnConnectionOptions.html"
)
URL_CGW_OPTIONS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/cgw-options.html"  # [LIVE][UG-2023]
URL_CREATE_CGW = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateCustomerGateway.html"
URL_SETUP = "https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html"
URL_HOW_IT_WORKS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/how_it_works.html"
URL_CREATE_VGW = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpnGateway.html"
URL_TGW_OPTIONS = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRequestOptions.html"
)
URL_LIMITS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html"
URL_RESILIENCY = "https://docs.aws.amazon.com/vpn/latest/s2svpn/disaster-recovery-resiliency.html"
URL_IPV6 = "https://docs.aws.amazon.com/vpn/latest/s2svpn/ipv4-ipv6.html"
URL_INITIATE = "https://docs.aws.amazon.com/vpn/latest/s2svpn/initiate-vpn-tunnels.html"
URL_ACCELERATED = "https://docs.aws.amazon.com/vpn/latest/s2svpn/accelerated-vpn.html"
URL_YOUR_CGW = "https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html"
URL_LOGS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html"
URL_CW_LOG_OPTS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CloudWatchLogOptionsSpecification.html"
URL_PRIVATE_IP = "https://docs.aws.amazon.com/vpn/latest/s2svpn/private-ip-dx.html"
URL_ROUTING_TYPES = "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html"
URL_STATIC_ROUTES = "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-edit-static-routes.html"
URL_MODIFY_CONN = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnConnection.html"
URL_ENDPOINT_REPLACEMENTS = "https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html"
URL_TGW_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html"
URL_LIFECYCLE = "https://docs.aws.amazon.com/vpn/latest/s2svpn/tunnel-endpoint-lifecycle.html"

ERROR = "error"
WARNING = "warning"

# ---- the documented values the rules below refer to -------------------------------------------

ENCRYPTION_ALGORITHMS = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY_ALGORITHMS = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)  # no 5
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)  # includes 5
IKE_VERSIONS = ("ikev1", "ikev2")
RESERVED_INSIDE_CIDRS = (
    "169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
    "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30",
)
# Customer gateway ASNs AWS reserves: ASN -> Region ("*" = all Regions). cgw-options [LIVE].
CGW_RESERVED_ASNS = {7224: "*", 9059: "eu-west-1", 10124: "ap-northeast-1", 17943: "ap-southeast-1"}
# Default Amazon-side ASN of VGWs created before 2018-06-30: Region -> ASN. how_it_works [UG-2023].
LEGACY_VGW_DEFAULT_ASNS = {"ap-southeast-1": 17493, "ap-northeast-1": 10124, "eu-west-1": 9059, "*": 7224}
AMAZON_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
PSK_ALLOWED = "alphanumerics, period (.) and underscore (_)"


@dataclass(frozen=True)
class Rule:
    """One documented AWS constraint.

    ``applies_to`` is the object it is checked on (``tunnel``, ``connection``, ``customer_gateway``,
    ``vpn_gateway``, ``transit_gateway``); ``field`` the API field name (as in the EC2 API);
    ``minimum``/``maximum`` an inclusive range, ``values`` an enumeration; ``allowed`` says it in
    words for a table. ``severity`` is what breaking it gives: ``error`` (AWS refuses it, or it cannot
    work) or ``warning`` (AWS accepts it but it is weak or risky).
    """

    id: str
    applies_to: str
    field: str
    description: str
    allowed: str
    doc_url: str
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    values: tuple = ()
    severity: str = ERROR
    note: str = ""

    def as_row(self) -> dict[str, Any]:
        """The rule as a flat dict (for a notebook table)."""
        return {
            "id": self.id, "applies_to": self.applies_to, "field": self.field,
            "description": self.description, "allowed": self.allowed,
            "default": self.default, "severity": self.severity,
            "doc_url": self.doc_url, "note": self.note,
        }


@dataclass(frozen=True)
class Finding:
    """One problem found by validation.

    ``path`` points at the offending field in the EC2 JSON shape, e.g.
    ``VpnConnections[0].Options.TunnelOptions[1].PreSharedKey``.
    """

    severity: str
    path: str
    value: Any
    rule_id: str
    message: str
    doc_url: str

    def __str__(self) -> str:
        return (f"{self.severity.upper()} {self.path} = {self.value!r}: {self.message} "
                f"[{self.rule_id}] {self.doc_url}")

    def as_row(self) -> dict[str, Any]:
        return {"severity": self.severity, "path": self.path, "value": self.value,
                "rule_id": self.rule_id, "message": self.message, "doc_url": self.doc_url}


def _r(*args: Any, **kw: Any) -> Rule:
    return Rule(*args, **kw)


_RULE_LIST: tuple[Rule, ...] = (
    # ---------------- tunnel options (aws-facts.md §1.4) ----------------
    _r("TUN-INSIDE-CIDR-V4", "tunnel", "TunnelInsideCidr",
       "The inside tunnel IPv4 CIDR is a /30 from 169.254.0.0/16.",
       "a /30 inside 169.254.0.0/16", URL_TUNNEL_SPEC, default="a /30 from 169.254.0.0/16 (AWS picks)"),
    _r("TUN-INSIDE-CIDR-V4-RESERVED", "tunnel", "TunnelInsideCidr",
       "These inside CIDRs are reserved and cannot be used.",
       ", ".join(RESERVED_INSIDE_CIDRS), URL_TUNNELS, values=RESERVED_INSIDE_CIDRS),
    _r("TUN-INSIDE-CIDR-V6", "tunnel", "TunnelInsideIpv6Cidr",
       "The inside tunnel IPv6 CIDR is a /126 from fd00::/8 (IPv6 connections only).",
       "a /126 inside fd00::/8", URL_TUNNEL_SPEC, default="a /126 from fd00::/8 (AWS picks)"),
    _r("TUN-PSK-LENGTH", "tunnel", "PreSharedKey",
       "The pre-shared key is 8 to 64 characters long.",
       "8-64 characters", URL_TUNNEL_SPEC, minimum=8, maximum=64,
       default="a 32-character alphanumeric string generated by AWS",
       note="Default from the 2023 user guide (VPNTunnels)."),
    _r("TUN-PSK-CHARS", "tunnel", "PreSharedKey",
       "The pre-shared key uses only alphanumerics, period (.) and underscore (_).",
       PSK_ALLOWED, URL_TUNNEL_SPEC),
    _r("TUN-PSK-LEADING-ZERO", "tunnel", "PreSharedKey",
       "The pre-shared key cannot start with zero (0).", "first character is not 0", URL_TUNNEL_SPEC),
    _r("TUN-P1-ENCRYPTION", "tunnel", "Phase1EncryptionAlgorithms",
       "Phase 1 (IKE) encryption algorithms AWS accepts.", ", ".join(ENCRYPTION_ALGORITHMS),
       URL_TUNNEL_SPEC, values=ENCRYPTION_ALGORITHMS, default=ENCRYPTION_ALGORITHMS),
    _r("TUN-P2-ENCRYPTION", "tunnel", "Phase2EncryptionAlgorithms",
       "Phase 2 (IPsec) encryption algorithms AWS accepts.", ", ".join(ENCRYPTION_ALGORITHMS),
       URL_TUNNEL_SPEC, values=ENCRYPTION_ALGORITHMS, default=ENCRYPTION_ALGORITHMS),
    _r("TUN-P1-INTEGRITY", "tunnel", "Phase1IntegrityAlgorithms",
       "Phase 1 (IKE) integrity algorithms AWS accepts.", ", ".join(INTEGRITY_ALGORITHMS),
       URL_TUNNEL_SPEC, values=INTEGRITY_ALGORITHMS, default=INTEGRITY_ALGORITHMS),
    _r("TUN-P2-INTEGRITY", "tunnel", "Phase2IntegrityAlgorithms",
       "Phase 2 (IPsec) integrity algorithms AWS accepts.", ", ".join(INTEGRITY_ALGORITHMS),
       URL_TUNNEL_SPEC, values=INTEGRITY_ALGORITHMS, default=INTEGRITY_ALGORITHMS),
    _r("TUN-P1-DH", "tunnel", "Phase1DHGroupNumbers",
       "Phase 1 Diffie-Hellman groups AWS accepts (group 5 is NOT allowed in Phase 1).",
       ", ".join(map(str, PHASE1_DH_GROUPS)), URL_TUNNEL_SPEC, values=PHASE1_DH_GROUPS,
       default=PHASE1_DH_GROUPS),
    _r("TUN-P2-DH", "tunnel", "Phase2DHGroupNumbers",
       "Phase 2 (PFS) Diffie-Hellman groups AWS accepts (group 5 IS allowed in Phase 2).",
       ", ".join(map(str, PHASE2_DH_GROUPS)), URL_TUNNEL_SPEC, values=PHASE2_DH_GROUPS,
       default=PHASE2_DH_GROUPS),
    _r("TUN-IKE-VERSIONS", "tunnel", "IkeVersions", "IKE versions AWS accepts.", "ikev1, ikev2",
       URL_TUNNEL_SPEC, values=IKE_VERSIONS, default=IKE_VERSIONS),
    _r("TUN-ALGORITHMS-EMPTY", "tunnel", "Phase1EncryptionAlgorithms",
       "An algorithm or version list, when given, names at least one value (omit it for all).",
       "non-empty list", URL_TUNNEL_SPEC),
    _r("TUN-P1-LIFETIME", "tunnel", "Phase1LifetimeSeconds", "Phase 1 lifetime in seconds.",
       "900-28800", URL_TUNNEL_SPEC, minimum=900, maximum=28800, default=28800),
    _r("TUN-P2-LIFETIME", "tunnel", "Phase2LifetimeSeconds", "Phase 2 lifetime in seconds.",
       "900-3600", URL_TUNNEL_SPEC, minimum=900, maximum=3600, default=3600),
    _r("TUN-P2-LESS-THAN-P1", "tunnel", "Phase2LifetimeSeconds",
       "The Phase 2 lifetime must be less than the Phase 1 lifetime.",
       "Phase2LifetimeSeconds < Phase1LifetimeSeconds", URL_TUNNEL_SPEC),
    _r("TUN-REKEY-MARGIN", "tunnel", "RekeyMarginTimeSeconds",
       "Rekey margin: AWS rekeys this many seconds before the lifetime expires; 60 to half of the "
       "Phase 2 lifetime.", "60 <= margin <= Phase2LifetimeSeconds / 2", URL_TUNNEL_SPEC,
       minimum=60, default=270,
       note="Drift (aws-facts §9): UG-2023 VPNTunnels says 'before the phase 1 and phase 2 lifetime "
            "expires', the API says 'before the phase 2 lifetime expires'; the constraint is the same. "
            "Both: " + URL_TUNNELS + " ; " + URL_TUNNEL_SPEC),
    _r("TUN-REKEY-FUZZ", "tunnel", "RekeyFuzzPercentage",
       "Percentage of the rekey window in which the rekey time is chosen at random.", "0-100",
       URL_TUNNEL_SPEC, minimum=0, maximum=100, default=100),
    _r("TUN-REPLAY-WINDOW", "tunnel", "ReplayWindowSize", "IKE replay window size in packets.",
       "64-2048", URL_TUNNEL_SPEC, minimum=64, maximum=2048, default=1024),
    _r("TUN-DPD-TIMEOUT", "tunnel", "DpdTimeoutSeconds", "Dead Peer Detection timeout in seconds.",
       ">= 30", URL_TUNNEL_SPEC, minimum=30, default=30,
       note="Drift (aws-facts §9): default 30 per UG-2023 VPNTunnels and API VpnTunnelOptionsSpecification; "
            "the ModifyVpnTunnelOptionsSpecification text says 40. We choose 30 on create, minimum 30 "
            "everywhere. Both: " + URL_TUNNEL_SPEC + " ; " + URL_MODIFY_TUNNEL_SPEC),
    _r("TUN-DPD-ACTION", "tunnel", "DpdTimeoutAction",
       "What AWS does after a DPD timeout: clear (end IKE, stop the tunnel, clear routes), none, "
       "restart (restart IKE).", "clear, none, restart", URL_TUNNEL_SPEC,
       values=("clear", "none", "restart"), default="clear"),
    _r("TUN-STARTUP-ACTION", "tunnel", "StartupAction",
       "Who starts IKE: add (the customer gateway device) or start (AWS).", "add, start",
       URL_TUNNEL_SPEC, values=("add", "start"), default="add"),
    _r("TUN-STARTUP-IKEV2", "tunnel", "StartupAction",
       "AWS-initiated IKE (StartupAction=start) is supported for IKEv2 only.",
       "start requires ikev2 in IkeVersions", URL_INITIATE),
    _r("TUN-LOG-FORMAT", "tunnel", "LogOptions.CloudWatchLogOptions.LogOutputFormat",
       "Site-to-Site VPN log output format.", "json, text", URL_CW_LOG_OPTS, values=("json", "text"),
       default="json"),
    _r("TUN-LOG-GROUP", "tunnel", "LogOptions.CloudWatchLogOptions.LogGroupArn",
       "Logging to CloudWatch needs a log group; AWS advises prefixing its name with /aws/vendedlogs/ "
       "to avoid the 5,120-character resource-policy limit.", "a log group ARN, name under /aws/vendedlogs/",
       URL_LOGS, severity=WARNING, default="logging off"),
    _r("TUN-LIFECYCLE-CONTROL", "tunnel", "EnableTunnelLifecycleControl",
       "Tunnel endpoint lifecycle control, per tunnel.", "true, false", URL_LIFECYCLE, default=False),
    _r("TUN-WEAK-DH", "tunnel", "Phase1DHGroupNumbers",
       "A weak Diffie-Hellman group that AWS still accepts (the suite table marks it weak).",
       "prefer 14+ MODP or 19-21 ECP", URL_TUNNEL_SPEC, severity=WARNING),
    _r("TUN-WEAK-INTEGRITY", "tunnel", "Phase1IntegrityAlgorithms",
       "SHA1 integrity is accepted by AWS but weak.", "prefer SHA2-256 or stronger", URL_TUNNEL_SPEC,
       severity=WARNING),
    _r("TUN-WEAK-IKEV1", "tunnel", "IkeVersions",
       "IKEv1 is accepted (main mode only) but IKEv2 is the better choice.", "prefer ikev2 only",
       URL_YOUR_CGW, severity=WARNING),
    _r("TUN-OUTSIDE-IP-UNIQUE", "connection", "TunnelOptions[].OutsideIpAddress",
       "Each tunnel uses a unique public IP address.", "two different outside IPs", URL_TUNNELS),
    _r("TUN-STATUS-DOWN", "tunnel", "VgwTelemetry[].Status",
       "A tunnel is DOWN: the connection has lost its redundancy (or all traffic, if both are DOWN).",
       "UP", URL_VPN_CONNECTION, severity=WARNING, values=("UP", "DOWN")),
    # ---------------- the VPN connection (aws-facts.md §1.1, §1.7, §1.8, §1.9) ----------------
    _r("CONN-TYPE", "connection", "Type", "The only supported connection type is ipsec.1.", "ipsec.1",
       URL_CREATE_CONN, values=("ipsec.1",), default="ipsec.1"),
    _r("CONN-TWO-TUNNELS", "connection", "Options.TunnelOptions",
       "Each VPN connection has exactly two tunnels.", "exactly 2", URL_RESILIENCY, minimum=2, maximum=2),
    _r("CONN-TWO-AZS", "connection", "Options.TunnelOptions",
       "The two tunnels terminate in different Availability Zones.", "2 different AZs", URL_RESILIENCY),
    _r("CONN-CONFIGURE-BOTH", "connection", "Options.TunnelOptions",
       "Configure both tunnels on the customer gateway device: AWS maintenance may briefly disable "
       "one tunnel.", "both tunnels configured", URL_RESILIENCY, severity=WARNING),
    _r("CONN-BOTH-DOWN", "connection", "VgwTelemetry",
       "Both tunnels are DOWN: no traffic flows over this connection.", "at least one UP",
       URL_VPN_CONNECTION),
    _r("CONN-ONE-TARGET", "connection", "VpnGatewayId",
       "A connection targets a VGW or a TGW, not both.", "at most one of VpnGatewayId, TransitGatewayId",
       URL_CREATE_CONN),
    _r("CONN-INSIDE-CIDR-UNIQUE-VGW", "connection", "TunnelInsideCidr",
       "Inside CIDRs are unique across all VPN connections on the same virtual private gateway.",
       "unique per VGW", URL_TUNNELS),
    _r("CONN-INSIDE-CIDR-REUSE-TGW", "connection", "TunnelInsideCidr",
       "On a transit gateway inside CIDRs may repeat, but reuse can create a conflict on your customer "
       "gateway.", "unique recommended", URL_TUNNELS, severity=WARNING),
    _r("CONN-INSIDE-V6-UNIQUE-TGW", "connection", "TunnelInsideIpv6Cidr",
       "Inside IPv6 CIDRs are unique across VPN connections on the same transit gateway.",
       "unique per TGW", URL_TUNNEL_SPEC),
    _r("CONN-INSIDE-IP-VERSION", "connection", "Options.TunnelInsideIpVersion",
       "Tunnel inside IP version.", "ipv4, ipv6", URL_CONN_SPEC, values=("ipv4", "ipv6"), default="ipv4"),
    _r("CONN-IPV6-TGW-ONLY", "connection", "Options.TunnelInsideIpVersion",
       "IPv6 inside the tunnels is supported only for connections on a transit gateway.",
       "ipv6 only with TransitGatewayId", URL_IPV6,
       note="Live: 'If you need IPv6 support, use a transit gateway or Cloud WAN' " + URL_HOW_IT_WORKS),
    _r("CONN-IPV4-OR-IPV6", "connection", "TunnelInsideIpv6Cidr",
       "A connection carries either IPv4 or IPv6 traffic: IPv6 inside CIDRs belong to ipv6 connections.",
       "TunnelInsideIpv6Cidr only when TunnelInsideIpVersion=ipv6", URL_IPV6),
    _r("CONN-ACCELERATION-TGW", "connection", "Options.EnableAcceleration",
       "Accelerated VPN is only for transit gateway attachments.", "true only with a TGW",
       URL_ACCELERATED, default=False),
    _r("CONN-OUTSIDE-IP-TYPE", "connection", "Options.OutsideIpAddressType",
       "Type of the outside (tunnel endpoint) addresses.", "PrivateIpv4, PublicIpv4, Ipv6", URL_CONN_SPEC,
       values=("PrivateIpv4", "PublicIpv4", "Ipv6"), default="PublicIpv4",
       note="Drift (aws-facts §9): UG-2023 ipv4-ipv6 said IPv4 only; we follow the current API."),
    _r("CONN-PRIVATE-IP-TRANSPORT", "connection", "Options.TransportTransitGatewayAttachmentId",
       "OutsideIpAddressType=PrivateIpv4 requires TransportTransitGatewayAttachmentId (Direct Connect).",
       "set when PrivateIpv4", URL_CONN_SPEC, note="See also " + URL_PRIVATE_IP),
    _r("CONN-OUTSIDE-IPV6-TGW", "connection", "Options.OutsideIpAddressType",
       "An IPv6 customer gateway address is supported only on a transit gateway (or Cloud WAN).",
       "Ipv6 only with a TGW", URL_CGW_OPTIONS),
    _r("CONN-TUNNEL-BANDWIDTH", "connection", "Options.TunnelBandwidth",
       "Per-tunnel bandwidth: standard (up to 1.25 Gbps) or large (up to 5 Gbps, TGW or Cloud WAN only).",
       "standard, large (large only on a TGW)", URL_MODIFY_CONN_OPTS, values=("standard", "large"),
       default="standard",
       note="Drift (aws-facts §9): UG-2023 quotas say up to 1.25 Gbps per tunnel; the API adds large. "
            "Both: " + URL_LIMITS + " ; " + URL_CONN_SPEC),
    _r("CONN-ASN-DIFFERS", "connection", "CustomerGatewayId",
       "The customer gateway's BGP ASN must differ from the Amazon-side ASN of the gateway.",
       "CGW BgpAsn != AmazonSideAsn", URL_SETUP,
       note="Checked as an error for dynamic (BGP) routing; with static routing the ASN is not used "
            "for a BGP session, so it is only a warning there (our choice)."),
    _r("CONN-STATIC-VS-BGP", "connection", "Routes",
       "With BGP (dynamic routing) you cannot specify static routes.", "Routes only when StaticRoutesOnly",
       URL_YOUR_CGW),
    _r("CONN-STATIC-ROUTE-LIMIT", "connection", "Routes",
       "At most 100 static routes from the customer gateway device (VGW); not adjustable.", "<= 100",
       URL_LIMITS, maximum=100),
    _r("CONN-TGW-STATIC-ROUTES", "connection", "Routes",
       "On a transit gateway, static routes live in the transit gateway route table, not on the "
       "connection.", "no connection Routes on a TGW", URL_STATIC_ROUTES, severity=WARNING),
    _r("CONN-STARTUP-NEEDS-CGW-IP", "connection", "StartupAction",
       "AWS-initiated IKE needs the customer gateway's public IP (a certificate-only CGW must be "
       "replaced).", "CGW IpAddress set when start", URL_INITIATE),
    _r("CONN-STATE", "connection", "State", "VPN connection state.", "pending, available, deleting, deleted",
       URL_VPN_CONNECTION, values=("pending", "available", "deleting", "deleted")),
    _r("CONN-PER-VGW-QUOTA", "vpn_gateway", "VpnGatewayId",
       "VPN connections per virtual private gateway: 10 (adjustable).", "<= 10 unless raised", URL_LIMITS,
       maximum=10, severity=WARNING),
    _r("CONN-ROUTES-FROM-CGW", "connection", "VgwTelemetry[].AcceptedRouteCount",
       "Dynamic routes advertised from the customer gateway: at most 100 to a VGW, 1,000 to a TGW "
       "(not adjustable).", "< 100 (VGW), < 1000 (TGW)", URL_LIMITS, severity=WARNING,
       note="Quota table from UG-2023, not re-verified against the live page (UNCONFIRMED whether changed)."),
    # ---------------- Regional quotas (aws-facts.md §1.8; UG-2023, UNCONFIRMED whether changed) ------
    _r("QUOTA-CGW-REGION", "inventory", "CustomerGateways", "Customer gateways per Region: 50 (adjustable).",
       "<= 50 unless raised", URL_LIMITS, maximum=50, severity=WARNING),
    _r("QUOTA-VGW-REGION", "inventory", "VpnGateways", "Virtual private gateways per Region: 5 (adjustable).",
       "<= 5 unless raised", URL_LIMITS, maximum=5, severity=WARNING),
    _r("QUOTA-VPN-REGION", "inventory", "VpnConnections",
       "Site-to-Site VPN connections per Region: 50 (adjustable).", "<= 50 unless raised", URL_LIMITS,
       maximum=50, severity=WARNING),
    _r("QUOTA-ACCELERATED-REGION", "inventory", "VpnConnections",
       "Accelerated VPN connections per Region: 10 (adjustable).", "<= 10 unless raised", URL_LIMITS,
       maximum=10, severity=WARNING),
    _r("CGW-DUPLICATE", "customer_gateway", "DeviceName",
       "A create request with the same type, IP and ASN returns the existing customer gateway; give each a "
       "unique DeviceName to have several.", "distinct (Type, IpAddress, BgpAsn) or DeviceName",
       URL_CREATE_CGW, severity=WARNING),
    # ---------------- changing an existing connection (aws-facts.md §1.1, §1.5, §1.9) ----------------
    _r("MOD-TARGET-CHANGE", "modification", "VpnGatewayId",
       "ModifyVpnConnection moves a connection VGW -> new VGW, VGW -> TGW, TGW -> new TGW or TGW -> VGW.",
       "one of the four documented migrations", URL_MODIFY_CONN),
    _r("MOD-STATIC-ROUTES-TO-TGW", "modification", "Routes",
       "Static routes must be deleted before moving from a VGW with static routes to a TGW.",
       "no connection Routes when moving VGW -> TGW", URL_MODIFY_CONN),
    _r("MOD-ACCELERATION-FIXED", "modification", "Options.EnableAcceleration",
       "Acceleration cannot be turned on or off for an existing connection.", "unchanged", URL_ACCELERATED),
    _r("MOD-IPV6-FIXED", "modification", "Options.TunnelInsideIpVersion",
       "IPv6 cannot be enabled on an existing connection.", "unchanged", URL_IPV6),
    _r("MOD-VGW-ASN-FIXED", "modification", "AmazonSideAsn",
       "A VGW's Amazon-side ASN cannot be changed after creation.", "unchanged", URL_HOW_IT_WORKS),
    _r("MOD-INTERRUPTION", "modification", "Options",
       "Changing the target gateway, customer gateway or connection options makes both tunnels unavailable; "
       "changing one tunnel's options makes that tunnel unavailable.", "plan for the outage",
       URL_ENDPOINT_REPLACEMENTS, severity=WARNING),
    # ---------------- customer gateway (aws-facts.md §1.2) ----------------
    _r("CGW-ASN-RANGE", "customer_gateway", "BgpAsn",
       "Customer gateway BGP ASN: 1 to 4,294,967,295 (BgpAsn up to 2,147,483,647; larger ones use "
       "BgpAsnExtended).", "1-4294967295", URL_CGW_OPTIONS, minimum=1, maximum=4294967295, default=65000,
       note="Drift (aws-facts §9): UG-2023 allowed 1-2,147,483,647 and refused private 32-bit ASNs; the "
            "live page and API allow 1-4,294,967,295 (we follow them). Default 65000 (API "
            "CreateCustomerGateway, UG-2023), live page says 64512. Both: " + URL_CREATE_CGW
            + " ; " + URL_CGW_OPTIONS),
    _r("CGW-ASN-EXTENDED", "customer_gateway", "BgpAsnExtended",
       "ASNs above 2,147,483,647 go in BgpAsnExtended (2,147,483,648-4,294,967,295).",
       "2147483648-4294967295", URL_CREATE_CGW, minimum=2147483648, maximum=4294967295),
    _r("CGW-ASN-RESERVED", "customer_gateway", "BgpAsn",
       "Reserved ASNs: 7224 in all Regions, 9059 in eu-west-1, 10124 in ap-northeast-1, 17943 in "
       "ap-southeast-1.", "not a reserved ASN", URL_CGW_OPTIONS, values=tuple(CGW_RESERVED_ASNS),
       note="UNCONFIRMED: the VGW legacy-default note says 17493 for Singapore " + URL_HOW_IT_WORKS
            + "; we reserve 17943 as the live cgw-options page says."),
    _r("CGW-IP-OR-CERT", "customer_gateway", "IpAddress",
       "A customer gateway needs an IP address or a private certificate ARN.",
       "IpAddress or CertificateArn", URL_SETUP),
    _r("CGW-IP-PUBLIC", "customer_gateway", "IpAddress",
       "Behind NAT use the NAT device's public IP; a private IP only works for Private IP VPN "
       "(OutsideIpAddressType=PrivateIpv4).", "a public, static IP", URL_CGW_OPTIONS, severity=WARNING),
    _r("CGW-DEVICE-NAME", "customer_gateway", "DeviceName", "Device name, up to 255 characters.",
       "0-255 characters", URL_CREATE_CGW, maximum=255),
    _r("CGW-TYPE", "customer_gateway", "Type", "Customer gateway type.", "ipsec.1", URL_CREATE_CGW,
       values=("ipsec.1",), default="ipsec.1"),
    # ---------------- Amazon-side gateways (aws-facts.md §1.1, §1.3) ----------------
    _r("VGW-ASN-RANGE", "vpn_gateway", "AmazonSideAsn",
       "A custom VGW ASN is private: 64512-65534 (16-bit) or 4200000000-4294967294 (32-bit).",
       "64512-65534 or 4200000000-4294967294", URL_CREATE_VGW, default=64512),
    _r("VGW-ASN-LEGACY", "vpn_gateway", "AmazonSideAsn",
       "VGWs created before 2018-06-30 have a Regional default ASN: 17493 Singapore, 10124 Tokyo, "
       "9059 Ireland, 7224 elsewhere.", "legacy defaults", URL_HOW_IT_WORKS,
       values=tuple(sorted(set(LEGACY_VGW_DEFAULT_ASNS.values()))), severity=WARNING,
       note="UNCONFIRMED: 17493 (VGW note) vs 17943 (CGW reserved list, " + URL_CGW_OPTIONS + ")."),
    _r("VGW-ONE-VPC", "vpn_gateway", "VpcAttachments",
       "A VGW is attached to one VPC at a time.", "at most one attached VPC", URL_LIMITS),
    _r("VGW-TYPE", "vpn_gateway", "Type", "Virtual private gateway type.", "ipsec.1", URL_CREATE_VGW,
       values=("ipsec.1",), default="ipsec.1"),
    _r("TGW-ASN-RANGE", "transit_gateway", "AmazonSideAsn",
       "Transit gateway ASN: 64512-65534 (16-bit) or 4200000000-4294967294 (32-bit).",
       "64512-65534 or 4200000000-4294967294", URL_TGW_OPTIONS, default=64512),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULE_LIST}
assert len(RULES) == len(_RULE_LIST), "duplicate rule id"


def rule(rule_id: str) -> Rule:
    """The rule with this id; :class:`ConfigError` naming the known ids if there is none."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise ConfigError(f"unknown rule id {rule_id!r}; known: {', '.join(RULES)}") from None


def rules_table(applies_to: str | None = None) -> list[dict[str, Any]]:
    """All rules (or those for one object kind) as rows a notebook can show as a table."""
    return [r.as_row() for r in _RULE_LIST if applies_to is None or r.applies_to == applies_to]


def finding(rule_id: str, path: str, value: Any, message: str = "", *,
            severity: str | None = None) -> Finding:
    """A :class:`Finding` for ``rule_id``; the message defaults to the rule's description."""
    r = rule(rule_id)
    return Finding(severity or r.severity, path, value, r.id, message or r.description, r.doc_url)


def check_range(rule_id: str, path: str, value: int | None, *, maximum: int | None = None) -> list[Finding]:
    """Findings if ``value`` is outside the rule's inclusive range (``maximum`` overrides the table's)."""
    if value is None:
        return []
    r = rule(rule_id)
    hi = r.maximum if maximum is None else maximum
    if (r.minimum is not None and value < r.minimum) or (hi is not None and value > hi):
        lo = "" if r.minimum is None else f"{r.minimum}"
        return [finding(rule_id, path, value,
                        f"{r.field} {value} is outside the allowed range {lo}..{'' if hi is None else hi}: "
                        f"{r.description}")]
    return []


def check_enum(rule_id: str, path: str, value: Any) -> list[Finding]:
    """Findings if ``value`` is not one of the rule's enumerated values."""
    r = rule(rule_id)
    if value is None or value in r.values:
        return []
    return [finding(rule_id, path, value,
                    f"{value!r} is not allowed for {r.field}; allowed: {', '.join(map(str, r.values))}")]


def in_amazon_asn_range(asn: int) -> bool:
    """True if ``asn`` is a private ASN AWS accepts for a VGW or TGW (16- or 32-bit range)."""
    return any(lo <= asn <= hi for lo, hi in AMAZON_ASN_RANGES)


RESERVED_INSIDE_NETWORKS = tuple(ipaddress.ip_network(c) for c in RESERVED_INSIDE_CIDRS)
LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")
ULA_V6 = ipaddress.ip_network("fd00::/8")

__all__ = [
    "ERROR", "RULES", "WARNING", "Finding", "Rule", "check_enum", "check_range", "finding", "rule",
    "rules_table",
]

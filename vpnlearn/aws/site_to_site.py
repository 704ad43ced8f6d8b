"""AWS Site-to-Site VPN as objects: gateways, customer gateways, connections with two tunnels.

The objects mirror the EC2 API (``describe-vpn-connections``, ``describe-customer-gateways``,
``describe-vpn-gateways``) so that :mod:`vpnlearn.aws.importer` can read what the AWS CLI prints,
and :func:`validate` checks every documented rule of :mod:`vpnlearn.aws.rules` at once::

    >>> from vpnlearn.aws.site_to_site import (CustomerGateway, VirtualPrivateGateway,
    ...     VpnConnection, Inventory, validate)
    >>> cgw = CustomerGateway("cgw-1", bgp_asn=64512, ip_address="203.0.113.10")
    >>> vgw = VirtualPrivateGateway("vgw-1")            # Amazon-side ASN defaults to 64512
    >>> vpn = VpnConnection("vpn-1", cgw, vpn_gateway=vgw)
    >>> [f.rule_id for f in validate(Inventory([vpn])) if f.severity == "error"]
    ['CONN-ASN-DIFFERS']

Constructing an object checks only that values can be read (an IP parses, an algorithm is known);
AWS's rules are checked by :func:`validate`, which returns every :class:`~vpnlearn.aws.rules.Finding`
(errors and warnings) with a JSON path such as ``VpnConnections[0].Options.TunnelOptions[1].PreSharedKey``.
The model never opens sockets or reads clocks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vpnlearn.aws import rules as R
from vpnlearn.aws.rules import Finding, check_enum, check_range, finding
from vpnlearn.aws.tunnel_options import TunnelOptions, validate_tunnel_options
from vpnlearn.errors import ConfigError

BGP_ASN_MAX = 2147483647  # CreateCustomerGateway BgpAsn; above it use BgpAsnExtended (API).


def _parse_ip(value: Any, field_name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if value is None:
        return None
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"field {field_name}: expected an IP address string, got {value!r}")
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise ConfigError(f"field {field_name}: {value!r} is not a valid IP address") from None


def _parse_cidr(value: Any, field_name: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"field {field_name}: expected a CIDR string, got {value!r}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise ConfigError(f"field {field_name}: {value!r} is not a valid CIDR ({exc})") from None


def _int(value: Any, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"field {field_name}: expected an integer, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------------
# Amazon side


@dataclass(frozen=True)
class VpcAttachment:
    """A VGW's attachment to a VPC (``VpcAttachment`` in the API)."""

    vpc_id: str
    state: str = "attached"  # attaching | attached | detaching | detached


@dataclass
class VirtualPrivateGateway:
    """A virtual private gateway (VGW): the VPN concentrator of ONE VPC.

    ``vpc`` may be a :class:`vpnlearn.aws.network.VPC` or a VPC id. The Amazon-side ASN defaults to
    64512 and cannot be changed after creation (how_it_works). ``attachments`` is what the API
    reports; giving ``vpc`` makes it one ``attached`` attachment.
    """

    id: str
    amazon_side_asn: int = 64512
    vpc: Any = None
    attachments: list[VpcAttachment] = field(default_factory=list)
    state: str = "available"
    type: str = "ipsec.1"
    availability_zone: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.amazon_side_asn = _int(self.amazon_side_asn, "AmazonSideAsn")
        if self.vpc is not None and not self.attachments:
            self.attachments = [VpcAttachment(_vpc_id(self.vpc))]

    @property
    def vpc_id(self) -> str | None:
        """The id of the attached VPC, or None."""
        live = [a for a in self.attachments if a.state in ("attaching", "attached")]
        return live[0].vpc_id if live else None

    def attach(self, vpc: Any) -> None:
        """Attach to ``vpc`` (a VPC or its id). A VGW is attached to one VPC at a time (vpn-limits)."""
        vpc_id = _vpc_id(vpc)
        current = self.vpc_id
        if current is not None and current != vpc_id:
            raise ConfigError(f"VPN gateway {self.id}: field VpcAttachments: already attached to {current}; "
                              f"detach it first ({R.rule('VGW-ONE-VPC').description} {R.URL_LIMITS})")
        self.vpc = vpc
        self.attachments = [VpcAttachment(vpc_id)]

    def detach(self) -> None:
        """Detach from the VPC."""
        self.vpc = None
        self.attachments = []


def _vpc_id(vpc: Any) -> str:
    vpc_id = vpc if isinstance(vpc, str) else getattr(vpc, "id", None)
    if not isinstance(vpc_id, str) or not vpc_id:
        raise ConfigError(f"field VpcId: expected a VPC or a VPC id, got {vpc!r}")
    return vpc_id


@dataclass(frozen=True)
class TransitGatewayAttachment:
    """The VPN attachment that ties a connection to a transit gateway (resource type ``vpn``)."""

    id: str
    transit_gateway_id: str
    resource_id: str
    resource_type: str = "vpn"
    state: str = "available"


TGW_ATTACHMENT_QUOTA = 5000  # per TGW, not adjustable (transit-gateway-quotas, aws-facts.md §1.8)


@dataclass
class TransitGateway:
    """A transit gateway (TGW): a regional hub; a VPN connection on it is a VPN attachment.

    :meth:`attach_vpn` makes the attachment; VPN connections count toward the TGW's attachment
    quota (5,000, not adjustable).
    """

    id: str
    amazon_side_asn: int = 64512
    vpn_ecmp_support: bool = True  # enabled by default (TransitGatewayRequestOptions)
    attachments: list[TransitGatewayAttachment] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.amazon_side_asn = _int(self.amazon_side_asn, "AmazonSideAsn")

    def attach_vpn(self, vpn: VpnConnection, attachment_id: str | None = None) -> TransitGatewayAttachment:
        """Make ``vpn`` a VPN attachment of this TGW (a connection has one target gateway)."""
        if vpn.vpn_gateway is not None:
            raise ConfigError(f"VPN connection {vpn.id}: field VpnGatewayId: it targets "
                              f"{vpn.vpn_gateway_id}; {R.rule('CONN-ONE-TARGET').description} "
                              f"{R.URL_CREATE_CONN}")
        if len(self.attachments) >= TGW_ATTACHMENT_QUOTA:
            raise ConfigError(f"transit gateway {self.id}: field attachments: the quota of "
                              f"{TGW_ATTACHMENT_QUOTA} attachments is reached ({R.URL_TGW_QUOTAS})")
        for a in self.attachments:
            if a.resource_id == vpn.id:
                return a
        att = TransitGatewayAttachment(attachment_id or f"tgw-attach-{vpn.id}", self.id, vpn.id)
        self.attachments.append(att)
        vpn.transit_gateway = self
        return att


# --------------------------------------------------------------------------------------------------
# Customer side


@dataclass
class CustomerGateway:
    """The AWS resource that describes your device: its BGP ASN and a static IP or certificate ARN.

    ``bgp_asn`` defaults to 65000 (API CreateCustomerGateway; the live console page says 64512, see
    rules ``CGW-ASN-RANGE``). ``asn_field`` records which API field held the ASN (``BgpAsn`` or
    ``BgpAsnExtended``); ``None`` means "the right one for the value".
    """

    id: str
    bgp_asn: int = 65000
    ip_address: Any = None
    certificate_arn: str | None = None
    device_name: str | None = None
    type: str = "ipsec.1"
    state: str = "available"
    asn_field: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bgp_asn = _int(self.bgp_asn, "BgpAsn")
        self.ip_address = _parse_ip(self.ip_address, "IpAddress")


# --------------------------------------------------------------------------------------------------
# The connection


@dataclass
class Tunnel:
    """One of the connection's two tunnels: its options, AWS's outside IP, its AZ and telemetry.

    ``status`` is the ``VgwTelemetry`` status (``UP``/``DOWN``; ``None`` = unknown).
    ``configured_on_device`` says whether the customer gateway device has this tunnel set up:
    ``False`` models a single-tunnel setup.
    """

    options: TunnelOptions = field(default_factory=TunnelOptions)
    outside_ip_address: Any = None
    availability_zone: str | None = None
    status: str | None = None
    status_message: str | None = None
    accepted_route_count: int | None = None
    last_status_change: str | None = None
    certificate_arn: str | None = None
    configured_on_device: bool = True
    telemetry_index: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.outside_ip_address = _parse_ip(self.outside_ip_address, "OutsideIpAddress")


@dataclass(frozen=True)
class StaticRoute:
    """A static route on a VGW connection (``VpnStaticRoute``)."""

    destination_cidr_block: Any
    state: str = "available"
    source: str = "Static"

    def __post_init__(self) -> None:
        object.__setattr__(self, "destination_cidr_block",
                           _parse_cidr(self.destination_cidr_block, "DestinationCidrBlock"))


@dataclass
class VpnConnection:
    """A Site-to-Site VPN connection: a customer gateway, a target gateway and exactly two tunnels.

    ``vpn_gateway`` / ``transit_gateway`` are objects or ids (an id alone is looked up in the
    :class:`Inventory`); neither means "not associated". ``static_routes_only`` chooses static
    routing (``routes``) instead of BGP.
    """

    id: str
    customer_gateway: CustomerGateway | str
    vpn_gateway: VirtualPrivateGateway | str | None = None
    transit_gateway: TransitGateway | str | None = None
    tunnels: list[Tunnel] = field(default_factory=lambda: [Tunnel(), Tunnel()])
    static_routes_only: bool = False
    routes: list[StaticRoute] = field(default_factory=list)
    local_ipv4_network_cidr: Any = "0.0.0.0/0"
    remote_ipv4_network_cidr: Any = "0.0.0.0/0"
    local_ipv6_network_cidr: Any = None
    remote_ipv6_network_cidr: Any = None
    tunnel_inside_ip_version: str = "ipv4"
    enable_acceleration: bool = False
    outside_ip_address_type: str = "PublicIpv4"
    transport_transit_gateway_attachment_id: str | None = None
    tunnel_bandwidth: str | None = None
    state: str = "available"
    category: str = "VPN"
    type: str = "ipsec.1"
    gateway_association_state: str | None = None
    customer_gateway_configuration: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, api in (("local_ipv4_network_cidr", "LocalIpv4NetworkCidr"),
                          ("remote_ipv4_network_cidr", "RemoteIpv4NetworkCidr"),
                          ("local_ipv6_network_cidr", "LocalIpv6NetworkCidr"),
                          ("remote_ipv6_network_cidr", "RemoteIpv6NetworkCidr")):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, _parse_cidr(value, f"Options.{api}"))
        self.routes = [r if isinstance(r, StaticRoute) else StaticRoute(r) for r in self.routes]

    @property
    def customer_gateway_id(self) -> str:
        cgw = self.customer_gateway
        return cgw if isinstance(cgw, str) else cgw.id

    @property
    def vpn_gateway_id(self) -> str | None:
        g = self.vpn_gateway
        return g if isinstance(g, str) or g is None else g.id

    @property
    def transit_gateway_id(self) -> str | None:
        g = self.transit_gateway
        return g if isinstance(g, str) or g is None else g.id

    @property
    def on_transit_gateway(self) -> bool:
        return self.transit_gateway is not None

    @property
    def routing(self) -> str:
        """``"static"`` or ``"bgp"``."""
        return "static" if self.static_routes_only else "bgp"

    def validate(self, *, region: str | None = None) -> list[Finding]:
        """All findings for this connection alone (see :func:`validate`)."""
        return validate(Inventory([self], region=region))


@dataclass
class Inventory:
    """Everything one check looks at: connections and the gateways they refer to, in one Region.

    Gateways referred to by objects inside the connections are added to the lists automatically.
    ``region`` (e.g. ``"eu-west-1"``) enables the Region-specific reserved-ASN rules.
    """

    vpn_connections: list[VpnConnection] = field(default_factory=list)
    customer_gateways: list[CustomerGateway] = field(default_factory=list)
    vpn_gateways: list[VirtualPrivateGateway] = field(default_factory=list)
    transit_gateways: list[TransitGateway] = field(default_factory=list)
    region: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for vpn in self.vpn_connections:
            for obj, bucket in ((vpn.customer_gateway, self.customer_gateways),
                                (vpn.vpn_gateway, self.vpn_gateways),
                                (vpn.transit_gateway, self.transit_gateways)):
                if obj is not None and not isinstance(obj, str) and all(o is not obj for o in bucket):
                    bucket.append(obj)  # type: ignore[arg-type]

    def locate(self, path: str) -> str:
        """``path`` (as in a finding) with the file and index it was read from, when the importer
        recorded them: ``VpnConnections[3].State`` -> ``b.json: VpnConnections[1].State``."""
        head, dot, rest = path.partition(".")
        origin = self.sources.get(head)
        return f"{origin}{dot}{rest}" if origin else path

    def customer_gateway(self, vpn: VpnConnection) -> CustomerGateway | None:
        """The connection's customer gateway object, if known."""
        if isinstance(vpn.customer_gateway, CustomerGateway):
            return vpn.customer_gateway
        return next((c for c in self.customer_gateways if c.id == vpn.customer_gateway), None)

    def vpn_gateway(self, vpn: VpnConnection) -> VirtualPrivateGateway | None:
        if isinstance(vpn.vpn_gateway, VirtualPrivateGateway):
            return vpn.vpn_gateway
        return next((g for g in self.vpn_gateways if g.id == vpn.vpn_gateway), None)

    def transit_gateway(self, vpn: VpnConnection) -> TransitGateway | None:
        if isinstance(vpn.transit_gateway, TransitGateway):
            return vpn.transit_gateway
        return next((g for g in self.transit_gateways if g.id == vpn.transit_gateway), None)

    def validate(self) -> list[Finding]:
        """All findings (see :func:`validate`)."""
        return validate(self)


# --------------------------------------------------------------------------------------------------
# Validation


def validate_customer_gateway(cgw: CustomerGateway, path: str, region: str | None = None) -> list[Finding]:
    """Findings for one customer gateway (ASN range and reserved ASNs, IP or certificate, name, type)."""
    out: list[Finding] = []
    asn = cgw.bgp_asn
    asn_field = cgw.asn_field or ("BgpAsnExtended" if asn > BGP_ASN_MAX else "BgpAsn")
    out += check_range("CGW-ASN-RANGE", f"{path}.{asn_field}", asn)
    if asn_field == "BgpAsn" and asn > BGP_ASN_MAX and asn <= 4294967295:
        out.append(finding("CGW-ASN-EXTENDED", f"{path}.BgpAsn", asn,
                           f"ASN {asn} is above 2,147,483,647: it must be given as BgpAsnExtended"))
    if asn_field == "BgpAsnExtended" and not 2147483648 <= asn <= 4294967295:
        out += check_range("CGW-ASN-EXTENDED", f"{path}.BgpAsnExtended", asn)
    where = R.CGW_RESERVED_ASNS.get(asn)
    if where == "*":
        out.append(finding("CGW-ASN-RESERVED", f"{path}.{asn_field}", asn,
                           f"ASN {asn} is reserved by AWS in all Regions"))
    elif where is not None and region in (None, where):
        sev = R.ERROR if region == where else R.WARNING
        extra = "" if region else " (Region unknown: an error there, fine elsewhere)"
        out.append(finding("CGW-ASN-RESERVED", f"{path}.{asn_field}", asn,
                           f"ASN {asn} is reserved by AWS in {where}{extra}", severity=sev))
    if cgw.ip_address is None and not cgw.certificate_arn:
        out.append(finding("CGW-IP-OR-CERT", f"{path}.IpAddress", None,
                           "the customer gateway has neither an IpAddress nor a CertificateArn"))
    if cgw.device_name is not None and len(cgw.device_name) > 255:
        out.append(finding("CGW-DEVICE-NAME", f"{path}.DeviceName", cgw.device_name[:20] + "...",
                           f"device name has {len(cgw.device_name)} characters; at most 255"))
    out += check_enum("CGW-TYPE", f"{path}.Type", cgw.type)
    return out


def _amazon_asn(rule_id: str, path: str, asn: int, *, legacy_ok: bool) -> list[Finding]:
    if R.in_amazon_asn_range(asn):
        return []
    if legacy_ok and asn in R.rule("VGW-ASN-LEGACY").values:
        return [finding("VGW-ASN-LEGACY", path, asn,
                        f"ASN {asn} is the Regional default of a VGW created before 2018-06-30; a new VGW "
                        "would need 64512-65534 or 4200000000-4294967294")]
    return [finding(rule_id, path, asn, f"Amazon-side ASN {asn} is not in 64512-65534 or "
                                        "4200000000-4294967294")]


def validate_vpn_gateway(vgw: VirtualPrivateGateway, path: str) -> list[Finding]:
    """Findings for one virtual private gateway (ASN, one VPC, type)."""
    out = _amazon_asn("VGW-ASN-RANGE", f"{path}.AmazonSideAsn", vgw.amazon_side_asn, legacy_ok=True)
    live = [a for a in vgw.attachments if a.state in ("attaching", "attached")]
    if len(live) > 1:
        out.append(finding("VGW-ONE-VPC", f"{path}.VpcAttachments", [a.vpc_id for a in live],
                           f"the VGW is attached to {len(live)} VPCs; a VGW attaches to one VPC at a time"))
    out += check_enum("VGW-TYPE", f"{path}.Type", vgw.type)
    return out


# Addresses that cannot be a customer gateway's public IP: RFC 1918, shared address space (RFC 6598),
# loopback and link-local. Documentation ranges (RFC 5737) count as public so examples work.
_NON_PUBLIC_V4 = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"))


def _is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(ip in n for n in _NON_PUBLIC_V4)


def validate_connection(vpn: VpnConnection, path: str, inventory: Inventory | None = None) -> list[Finding]:
    """Findings for one connection and its tunnels (cross-connection rules are in :func:`validate`)."""
    inv = inventory or Inventory([vpn])
    out: list[Finding] = []
    opath = f"{path}.Options"
    out += check_enum("CONN-TYPE", f"{path}.Type", vpn.type)
    out += check_enum("CONN-STATE", f"{path}.State", vpn.state)
    if vpn.vpn_gateway is not None and vpn.transit_gateway is not None:
        out.append(finding("CONN-ONE-TARGET", f"{path}.TransitGatewayId", vpn.transit_gateway_id,
                           f"the connection names both VGW {vpn.vpn_gateway_id} and TGW "
                           f"{vpn.transit_gateway_id}; a connection has one target gateway"))
    tgw = vpn.on_transit_gateway

    # Two tunnels in two AZs, with two outside IPs.
    n = len(vpn.tunnels)
    if n != 2:
        out.append(finding("CONN-TWO-TUNNELS", f"{opath}.TunnelOptions", n,
                           f"the connection has {n} tunnel(s); every Site-to-Site VPN connection has "
                           "exactly two"))
    for i, t in enumerate(vpn.tunnels):
        out += validate_tunnel_options(t.options, f"{opath}.TunnelOptions[{i}]")
        if not t.configured_on_device:
            out.append(finding("CONN-CONFIGURE-BOTH", f"{opath}.TunnelOptions[{i}]", "not configured",
                               f"tunnel {i + 1} is not configured on the customer gateway device: a "
                               "single-tunnel setup loses the connection whenever AWS maintains the other"))
    azs = [t.availability_zone for t in vpn.tunnels if t.availability_zone]
    if len(azs) == 2 and azs[0] == azs[1]:
        out.append(finding("CONN-TWO-AZS", f"{opath}.TunnelOptions", azs,
                           f"both tunnels terminate in {azs[0]}; they must be in different AZs"))
    ips = [t.outside_ip_address for t in vpn.tunnels if t.outside_ip_address is not None]
    if len(ips) == 2 and ips[0] == ips[1]:
        out.append(finding("TUN-OUTSIDE-IP-UNIQUE", f"{opath}.TunnelOptions[1].OutsideIpAddress", str(ips[1]),
                           f"both tunnels use outside IP {ips[0]}; each tunnel has its own"))

    # Telemetry.
    statuses = [t.status for t in vpn.tunnels]
    for i, s in enumerate(statuses):
        if s is None:
            continue
        j = vpn.tunnels[i].telemetry_index
        tpath = f"{path}.VgwTelemetry[{i if j is None else j}].Status"
        out += check_enum("TUN-STATUS-DOWN", tpath, s)
        if s == "DOWN":
            msg = vpn.tunnels[i].status_message
            out.append(finding("TUN-STATUS-DOWN", tpath, s,
                               f"tunnel {i + 1} ({vpn.tunnels[i].outside_ip_address}) is DOWN"
                               + (f": {msg}" if msg else "") + "; the connection has no redundancy"))
    limit = 1000 if tgw else 100
    for i, t in enumerate(vpn.tunnels):
        if t.accepted_route_count is not None and t.accepted_route_count >= limit:
            j = t.telemetry_index
            out.append(finding("CONN-ROUTES-FROM-CGW",
                               f"{path}.VgwTelemetry[{i if j is None else j}].AcceptedRouteCount",
                               t.accepted_route_count,
                               f"tunnel {i + 1} accepts {t.accepted_route_count} routes: at the quota of "
                               f"{limit} dynamic routes from the customer gateway to a "
                               f"{'TGW' if tgw else 'VGW'}; "
                               "advertise fewer (e.g. summarized) prefixes"))
    if statuses and all(s == "DOWN" for s in statuses):
        out.append(finding("CONN-BOTH-DOWN", f"{path}.VgwTelemetry", statuses,
                           "every tunnel is DOWN: no traffic flows over this connection"))

    # IP versions, acceleration, outside addresses, bandwidth.
    out += check_enum("CONN-INSIDE-IP-VERSION", f"{opath}.TunnelInsideIpVersion",
                      vpn.tunnel_inside_ip_version)
    if vpn.tunnel_inside_ip_version == "ipv6" and not tgw:
        out.append(finding("CONN-IPV6-TGW-ONLY", f"{opath}.TunnelInsideIpVersion", "ipv6",
                           "IPv6 inside the tunnels needs a transit gateway; VGWs do not support IPv6"))
    if vpn.tunnel_inside_ip_version == "ipv4":
        for i, t in enumerate(vpn.tunnels):
            if t.options.tunnel_inside_ipv6_cidr is not None:
                out.append(finding("CONN-IPV4-OR-IPV6", f"{opath}.TunnelOptions[{i}].TunnelInsideIpv6Cidr",
                                   str(t.options.tunnel_inside_ipv6_cidr),
                                   "an IPv6 inside CIDR on an ipv4 connection: a connection carries either "
                                   "IPv4 or IPv6"))
        for name, api in (("local_ipv6_network_cidr", "LocalIpv6NetworkCidr"),
                          ("remote_ipv6_network_cidr", "RemoteIpv6NetworkCidr")):
            if getattr(vpn, name) is not None:
                out.append(finding("CONN-IPV4-OR-IPV6", f"{opath}.{api}", str(getattr(vpn, name)),
                                   f"{api} on an ipv4 connection: a connection carries either IPv4 or IPv6"))
    if vpn.enable_acceleration and not tgw:
        out.append(finding("CONN-ACCELERATION-TGW", f"{opath}.EnableAcceleration", True,
                           "acceleration is only for connections on a transit gateway"))
    out += check_enum("CONN-OUTSIDE-IP-TYPE", f"{opath}.OutsideIpAddressType", vpn.outside_ip_address_type)
    if vpn.outside_ip_address_type == "PrivateIpv4" and not vpn.transport_transit_gateway_attachment_id:
        out.append(finding("CONN-PRIVATE-IP-TRANSPORT", f"{opath}.TransportTransitGatewayAttachmentId", None,
                           "OutsideIpAddressType=PrivateIpv4 needs TransportTransitGatewayAttachmentId"))
    cgw = inv.customer_gateway(vpn)
    cgw_ip = cgw.ip_address if cgw else None
    if (vpn.outside_ip_address_type == "Ipv6" or (cgw_ip is not None and cgw_ip.version == 6)) and not tgw:
        out.append(finding("CONN-OUTSIDE-IPV6-TGW", f"{opath}.OutsideIpAddressType",
                           vpn.outside_ip_address_type,
                           "IPv6 outside addresses are supported only for connections on a transit gateway"))
    if vpn.tunnel_bandwidth is not None:
        out += check_enum("CONN-TUNNEL-BANDWIDTH", f"{opath}.TunnelBandwidth", vpn.tunnel_bandwidth)
        if vpn.tunnel_bandwidth == "large" and not tgw:
            out.append(finding("CONN-TUNNEL-BANDWIDTH", f"{opath}.TunnelBandwidth", "large",
                               "large tunnels (up to 5 Gbps) are only for connections on a transit gateway"))
    if cgw_ip is not None and cgw_ip.version == 4 and _is_private(cgw_ip) \
            and vpn.outside_ip_address_type != "PrivateIpv4":
        cpath = _cgw_path(vpn, inv, path)
        out.append(finding("CGW-IP-PUBLIC", f"{cpath}.IpAddress", str(cgw_ip),
                           f"customer gateway IP {cgw_ip} is private: behind NAT, give the NAT device's "
                           "public IP (and allow UDP 4500)"))

    # ASNs, routing.
    gw = inv.vpn_gateway(vpn) if vpn.vpn_gateway is not None else inv.transit_gateway(vpn)
    if cgw is not None and gw is not None and cgw.bgp_asn == gw.amazon_side_asn:
        sev = R.ERROR if vpn.routing == "bgp" else R.WARNING
        out.append(finding("CONN-ASN-DIFFERS", f"{path}.CustomerGatewayId", vpn.customer_gateway_id,
                           f"customer gateway ASN {cgw.bgp_asn} equals the Amazon-side ASN of {gw.id}",
                           severity=sev))
    if vpn.routes and not vpn.static_routes_only:
        out.append(finding("CONN-STATIC-VS-BGP", f"{path}.Routes", len(vpn.routes),
                           "static routes on a BGP (dynamic) connection: with BGP you cannot specify "
                           "static routes"))
    out += check_range("CONN-STATIC-ROUTE-LIMIT", f"{path}.Routes", len(vpn.routes) or None)
    if vpn.routes and tgw:
        out.append(finding("CONN-TGW-STATIC-ROUTES", f"{path}.Routes", len(vpn.routes),
                           "on a transit gateway static routes belong in the TGW route table"))
    if any(t.options.startup_action == "start" for t in vpn.tunnels) and cgw is not None and cgw_ip is None:
        i = next(i for i, t in enumerate(vpn.tunnels) if t.options.startup_action == "start")
        out.append(finding("CONN-STARTUP-NEEDS-CGW-IP", f"{opath}.TunnelOptions[{i}].StartupAction", "start",
                           f"AWS cannot start IKE: customer gateway {cgw.id} has no IP address"))
    return out


def _cgw_path(vpn: VpnConnection, inv: Inventory, conn_path: str) -> str:
    cgw = inv.customer_gateway(vpn)
    for j, c in enumerate(inv.customer_gateways):
        if c is cgw:
            return f"CustomerGateways[{j}]"
    return f"{conn_path}.CustomerGatewayId"


def validate(inventory: Inventory) -> list[Finding]:
    """Every documented rule over everything in ``inventory``: a list of all findings.

    Per object: customer gateways, VGWs, TGWs, connections and their tunnels. Across connections:
    inside CIDRs unique per VGW (error) and per TGW (warning; IPv6 error), connections per VGW.
    Errors come before warnings; within each, in document order.
    """
    inv = inventory
    out: list[Finding] = []
    for j, cgw in enumerate(inv.customer_gateways):
        out += validate_customer_gateway(cgw, f"CustomerGateways[{j}]", inv.region)
    for k, vgw in enumerate(inv.vpn_gateways):
        out += validate_vpn_gateway(vgw, f"VpnGateways[{k}]")
    for k, tgw in enumerate(inv.transit_gateways):
        out += _amazon_asn("TGW-ASN-RANGE", f"TransitGateways[{k}].AmazonSideAsn", tgw.amazon_side_asn,
                           legacy_ok=False)
    for i, vpn in enumerate(inv.vpn_connections):
        out += validate_connection(vpn, f"VpnConnections[{i}]", inv)
    out += _cross_connection(inv)
    return [f for f in out if f.severity == R.ERROR] + [f for f in out if f.severity != R.ERROR]


def _live(vpn: VpnConnection) -> bool:
    return vpn.state not in ("deleting", "deleted")


def _quotas(inv: Inventory) -> list[Finding]:
    out: list[Finding] = []
    live = [v for v in inv.vpn_connections if _live(v)]
    for rid, key, n in (("QUOTA-CGW-REGION", "CustomerGateways", len(inv.customer_gateways)),
                        ("QUOTA-VGW-REGION", "VpnGateways", len(inv.vpn_gateways)),
                        ("QUOTA-VPN-REGION", "VpnConnections", len(live)),
                        ("QUOTA-ACCELERATED-REGION", "VpnConnections",
                         sum(v.enable_acceleration for v in live))):
        limit = R.rule(rid).maximum
        if limit is not None and n > limit:
            out.append(finding(rid, key, n, f"{n} in one inventory: above the default quota of {limit} per "
                                             "Region (adjustable)"))
    seen: dict[tuple[Any, ...], int] = {}
    for j, c in enumerate(inv.customer_gateways):
        if c.ip_address is None:
            continue
        key = (c.type, c.ip_address, c.bgp_asn, c.device_name or "")
        if key in seen:
            out.append(finding("CGW-DUPLICATE", f"CustomerGateways[{j}].DeviceName", c.device_name,
                               f"same type, IP {c.ip_address} and ASN {c.bgp_asn} as "
                               f"CustomerGateways[{seen[key]}]: AWS would return that one instead of "
                               "creating this one"))
        else:
            seen[key] = j
    return out


def _cross_connection(inv: Inventory) -> list[Finding]:
    out: list[Finding] = _quotas(inv)
    seen: dict[tuple[str, str, Any], str] = {}
    per_vgw: dict[str, int] = {}
    for i, vpn in enumerate(inv.vpn_connections):
        if not _live(vpn):
            continue
        if vpn.vpn_gateway_id:
            per_vgw[vpn.vpn_gateway_id] = per_vgw.get(vpn.vpn_gateway_id, 0) + 1
        gw_kind, gw_id = (("tgw", vpn.transit_gateway_id) if vpn.on_transit_gateway
                          else ("vgw", vpn.vpn_gateway_id))
        if gw_id is None:
            continue
        for t_i, t in enumerate(vpn.tunnels):
            base = f"VpnConnections[{i}].Options.TunnelOptions[{t_i}]"
            for attr, api in (("tunnel_inside_cidr", "TunnelInsideCidr"),
                              ("tunnel_inside_ipv6_cidr", "TunnelInsideIpv6Cidr")):
                cidr = getattr(t.options, attr)
                if cidr is None:
                    continue
                key = (gw_kind, gw_id, cidr)
                if key not in seen:
                    seen[key] = f"{base}.{api}"
                    continue
                if gw_kind == "vgw":
                    rid = "CONN-INSIDE-CIDR-UNIQUE-VGW"
                elif cidr.version == 6:
                    rid = "CONN-INSIDE-V6-UNIQUE-TGW"
                else:
                    rid = "CONN-INSIDE-CIDR-REUSE-TGW"
                out.append(finding(rid, f"{base}.{api}", str(cidr),
                                   f"inside CIDR {cidr} is already used at {seen[key]} on {gw_id}"))
    for vgw_id, count in per_vgw.items():
        if count > R.rule("CONN-PER-VGW-QUOTA").maximum:  # type: ignore[operator]
            k = next((k for k, g in enumerate(inv.vpn_gateways) if g.id == vgw_id), None)
            path = f"VpnGateways[{k}]" if k is not None else f"VpnGateway {vgw_id}"
            out.append(finding("CONN-PER-VGW-QUOTA", path, count,
                               f"{count} VPN connections on {vgw_id}: above the default quota of 10 "
                               "(adjustable)"))
    return out


# --------------------------------------------------------------------------------------------------
# Changing an existing connection (ModifyVpnConnection, ModifyVpnConnectionOptions,
# ModifyVpnTunnelOptions; aws-facts.md §1.1, §1.5)

_CONNECTION_OPTION_ATTRS = (
    "static_routes_only", "local_ipv4_network_cidr", "remote_ipv4_network_cidr", "local_ipv6_network_cidr",
    "remote_ipv6_network_cidr", "tunnel_inside_ip_version", "enable_acceleration", "outside_ip_address_type",
    "transport_transit_gateway_attachment_id", "tunnel_bandwidth",
)


def _target(vpn: VpnConnection) -> tuple[str | None, str | None]:
    if vpn.transit_gateway is not None:
        return "tgw", vpn.transit_gateway_id
    if vpn.vpn_gateway is not None:
        return "vgw", vpn.vpn_gateway_id
    return None, None


def interrupted_tunnels(old: VpnConnection, new: VpnConnection) -> tuple[int, ...]:
    """Which tunnels (1-based) are unavailable while AWS applies the change from ``old`` to ``new``.

    Target gateway, customer gateway or connection options: both tunnels; one tunnel's options: that
    tunnel (https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html).
    """
    if (_target(old) != _target(new) or old.customer_gateway_id != new.customer_gateway_id
            or any(getattr(old, a) != getattr(new, a) for a in _CONNECTION_OPTION_ATTRS)):
        return tuple(range(1, len(new.tunnels) + 1))
    return tuple(i + 1 for i, (a, b) in enumerate(zip(old.tunnels, new.tunnels, strict=False))
                 if a.options != b.options)


def check_modification(old: VpnConnection, new: VpnConnection,
                       path: str = "VpnConnections[0]") -> list[Finding]:
    """Findings for changing an existing connection from ``old`` to ``new``.

    Errors: a target change that is not one of the four documented migrations, moving a VGW
    connection with static routes to a TGW, toggling acceleration, enabling IPv6. A warning lists
    the tunnels the change interrupts.
    """
    out: list[Finding] = []
    (ok, oid), (nk, nid) = _target(old), _target(new)
    if (ok, oid) != (nk, nid):
        if ok is not None and nk is None:
            out.append(finding("MOD-TARGET-CHANGE", f"{path}.VpnGatewayId", None,
                               f"moving from {ok.upper()} {oid} to no target gateway is not a documented "
                               "migration (VGW->VGW, VGW->TGW, TGW->TGW, TGW->VGW)"))
        if ok == "vgw" and nk == "tgw" and old.routes:
            out.append(finding("MOD-STATIC-ROUTES-TO-TGW", f"{path}.Routes", len(old.routes),
                               f"delete the {len(old.routes)} static route(s) before moving {oid} -> {nid}"))
    if old.enable_acceleration != new.enable_acceleration:
        out.append(finding("MOD-ACCELERATION-FIXED", f"{path}.Options.EnableAcceleration",
                           new.enable_acceleration, "acceleration cannot be turned on or off on an existing "
                           "connection: create a new one"))
    if old.tunnel_inside_ip_version == "ipv4" and new.tunnel_inside_ip_version == "ipv6":
        out.append(finding("MOD-IPV6-FIXED", f"{path}.Options.TunnelInsideIpVersion", "ipv6",
                           "IPv6 cannot be enabled on an existing connection: create a new one"))
    hit = interrupted_tunnels(old, new)
    if hit:
        out.append(finding("MOD-INTERRUPTION", f"{path}.Options", list(hit),
                           f"this change makes tunnel(s) {', '.join(map(str, hit))} unavailable while AWS "
                           "applies it" + (": both tunnels, so traffic stops" if len(hit) > 1 else "")))
    return out


def check_vpn_gateway_modification(old: VirtualPrivateGateway, new: VirtualPrivateGateway,
                                   path: str = "VpnGateways[0]") -> list[Finding]:
    """Findings for changing a VGW: its Amazon-side ASN is fixed at creation."""
    if old.amazon_side_asn != new.amazon_side_asn:
        return [finding("MOD-VGW-ASN-FIXED", f"{path}.AmazonSideAsn", new.amazon_side_asn,
                        f"the ASN of {old.id} is {old.amazon_side_asn} and cannot be changed")]
    return []


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """Only the error findings."""
    return [f for f in findings if f.severity == R.ERROR]


def two_tunnel_connection(id: str, customer_gateway: CustomerGateway | str, *,
                          vpn_gateway: VirtualPrivateGateway | str | None = None,
                          transit_gateway: TransitGateway | str | None = None,
                          inside_cidrs: Sequence[str] = ("169.254.10.0/30", "169.254.11.0/30"),
                          outside_ips: Sequence[str] = ("198.51.100.1", "198.51.100.2"),
                          azs: Sequence[str] = ("us-east-1a", "us-east-1b"),
                          **options: Any) -> VpnConnection:
    """A connection with two fully specified tunnels; ``options`` (TunnelOptions fields) apply to both."""
    tunnels = [Tunnel(TunnelOptions(tunnel_inside_cidr=c, **options), outside_ip_address=ip,
                      availability_zone=az)
               for c, ip, az in zip(inside_cidrs, outside_ips, azs, strict=True)]
    return VpnConnection(id, customer_gateway, vpn_gateway=vpn_gateway, transit_gateway=transit_gateway,
                         tunnels=tunnels)


__all__ = [
    "CustomerGateway", "Inventory", "StaticRoute", "TransitGateway", "TransitGatewayAttachment", "Tunnel",
    "VirtualPrivateGateway", "VpcAttachment", "VpnConnection", "check_modification",
    "check_vpn_gateway_modification", "errors", "interrupted_tunnels", "two_tunnel_connection", "validate",
    "validate_connection", "validate_customer_gateway", "validate_vpn_gateway",
]

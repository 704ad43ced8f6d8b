"""Read (and write) the JSON the AWS CLI prints for Site-to-Site VPN resources.

Accepted documents follow the EC2 API shapes (botocore ``ec2/2016-11-15/service-2.json``):

- ``aws ec2 describe-vpn-connections``   -> ``{"VpnConnections": [VpnConnection, ...]}``
- ``aws ec2 describe-customer-gateways`` -> ``{"CustomerGateways": [CustomerGateway, ...]}``
- ``aws ec2 describe-vpn-gateways``      -> ``{"VpnGateways": [VpnGateway, ...]}``
- ``aws ec2 describe-transit-gateways``  -> ``{"TransitGateways": [TransitGateway, ...]}``

One file may hold several of these keys (a merged export). :func:`inventory_from_json` builds an
:class:`~vpnlearn.aws.site_to_site.Inventory`; :func:`inventory_to_json` writes the same shapes
back, so model -> JSON -> model is lossless for every field the EC2 shapes hold (a tunnel's
Availability Zone and ``configured_on_device`` are not in the AWS output, so they are not kept).

Input that cannot be read raises :class:`~vpnlearn.errors.ParseError` (malformed JSON, with line and
column) or :class:`~vpnlearn.errors.ConfigError` naming the file and the JSON path of the field
(``VpnConnections[0].Options.TunnelOptions[1].TunnelInsideCidr``): a CIDR that does not parse, an
algorithm name the suite table does not know, a wrong type. Values that parse but break AWS's rules
are not errors here: :func:`vpnlearn.aws.site_to_site.validate` reports them as findings.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vpnlearn.aws.site_to_site import (
    BGP_ASN_MAX,
    CustomerGateway,
    Inventory,
    StaticRoute,
    TransitGateway,
    Tunnel,
    VirtualPrivateGateway,
    VpcAttachment,
    VpnConnection,
)
from vpnlearn.aws.tunnel_options import ALGORITHM_FIELDS, TunnelOptions
from vpnlearn.errors import ConfigError, ParseError

KNOWN_KEYS = ("VpnConnections", "CustomerGateways", "VpnGateways", "TransitGateways")


def load_json(text: str, source: str = "<string>") -> dict[str, Any]:
    """Parse JSON text; malformed JSON raises :class:`ParseError` with line and column."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                         what=source, offset=exc.pos) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: expected a JSON object with one of {', '.join(KNOWN_KEYS)}, "
                          f"got {type(doc).__name__}")
    if not any(k in doc for k in KNOWN_KEYS):
        raise ConfigError(f"{source}: no {', '.join(KNOWN_KEYS)} key; is this the output of "
                          "aws ec2 describe-vpn-connections?")
    return doc


_FIELD_MSG = re.compile(r"^field ([^:]+): ")


@contextlib.contextmanager
def _at(source: str, path: str) -> Iterator[None]:
    """Re-raise a ConfigError from a constructor with the file and the full JSON path."""
    try:
        yield
    except ConfigError as exc:
        msg = str(exc)
        m = _FIELD_MSG.match(msg)
        full = f"{path}.{m.group(1)}" if m else path
        rest = msg[m.end():] if m else msg
        if m and path.endswith(".Options") and m.group(1).startswith("Options."):
            full = f"{path}.{m.group(1)[len('Options.'):]}"
        raise ConfigError(f"{source}: {full}: {rest}") from None


class _Reader:
    """Typed access to one JSON object, naming the file and path in every error."""

    def __init__(self, obj: Any, path: str, source: str) -> None:
        if not isinstance(obj, dict):
            raise ConfigError(f"{source}: {path}: expected a JSON object, got {type(obj).__name__}")
        self.obj, self.path, self.source = obj, path, source

    def _get(self, key: str, types: tuple[type, ...], what: str, default: Any) -> Any:
        if key not in self.obj or self.obj[key] is None:
            return default
        value = self.obj[key]
        if isinstance(value, bool) and bool not in types:
            value = object()
        if not isinstance(value, types):
            raise ConfigError(f"{self.source}: {self.path}.{key}: expected {what}, got {self.obj[key]!r}")
        return value

    def str(self, key: str, default: Any = None) -> Any:
        return self._get(key, (str,), "a string", default)

    def int(self, key: str, default: Any = None) -> Any:
        return self._get(key, (int,), "an integer", default)

    def bool(self, key: str, default: Any = None) -> Any:
        return self._get(key, (bool,), "true or false", default)

    def list(self, key: str) -> list[Any] | None:
        return self._get(key, (list,), "a JSON list", None)

    def sub(self, key: str) -> _Reader | None:
        if key not in self.obj or self.obj[key] is None:
            return None
        return _Reader(self.obj[key], f"{self.path}.{key}", self.source)

    def items(self, key: str) -> list[_Reader]:
        return [_Reader(v, f"{self.path}.{key}[{i}]", self.source)
                for i, v in enumerate(self.list(key) or [])]

    def values(self, key: str) -> tuple[Any, ...] | None:
        """An EC2 ``[{"Value": x}, ...]`` list as a tuple of x (None if absent)."""
        if self.list(key) is None:
            return None
        out = []
        for item in self.items(key):
            if "Value" not in item.obj:
                raise ConfigError(f"{self.source}: {item.path}: expected {{\"Value\": ...}}")
            out.append(item.obj["Value"])
        return tuple(out)

    def tags(self) -> dict[str, str]:
        return {t.str("Key", ""): t.str("Value", "") for t in self.items("Tags")}


# --------------------------------------------------------------------------------------------------
# JSON -> model


def _asn(r: _Reader) -> tuple[int, str]:
    for key in ("BgpAsnExtended", "BgpAsn"):
        raw = r.obj.get(key)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
            raise ConfigError(f"{r.source}: {r.path}.{key}: expected an ASN number, got {raw!r}")
        return int(raw), key
    return 65000, "BgpAsn"


def customer_gateway_from_json(obj: Any, path: str = "CustomerGateways[0]",
                               source: str = "<json>") -> CustomerGateway:
    """One ``CustomerGateway`` object -> :class:`CustomerGateway`."""
    r = _Reader(obj, path, source)
    asn, asn_field = _asn(r)
    natural = "BgpAsnExtended" if asn > BGP_ASN_MAX else "BgpAsn"
    with _at(source, path):
        return CustomerGateway(
            id=r.str("CustomerGatewayId", ""), bgp_asn=asn, ip_address=r.str("IpAddress"),
            certificate_arn=r.str("CertificateArn"), device_name=r.str("DeviceName"),
            type=r.str("Type", "ipsec.1"), state=r.str("State", "available"),
            asn_field=None if asn_field == natural else asn_field,
            tags=r.tags())


def vpn_gateway_from_json(obj: Any, path: str = "VpnGateways[0]",
                          source: str = "<json>") -> VirtualPrivateGateway:
    """One ``VpnGateway`` object -> :class:`VirtualPrivateGateway`."""
    r = _Reader(obj, path, source)
    attachments = [VpcAttachment(a.str("VpcId", ""), a.str("State", "attached"))
                   for a in r.items("VpcAttachments")]
    with _at(source, path):
        return VirtualPrivateGateway(
            id=r.str("VpnGatewayId", ""), amazon_side_asn=r.int("AmazonSideAsn", 64512),
            attachments=attachments, state=r.str("State", "available"), type=r.str("Type", "ipsec.1"),
            availability_zone=r.str("AvailabilityZone"), tags=r.tags())


def transit_gateway_from_json(obj: Any, path: str = "TransitGateways[0]",
                              source: str = "<json>") -> TransitGateway:
    """One ``TransitGateway`` object (describe-transit-gateways) -> :class:`TransitGateway`."""
    r = _Reader(obj, path, source)
    opts = r.sub("Options") or _Reader({}, f"{path}.Options", source)
    with _at(source, path):
        return TransitGateway(id=r.str("TransitGatewayId", ""),
                              amazon_side_asn=opts.int("AmazonSideAsn", 64512),
                              vpn_ecmp_support=opts.str("VpnEcmpSupport", "enable") == "enable")


def tunnel_options_from_json(obj: Any, path: str, source: str = "<json>") -> TunnelOptions:
    """One ``TunnelOption`` object -> :class:`TunnelOptions` (absent fields take AWS's defaults)."""
    r = _Reader(obj, path, source)
    kw: dict[str, Any] = {}
    for attr, key in (("tunnel_inside_cidr", "TunnelInsideCidr"),
                      ("tunnel_inside_ipv6_cidr", "TunnelInsideIpv6Cidr"),
                      ("pre_shared_key", "PreSharedKey"), ("dpd_timeout_action", "DpdTimeoutAction"),
                      ("startup_action", "StartupAction")):
        if (v := r.str(key)) is not None:
            kw[attr] = v
    for attr, key in (("phase1_lifetime_seconds", "Phase1LifetimeSeconds"),
                      ("phase2_lifetime_seconds", "Phase2LifetimeSeconds"),
                      ("rekey_margin_time_seconds", "RekeyMarginTimeSeconds"),
                      ("rekey_fuzz_percentage", "RekeyFuzzPercentage"),
                      ("replay_window_size", "ReplayWindowSize"),
                      ("dpd_timeout_seconds", "DpdTimeoutSeconds")):
        if (v := r.int(key)) is not None:
            kw[attr] = v
    for attr, (key, _kind, _rule) in ALGORITHM_FIELDS.items():
        if (vals := r.values(key)) is not None:
            kw[attr] = vals
    if (vals := r.values("IkeVersions")) is not None:
        kw["ike_versions"] = vals
    if (v := r.bool("EnableTunnelLifecycleControl")) is not None:
        kw["enable_tunnel_lifecycle_control"] = v
    log = r.sub("LogOptions")
    cw = log.sub("CloudWatchLogOptions") if log else None
    if cw is not None:
        kw["log_enabled"] = cw.bool("LogEnabled", False)
        kw["log_group_arn"] = cw.str("LogGroupArn")
        if (v := cw.str("LogOutputFormat")) is not None:
            kw["log_output_format"] = v
    # Errors from list items carry "Phase1DHGroupNumbers[0]": point at the JSON element.
    try:
        return TunnelOptions(**kw)
    except ConfigError as exc:
        msg = str(exc)
        m = _FIELD_MSG.match(msg)
        if m:
            name = re.sub(r"\[(\d+)\]$", r"[\1].Value", m.group(1)) if "[" in m.group(1) else m.group(1)
            raise ConfigError(f"{source}: {path}.{name}: {msg[m.end():]}") from None
        raise ConfigError(f"{source}: {path}: {msg}") from None


def vpn_connection_from_json(obj: Any, path: str = "VpnConnections[0]", source: str = "<json>",
                             customer_gateways: dict[str, CustomerGateway] | None = None,
                             vpn_gateways: dict[str, VirtualPrivateGateway] | None = None,
                             transit_gateways: dict[str, TransitGateway] | None = None) -> VpnConnection:
    """One ``VpnConnection`` object -> :class:`VpnConnection`; gateway ids are resolved if known."""
    r = _Reader(obj, path, source)
    opts = r.sub("Options") or _Reader({}, f"{path}.Options", source)
    tunnel_objs = opts.items("TunnelOptions")
    telemetry = r.items("VgwTelemetry")
    tunnels: list[Tunnel] = []
    for t in tunnel_objs:
        topts = tunnel_options_from_json(t.obj, t.path, source)
        with _at(source, t.path):
            tunnels.append(Tunnel(topts, outside_ip_address=t.str("OutsideIpAddress")))
    if not tunnel_objs:  # older output: only telemetry
        for tel in telemetry:
            with _at(source, tel.path):
                tunnels.append(Tunnel(outside_ip_address=tel.str("OutsideIpAddress")))
    # Telemetry entries are matched to tunnels by outside IP (AWS does not promise the same order).
    for j, tel in enumerate(telemetry):
        with _at(source, tel.path):
            ip = Tunnel(outside_ip_address=tel.str("OutsideIpAddress")).outside_ip_address
        match = next((t for t in tunnels if ip is not None and t.outside_ip_address == ip), None)
        if match is None and j < len(tunnels) and tunnels[j].outside_ip_address is None:
            match = tunnels[j]
        if match is None:
            continue
        match.status = tel.str("Status")
        match.status_message = tel.str("StatusMessage")
        match.accepted_route_count = tel.int("AcceptedRouteCount")
        match.last_status_change = tel.str("LastStatusChange")
        match.certificate_arn = tel.str("CertificateArn")
        match.telemetry_index = j
    routes = []
    for rt in r.items("Routes"):
        with _at(source, rt.path):
            routes.append(StaticRoute(rt.str("DestinationCidrBlock", ""), rt.str("State", "available"),
                                      rt.str("Source", "Static")))
    cgw_id = r.str("CustomerGatewayId", "")
    vgw_id, tgw_id = r.str("VpnGatewayId"), r.str("TransitGatewayId")
    with _at(source, path):
        return VpnConnection(
            id=r.str("VpnConnectionId", ""),
            customer_gateway=(customer_gateways or {}).get(cgw_id, cgw_id),
            vpn_gateway=(vpn_gateways or {}).get(vgw_id, vgw_id) if vgw_id else None,
            transit_gateway=(transit_gateways or {}).get(tgw_id, tgw_id) if tgw_id else None,
            tunnels=tunnels,
            static_routes_only=opts.bool("StaticRoutesOnly", False),
            routes=routes,
            local_ipv4_network_cidr=opts.str("LocalIpv4NetworkCidr"),
            remote_ipv4_network_cidr=opts.str("RemoteIpv4NetworkCidr"),
            local_ipv6_network_cidr=opts.str("LocalIpv6NetworkCidr"),
            remote_ipv6_network_cidr=opts.str("RemoteIpv6NetworkCidr"),
            tunnel_inside_ip_version=opts.str("TunnelInsideIpVersion", "ipv4"),
            enable_acceleration=opts.bool("EnableAcceleration", False),
            outside_ip_address_type=opts.str("OutsideIpAddressType", "PublicIpv4"),
            transport_transit_gateway_attachment_id=opts.str("TransportTransitGatewayAttachmentId"),
            tunnel_bandwidth=opts.str("TunnelBandwidth"),
            state=r.str("State", "available"), category=r.str("Category", "VPN"),
            type=r.str("Type", "ipsec.1"), gateway_association_state=r.str("GatewayAssociationState"),
            customer_gateway_configuration=r.str("CustomerGatewayConfiguration"), tags=r.tags())


def inventory_from_json(*docs: dict[str, Any] | tuple[dict[str, Any], str],
                        region: str | None = None) -> Inventory:
    """Build one :class:`Inventory` from any number of describe-* documents.

    Each doc is a parsed JSON object, or a ``(object, source_name)`` pair so errors name the file.
    Connections refer to gateways by id; ids found in the documents become object references.
    """
    named = [d if isinstance(d, tuple) else (d, "<json>") for d in docs]
    inv = Inventory(region=region)
    for doc, source in named:
        r = _Reader(doc, "", source)
        for i, item in enumerate(r.list("CustomerGateways") or []):
            key = f"CustomerGateways[{len(inv.customer_gateways)}]"
            inv.sources[key] = f"{source}: CustomerGateways[{i}]"
            inv.customer_gateways.append(customer_gateway_from_json(item, f"CustomerGateways[{i}]", source))
        for i, item in enumerate(r.list("VpnGateways") or []):
            inv.sources[f"VpnGateways[{len(inv.vpn_gateways)}]"] = f"{source}: VpnGateways[{i}]"
            inv.vpn_gateways.append(vpn_gateway_from_json(item, f"VpnGateways[{i}]", source))
        for i, item in enumerate(r.list("TransitGateways") or []):
            inv.sources[f"TransitGateways[{len(inv.transit_gateways)}]"] = f"{source}: TransitGateways[{i}]"
            inv.transit_gateways.append(transit_gateway_from_json(item, f"TransitGateways[{i}]", source))
    cgws = {c.id: c for c in inv.customer_gateways}
    vgws = {g.id: g for g in inv.vpn_gateways}
    tgws = {g.id: g for g in inv.transit_gateways}
    for doc, source in named:
        for i, item in enumerate(_Reader(doc, "", source).list("VpnConnections") or []):
            inv.sources[f"VpnConnections[{len(inv.vpn_connections)}]"] = f"{source}: VpnConnections[{i}]"
            inv.vpn_connections.append(vpn_connection_from_json(item, f"VpnConnections[{i}]", source,
                                                                cgws, vgws, tgws))
    return inv


def load_files(paths: list[str | Path], region: str | None = None) -> Inventory:
    """Read describe-* JSON files into one :class:`Inventory` (errors name the file and the path)."""
    docs = []
    for p in paths:
        path = Path(p)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read file ({exc.strerror})") from None
        docs.append((load_json(text, str(path)), str(path)))
    return inventory_from_json(*docs, region=region)


# --------------------------------------------------------------------------------------------------
# model -> JSON


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _vals(values: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"Value": v} for v in values]


def _tags(tags: dict[str, str]) -> list[dict[str, str]] | None:
    return [{"Key": k, "Value": v} for k, v in tags.items()] or None


def tunnel_options_to_json(t: Tunnel) -> dict[str, Any]:
    """A :class:`Tunnel` as a ``TunnelOption`` object."""
    o = t.options
    d: dict[str, Any] = {
        "OutsideIpAddress": None if t.outside_ip_address is None else str(t.outside_ip_address),
        "TunnelInsideCidr": None if o.tunnel_inside_cidr is None else str(o.tunnel_inside_cidr),
        "TunnelInsideIpv6Cidr": None if o.tunnel_inside_ipv6_cidr is None else str(o.tunnel_inside_ipv6_cidr),
        "PreSharedKey": o.pre_shared_key,
        "Phase1LifetimeSeconds": o.phase1_lifetime_seconds,
        "Phase2LifetimeSeconds": o.phase2_lifetime_seconds,
        "RekeyMarginTimeSeconds": o.rekey_margin_time_seconds,
        "RekeyFuzzPercentage": o.rekey_fuzz_percentage,
        "ReplayWindowSize": o.replay_window_size,
        "DpdTimeoutSeconds": o.dpd_timeout_seconds,
        "DpdTimeoutAction": o.dpd_timeout_action,
    }
    for attr, (key, _kind, _rule) in ALGORITHM_FIELDS.items():
        d[key] = _vals(getattr(o, attr))
    d["IkeVersions"] = _vals(o.ike_versions)
    d["StartupAction"] = o.startup_action
    d["LogOptions"] = {"CloudWatchLogOptions": _drop_none({
        "LogEnabled": o.log_enabled, "LogGroupArn": o.log_group_arn, "LogOutputFormat": o.log_output_format})}
    d["EnableTunnelLifecycleControl"] = o.enable_tunnel_lifecycle_control
    return _drop_none(d)


def vpn_connection_to_json(vpn: VpnConnection) -> dict[str, Any]:
    """A :class:`VpnConnection` as a ``VpnConnection`` object of describe-vpn-connections."""
    cidr = lambda v: None if v is None else str(v)  # noqa: E731
    options = _drop_none({
        "EnableAcceleration": vpn.enable_acceleration,
        "StaticRoutesOnly": vpn.static_routes_only,
        "LocalIpv4NetworkCidr": cidr(vpn.local_ipv4_network_cidr),
        "RemoteIpv4NetworkCidr": cidr(vpn.remote_ipv4_network_cidr),
        "LocalIpv6NetworkCidr": cidr(vpn.local_ipv6_network_cidr),
        "RemoteIpv6NetworkCidr": cidr(vpn.remote_ipv6_network_cidr),
        "OutsideIpAddressType": vpn.outside_ip_address_type,
        "TransportTransitGatewayAttachmentId": vpn.transport_transit_gateway_attachment_id,
        "TunnelInsideIpVersion": vpn.tunnel_inside_ip_version,
        "TunnelBandwidth": vpn.tunnel_bandwidth,
        "TunnelOptions": [tunnel_options_to_json(t) for t in vpn.tunnels],
    })
    telemetry = [_drop_none({
        "AcceptedRouteCount": t.accepted_route_count, "LastStatusChange": t.last_status_change,
        "OutsideIpAddress": None if t.outside_ip_address is None else str(t.outside_ip_address),
        "Status": t.status, "StatusMessage": t.status_message, "CertificateArn": t.certificate_arn,
    }) for t in vpn.tunnels if t.status is not None]
    return _drop_none({
        "CustomerGatewayConfiguration": vpn.customer_gateway_configuration,
        "CustomerGatewayId": vpn.customer_gateway_id,
        "Category": vpn.category,
        "State": vpn.state,
        "Type": vpn.type,
        "VpnConnectionId": vpn.id,
        "VpnGatewayId": vpn.vpn_gateway_id,
        "TransitGatewayId": vpn.transit_gateway_id,
        "GatewayAssociationState": vpn.gateway_association_state,
        "Options": options,
        "Routes": [{"DestinationCidrBlock": str(r.destination_cidr_block), "Source": r.source,
                    "State": r.state} for r in vpn.routes] or None,
        "Tags": _tags(vpn.tags),
        "VgwTelemetry": telemetry or None,
    })


def customer_gateway_to_json(cgw: CustomerGateway) -> dict[str, Any]:
    """A :class:`CustomerGateway` as a describe-customer-gateways object (ASN as a string, as AWS prints)."""
    asn_key = cgw.asn_field or ("BgpAsnExtended" if cgw.bgp_asn > BGP_ASN_MAX else "BgpAsn")
    return _drop_none({
        asn_key: str(cgw.bgp_asn), "CustomerGatewayId": cgw.id,
        "IpAddress": None if cgw.ip_address is None else str(cgw.ip_address),
        "CertificateArn": cgw.certificate_arn, "State": cgw.state, "Type": cgw.type,
        "DeviceName": cgw.device_name, "Tags": _tags(cgw.tags)})


def vpn_gateway_to_json(vgw: VirtualPrivateGateway) -> dict[str, Any]:
    """A :class:`VirtualPrivateGateway` as a describe-vpn-gateways object."""
    return _drop_none({
        "AvailabilityZone": vgw.availability_zone, "State": vgw.state, "Type": vgw.type,
        "VpcAttachments": [{"State": a.state, "VpcId": a.vpc_id} for a in vgw.attachments],
        "VpnGatewayId": vgw.id, "AmazonSideAsn": vgw.amazon_side_asn, "Tags": _tags(vgw.tags)})


def transit_gateway_to_json(tgw: TransitGateway) -> dict[str, Any]:
    """A :class:`TransitGateway` as a describe-transit-gateways object (only the fields modelled)."""
    return {"TransitGatewayId": tgw.id,
            "Options": {"AmazonSideAsn": tgw.amazon_side_asn,
                        "VpnEcmpSupport": "enable" if tgw.vpn_ecmp_support else "disable"}}


def inventory_to_json(inv: Inventory) -> dict[str, Any]:
    """The whole inventory as one merged document (keys of the four describe-* outputs)."""
    doc: dict[str, Any] = {"VpnConnections": [vpn_connection_to_json(v) for v in inv.vpn_connections]}
    if inv.customer_gateways:
        doc["CustomerGateways"] = [customer_gateway_to_json(c) for c in inv.customer_gateways]
    if inv.vpn_gateways:
        doc["VpnGateways"] = [vpn_gateway_to_json(g) for g in inv.vpn_gateways]
    if inv.transit_gateways:
        doc["TransitGateways"] = [transit_gateway_to_json(g) for g in inv.transit_gateways]
    return doc


__all__ = [
    "customer_gateway_from_json", "customer_gateway_to_json", "inventory_from_json", "inventory_to_json",
    "load_files", "load_json", "transit_gateway_from_json", "tunnel_options_from_json",
    "tunnel_options_to_json", "vpn_connection_from_json", "vpn_connection_to_json", "vpn_gateway_from_json",
    "vpn_gateway_to_json",
]

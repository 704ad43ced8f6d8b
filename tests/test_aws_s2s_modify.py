"""Changing an existing connection: documented migrations, fixed settings, which tunnels go down."""

from __future__ import annotations

import copy
import dataclasses
import doctest

import pytest

from vpnlearn.aws import rules, site_to_site, tunnel_options
from vpnlearn.aws.site_to_site import (
    CustomerGateway,
    StaticRoute,
    TransitGateway,
    VirtualPrivateGateway,
    check_modification,
    check_vpn_gateway_modification,
    interrupted_tunnels,
    two_tunnel_connection,
)
from vpnlearn.errors import ConfigError


def vpn(**kw):
    c = CustomerGateway("cgw-1", bgp_asn=65010, ip_address="198.51.100.7")
    return two_tunnel_connection("vpn-1", c, pre_shared_key="Abcdefgh_1", **kw)


def ids(findings, severity="error"):
    return {f.rule_id for f in findings if f.severity == severity}


@pytest.mark.parametrize("old, new", [
    ("vgw-1", "vgw-2"), ("vgw-1", "tgw-1"), ("tgw-1", "tgw-2"), ("tgw-1", "vgw-1"), (None, "vgw-1"),
    (None, "tgw-1"),
])
def test_documented_migrations_are_allowed(old, new):
    def on(target):
        if target is None:
            return vpn()
        if target.startswith("vgw"):
            return vpn(vpn_gateway=VirtualPrivateGateway(target))
        return vpn(transit_gateway=TransitGateway(target))
    found = check_modification(on(old), on(new))
    assert ids(found) == set()
    assert ids(found, "warning") == {"MOD-INTERRUPTION"}
    assert interrupted_tunnels(on(old), on(new)) == (1, 2)


def test_removing_the_target_is_not_a_documented_migration():
    assert "MOD-TARGET-CHANGE" in ids(check_modification(vpn(vpn_gateway="vgw-1"), vpn()))


def test_vgw_to_tgw_needs_static_routes_deleted_first():
    old = vpn(vpn_gateway="vgw-1")
    old.static_routes_only = True
    old.routes = [StaticRoute("10.1.0.0/16")]
    new = vpn(transit_gateway="tgw-1")
    new.static_routes_only = True
    assert "MOD-STATIC-ROUTES-TO-TGW" in ids(check_modification(old, new))
    old.routes = []
    assert "MOD-STATIC-ROUTES-TO-TGW" not in ids(check_modification(old, new))


def test_acceleration_and_ipv6_are_fixed_at_creation():
    old = vpn(transit_gateway="tgw-1")
    new = copy.deepcopy(old)
    new.enable_acceleration = True
    assert "MOD-ACCELERATION-FIXED" in ids(check_modification(old, new))
    new = copy.deepcopy(old)
    new.tunnel_inside_ip_version = "ipv6"
    assert "MOD-IPV6-FIXED" in ids(check_modification(old, new))


def test_tunnel_option_change_interrupts_only_that_tunnel():
    old = vpn(vpn_gateway="vgw-1")
    new = copy.deepcopy(old)
    new.tunnels[1].options = dataclasses.replace(new.tunnels[1].options, dpd_timeout_seconds=45)
    assert interrupted_tunnels(old, new) == (2,)
    found = check_modification(old, new)
    assert [(f.rule_id, f.value) for f in found] == [("MOD-INTERRUPTION", [2])]


def test_customer_gateway_or_connection_option_change_interrupts_both():
    old = vpn(vpn_gateway="vgw-1")
    new = copy.deepcopy(old)
    new.customer_gateway = CustomerGateway("cgw-2", bgp_asn=65011, ip_address="198.51.100.8")
    assert interrupted_tunnels(old, new) == (1, 2)
    new = copy.deepcopy(old)
    new.static_routes_only = True
    assert interrupted_tunnels(old, new) == (1, 2)
    assert interrupted_tunnels(old, copy.deepcopy(old)) == ()
    assert check_modification(old, copy.deepcopy(old)) == []


def test_vgw_asn_is_fixed():
    old = VirtualPrivateGateway("vgw-1")
    assert check_vpn_gateway_modification(old, VirtualPrivateGateway("vgw-1")) == []
    found = check_vpn_gateway_modification(old, VirtualPrivateGateway("vgw-1", amazon_side_asn=65001))
    assert [f.rule_id for f in found] == ["MOD-VGW-ASN-FIXED"]


@pytest.mark.parametrize("module", [site_to_site, tunnel_options])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_modification_rules_are_in_the_one_table():
    mods = [r for r in rules.RULES.values() if r.applies_to == "modification"]
    assert {r.id for r in mods} == {"MOD-TARGET-CHANGE", "MOD-STATIC-ROUTES-TO-TGW", "MOD-ACCELERATION-FIXED",
                                    "MOD-IPV6-FIXED", "MOD-VGW-ASN-FIXED", "MOD-INTERRUPTION"}


def test_transit_gateway_vpn_attachment():
    tgw = TransitGateway("tgw-1")
    v = vpn()
    att = tgw.attach_vpn(v)
    assert (att.transit_gateway_id, att.resource_id, att.resource_type) == ("tgw-1", "vpn-1", "vpn")
    assert v.transit_gateway is tgw and tgw.attach_vpn(v) is att and len(tgw.attachments) == 1
    with pytest.raises(ConfigError, match="VpnGatewayId"):
        tgw.attach_vpn(vpn(vpn_gateway="vgw-1"))


def test_transit_gateway_attachment_quota(monkeypatch):
    monkeypatch.setattr(site_to_site, "TGW_ATTACHMENT_QUOTA", 2)
    tgw = TransitGateway("tgw-1")
    for i in range(2):
        tgw.attach_vpn(two_tunnel_connection(f"vpn-{i}", "cgw-1"))
    with pytest.raises(ConfigError, match="quota of 2 attachments"):
        tgw.attach_vpn(two_tunnel_connection("vpn-x", "cgw-1"))

"""The Client VPN endpoint model against AWS's documented rules (aws-facts.md §3, §9).

Expected values come from the AWS docs (cited per test), not from the implementation.
"""

from __future__ import annotations

import pytest

from vpnlearn.aws.clientvpn import (
    RULES,
    AuthenticationOption,
    ClientVpnEndpoint,
    TargetSubnet,
    resetting_changes,
    rules_table,
)
from vpnlearn.errors import ConfigError

CERT = AuthenticationOption("certificate-authentication", "arn:aws:acm:us-east-1:1:certificate/ca")
AD = AuthenticationOption("directory-service-authentication", "d-1234567890")
SAML = AuthenticationOption("federated-authentication", "arn:aws:iam::1:saml-provider/okta")
SUB_A = TargetSubnet("subnet-a", "10.0.1.0/24", "us-east-1a", "vpc-1")
SUB_B = TargetSubnet("subnet-b", "10.0.2.0/24", "us-east-1b", "vpc-1")


def endpoint(**kw: object) -> ClientVpnEndpoint:
    base: dict[str, object] = dict(client_cidr="10.100.0.0/16", vpc_id="vpc-1", vpc_cidrs=("10.0.0.0/16",),
                                   server_certificate_arn="arn:aws:acm:us-east-1:1:certificate/server",
                                   authentication=(CERT,))
    base.update(kw)
    return ClientVpnEndpoint(**base)  # type: ignore[arg-type]


def good() -> ClientVpnEndpoint:
    e = endpoint()
    e.associate(SUB_A)
    e.associate(SUB_B)
    e.authorize_ingress("10.0.0.0/16", all_users=True)
    return e


def rules_of(e: ClientVpnEndpoint, severity: str | None = "error") -> set[str]:
    return {f.rule_id for f in e.validate() if severity is None or f.severity == severity}


def test_good_endpoint_has_no_findings() -> None:
    e = good()
    assert e.validate() == []
    assert e.status == "available"


def test_rule_table_shape_and_urls() -> None:
    assert len(rules_table()) == len(RULES) >= 30
    for rid, rule in RULES.items():
        assert rule.rule_id == rid == rule.id
        assert rule.description
        for url in rule.doc_url.split(" ; "):
            assert url.startswith("https://docs.aws.amazon.com/"), (rid, url)


def test_aws_defaults() -> None:
    # CreateClientVpnEndpoint: udp, 443, 24 h session timeout, split tunnel off.
    e = endpoint()
    assert (e.transport, e.vpn_port, e.session_timeout_hours, e.split_tunnel) == ("udp", 443, 24, False)


# ---- client CIDR: /12 to /22, no overlap, fixed (API_CreateClientVpnEndpoint, cvpn-working-endpoints) ----

@pytest.mark.parametrize("cidr,ok", [("10.96.0.0/12", True), ("10.100.0.0/22", True), ("10.96.0.0/11", False),
                                     ("10.100.0.0/23", False), ("10.100.0.0/24", False)])
def test_client_cidr_size(cidr: str, ok: bool) -> None:
    e = endpoint(client_cidr=cidr)
    e.associate(SUB_A)
    e.associate(SUB_B)
    assert ("CVPN-CIDR-SIZE" not in rules_of(e)) is ok


def test_client_cidr_not_a_network() -> None:
    e = endpoint(client_cidr="10.100.0.1/16")
    [f] = [f for f in e.validate() if f.rule_id == "CVPN-CIDR-SIZE"]
    assert f.path == "client_cidr" and f.value == "10.100.0.1/16"


def test_client_cidr_overlaps_vpc_subnet_and_manual_route() -> None:
    e = endpoint(client_cidr="10.0.0.0/16")
    e.associate(SUB_A)
    msgs = [f.message for f in e.validate() if f.rule_id == "CVPN-CIDR-OVERLAP"]
    assert any("VPC CIDR 10.0.0.0/16" in m for m in msgs)
    assert any("subnet-a" in m for m in msgs)
    assert "CVPN-TN-OVERLAP" in rules_of(e)

    e2 = endpoint(client_cidr="172.16.0.0/16")
    e2.associate(SUB_A)
    e2.add_route("172.16.4.0/24", "subnet-a")
    assert any("manual route 172.16.4.0/24" in f.message
               for f in e2.validate() if f.rule_id == "CVPN-CIDR-OVERLAP")


@pytest.mark.parametrize("field", ["client_cidr", "transport", "authentication"])
def test_fixed_after_creation(field: str) -> None:
    with pytest.raises(ConfigError, match="cannot be changed after the endpoint is created"):
        good().modify(**{field: "x"})


def test_modifiable_fields() -> None:
    e = good().modify(split_tunnel=True, vpn_port=1194, session_timeout_hours=8)
    assert (e.split_tunnel, e.vpn_port, e.session_timeout_hours) == (True, 1194, 8)
    with pytest.raises(ConfigError, match="unknown"):
        good().modify(colour="blue")


def test_sizing_recommendation() -> None:
    # scaling-considerations: twice as many addresses as connections; 8,000 -> at least /18.
    small = endpoint(client_cidr="10.100.0.0/19", planned_connections=8000)
    assert "CVPN-CIDR-SIZING" in rules_of(small, None)
    big_enough = endpoint(client_cidr="10.100.0.0/18", planned_connections=8000)
    assert "CVPN-CIDR-SIZING" not in rules_of(big_enough, None)
    assert "CVPN-CIDR-SIZING" not in rules_of(good().modify(planned_connections=8000), None)


# ---- basics ----

@pytest.mark.parametrize("field,value,rule", [
    ("transport", "sctp", "CVPN-TRANSPORT"), ("vpn_port", 8443, "CVPN-PORT"),
    ("vpn_port", 1195, "CVPN-PORT"), ("session_timeout_hours", 6, "CVPN-SESSION-TIMEOUT"),
    ("session_timeout_hours", 48, "CVPN-SESSION-TIMEOUT"),
    ("dns_servers", ("10.0.0.2", "10.0.0.3", "8.8.8.8"), "CVPN-DNS"),
    ("dns_servers", ("not-an-ip",), "CVPN-DNS"),
    ("login_banner", "x" * 1401, "CVPN-BANNER"), ("server_certificate_arn", "", "CVPN-SERVER-CERT"),
    ("client_connect_handler", "arn:aws:lambda:us-east-1:1:function:my-handler", "CVPN-HANDLER"),
    ("crl_entries", 20_001, "CVPN-CRL-SIZE"), ("ip_address_type", "ipv5", "CVPN-IP-TYPE"),
])
def test_basic_rules_reject(field: str, value: object, rule: str) -> None:
    e = good()
    setattr(e, field, value)
    found = [f for f in e.validate() if f.rule_id == rule]
    assert found and all(f.severity == "error" for f in found)
    assert found[0].path.startswith(field)
    assert found[0].doc_url == RULES[rule].doc_url


@pytest.mark.parametrize("field,value", [
    ("transport", "tcp"), ("vpn_port", 1194), ("session_timeout_hours", 8), ("session_timeout_hours", 10),
    ("session_timeout_hours", 12), ("dns_servers", ("10.0.0.2", "10.0.0.3")), ("login_banner", "é" * 1400),
    ("client_connect_handler", "arn:aws:lambda:us-east-1:1:function:AWSClientVPN-check"),
    ("crl_entries", 20_000), ("ip_address_type", "dual-stack"),
])
def test_basic_rules_accept(field: str, value: object) -> None:
    e = good()
    setattr(e, field, value)
    assert e.validate() == []


def test_logging_needs_log_group() -> None:
    e = good()
    e.connection_logging = True
    assert rules_of(e) == {"CVPN-LOGGING"}
    e.cloudwatch_log_group = "/cvpn/connections"
    assert e.validate() == []


def test_all_findings_at_once() -> None:
    e = endpoint(client_cidr="10.0.0.0/24", transport="quic", vpn_port=80, session_timeout_hours=1,
                 authentication=(AD, SAML))
    e.associate(TargetSubnet("subnet-x", "10.0.9.0/28", "us-east-1a", "vpc-2"))
    got = rules_of(e)
    assert {"CVPN-CIDR-SIZE", "CVPN-CIDR-OVERLAP", "CVPN-TRANSPORT", "CVPN-PORT", "CVPN-SESSION-TIMEOUT",
            "CVPN-AUTH-COMBO", "CVPN-TN-SIZE", "CVPN-TN-VPC"} <= got
    for f in e.validate():
        assert f.path and f.message and f.doc_url.startswith("https://docs.aws.amazon.com/")
        assert f.rule_id in str(f) and f.path in str(f)


# ---- target networks (cvpn-working-target) ----

def test_status_pending_until_first_association() -> None:
    e = endpoint()
    assert e.status == "pending-associate"
    assert "CVPN-TN-NONE" in rules_of(e, "warning")
    e.associate(SUB_A)
    assert e.status == "available"


def test_association_adds_vpc_route_and_disassociation_removes_it() -> None:
    e = endpoint(vpc_cidrs=("10.0.0.0/16", "10.1.0.0/16"))
    e.associate(SUB_A)
    assert [(r.destination_cidr, r.target_subnet_id, r.origin) for r in e.routes] == [
        ("10.0.0.0/16", "subnet-a", "associate"), ("10.1.0.0/16", "subnet-a", "associate")]
    e.add_route("192.168.0.0/16", "subnet-a")
    e.disassociate("subnet-a")
    assert e.routes == [] and e.status == "pending-associate"
    with pytest.raises(ConfigError, match="subnet-a"):
        e.disassociate("subnet-a")


@pytest.mark.parametrize("cidr,ok", [("10.0.1.0/27", True), ("10.0.1.0/26", True), ("10.0.1.0/28", False)])
def test_subnet_at_least_slash_27(cidr: str, ok: bool) -> None:
    e = endpoint()
    e.associate(TargetSubnet("subnet-a", cidr, "us-east-1a", "vpc-1"))
    assert ("CVPN-TN-SIZE" not in rules_of(e)) is ok


def test_subnet_free_addresses() -> None:
    e = endpoint()
    e.associate(TargetSubnet("subnet-a", "10.0.1.0/24", "us-east-1a", "vpc-1", available_ips=19))
    assert "CVPN-TN-SIZE" in rules_of(e)


def test_one_subnet_per_az_same_vpc_two_recommended() -> None:
    e = endpoint()
    e.associate(SUB_A)
    assert rules_of(e, "warning") >= {"CVPN-TN-REDUNDANCY"}
    e.associate(TargetSubnet("subnet-c", "10.0.3.0/24", "us-east-1a", "vpc-1"))
    [f] = [f for f in e.validate() if f.rule_id == "CVPN-TN-AZ"]
    assert f.path == "target_networks[1].availability_zone" and "subnet-a" in f.message
    e2 = endpoint()
    e2.associate(SUB_A)
    e2.associate(TargetSubnet("subnet-z", "10.9.0.0/24", "us-east-1b", "vpc-9"))
    assert "CVPN-TN-VPC" in rules_of(e2)


def test_max_connections_by_subnets() -> None:
    # limits.html: 1 subnet -> 7,000; 2 -> 36,500.
    e = endpoint()
    assert e.max_connections() == 0
    e.associate(SUB_A)
    assert e.max_connections() == 7_000
    e.associate(SUB_B)
    assert e.max_connections() == 36_500


# ---- authentication combinations (client-authentication.html) ----

@pytest.mark.parametrize("opts,ok", [
    ((CERT,), True), ((AD,), True), ((SAML,), True), ((CERT, AD), True), ((CERT, SAML), True),
    ((AD, SAML), False), ((CERT, AD, SAML), False), ((), False),
])
def test_authentication_combinations(opts: tuple[AuthenticationOption, ...], ok: bool) -> None:
    e = good().modify(split_tunnel=False)
    e.authentication = opts
    assert ("CVPN-AUTH-COMBO" not in rules_of(e)) is ok


def test_one_idp_and_references() -> None:
    e = good()
    e.authentication = (CERT, SAML, AuthenticationOption("federated-authentication", "arn:other"))
    assert "CVPN-AUTH-SAML" in rules_of(e)
    e.authentication = (AuthenticationOption("certificate-authentication"),)
    [f] = [f for f in e.validate() if f.rule_id == "CVPN-AUTH-MUTUAL"]
    assert f.path == "authentication[0].reference"
    e.authentication = (AuthenticationOption("password-authentication", "x"),)
    assert "CVPN-AUTH-TYPE" in rules_of(e)


def test_self_service_portal_not_for_mutual_only() -> None:
    e = good()
    e.self_service_portal = "enabled"
    assert "CVPN-PORTAL" in rules_of(e)
    e.authentication = (CERT, SAML)
    assert "CVPN-PORTAL" not in rules_of(e)
    e.authentication = (CERT,)
    e.self_service_portal = "disabled"
    assert "CVPN-PORTAL" not in rules_of(e)


# ---- authorization: longest prefix match (cvpn-working-rules, ad-group-auth-rules) ----

def aws_example() -> ClientVpnEndpoint:
    """The five rules of AWS's troubleshooting page, in AWS's order."""
    e = good().modify(authorization_rules=[])
    e.authentication = (CERT, AD)
    e.authorize_ingress("10.1.0.0/16", group="Group1")
    e.authorize_ingress("0.0.0.0/0", group="Group1")
    e.authorize_ingress("0.0.0.0/0", group="Group2")
    e.authorize_ingress("0.0.0.0/0", group="Group3")
    e.authorize_ingress("172.131.0.0/16", group="Group2")
    return e


@pytest.mark.parametrize("group,dest,allowed", [
    ("Group1", "10.1.2.3", True), ("Group2", "10.1.2.3", False), ("Group3", "10.1.2.3", False),
    ("Group1", "172.131.9.9", False), ("Group2", "172.131.9.9", True), ("Group3", "172.131.9.9", False),
    ("Group1", "8.8.8.8", True), ("Group2", "8.8.8.8", True), ("Group3", "8.8.8.8", True),
    ("Group4", "8.8.8.8", False),
])
def test_authorization_aws_example(group: str, dest: str, allowed: bool) -> None:
    d = aws_example().authorize([group], dest)
    assert d.allowed is allowed, d.reason
    assert d.destination_ip == dest


def test_authorization_example_without_specific_rules_gives_everything() -> None:
    # "If you remove Rules 1 and 5, all three groups have access to all networks."
    e = aws_example()
    e.authorization_rules = [r for r in e.authorization_rules if r.destination_cidr == "0.0.0.0/0"]
    for g in ("Group1", "Group2", "Group3"):
        for dest in ("10.1.2.3", "172.131.9.9", "8.8.8.8"):
            assert e.authorize([g], dest).allowed


def test_authorization_reason_names_the_matched_cidr() -> None:
    d = aws_example().authorize(["Group3"], "10.1.2.3")
    assert d.matched_cidr == "10.1.0.0/16" and "0.0.0.0/0" in d.reason
    assert [r.access_group_id for r in d.rules] == ["Group1"]


def test_authorization_default_deny_and_all_users() -> None:
    e = good().modify(authorization_rules=[])
    d = e.authorize([], "10.0.1.5")
    assert not d.allowed and d.matched_cidr is None and "denied by default" in d.reason
    e.authorize_ingress("10.0.1.0/24", group="admins")
    assert not e.authorize(["devs"], "10.0.1.5").allowed
    e.authorize_ingress("10.0.1.0/24", all_users=True)
    assert e.authorize([], "10.0.1.5").allowed
    # a user in several groups: one of them is enough
    e2 = good().modify(authorization_rules=[])
    e2.authorize_ingress("10.0.0.0/16", group="admins")
    assert e2.authorize(["devs", "admins"], "10.0.200.1").allowed
    with pytest.raises(ConfigError, match="destination_ip"):
        e2.authorize(["admins"], "10.0.0.300")


def test_authorization_rule_shape_and_quota() -> None:
    e = good()
    e.authorize_ingress("10.0.0.0/16")                       # neither group nor all users
    e.authorize_ingress("10.0.0.0/16", group="g", all_users=True)
    e.authorize_ingress("10.0.0.0/33", all_users=True)
    e.authorize_ingress("10.0.0.0/16", group="x" * 256)
    shapes = [f for f in e.validate() if f.rule_id == "CVPN-AUTHZ-SHAPE"]
    assert {f.path for f in shapes} == {"authorization_rules[1]", "authorization_rules[2]",
                                        "authorization_rules[3].destination_cidr",
                                        "authorization_rules[4].access_group_id"}
    q = good()
    for i in range(200):
        q.authorize_ingress(f"10.0.{i}.0/24", all_users=True)
    assert "CVPN-AUTHZ-QUOTA" in rules_of(q)          # 201 rules
    q.authorization_rules.pop()
    assert "CVPN-AUTHZ-QUOTA" not in rules_of(q)      # 200 (§9 drift: 200, not 50)


def test_group_rule_on_mutual_only_endpoint_warns() -> None:
    e = good()
    e.authorize_ingress("10.0.5.0/24", group="S-1-5-21-1")
    assert "CVPN-AUTHZ-GROUPS" in rules_of(e, "warning")


# ---- route table and split tunnel (cvpn-working-routes, split-tunnel-vpn) ----

def test_route_full_tunnel() -> None:
    e = good()
    d = e.route("10.0.7.7")
    assert d.path == "vpn" and d.target_subnet_id == "subnet-a" and d.route is not None
    assert d.route.origin == "associate"
    assert e.route("8.8.8.8").path == "dropped"
    assert e.pushed_routes() == ("0.0.0.0/0",)
    e.add_route("0.0.0.0/0", "subnet-b")
    e.authorize_ingress("0.0.0.0/0", all_users=True)
    d = e.route("8.8.8.8")
    assert (d.path, d.target_subnet_id) == ("vpn", "subnet-b")


def test_route_split_tunnel_and_longest_prefix() -> None:
    e = good().modify(split_tunnel=True)
    e.add_route("10.0.2.0/24", "subnet-b")
    assert e.route("8.8.8.8").path == "local"
    assert e.route("10.0.2.9").target_subnet_id == "subnet-b"   # /24 beats the VPC /16
    assert e.route("10.0.9.9").target_subnet_id == "subnet-a"
    assert e.pushed_routes() == ("10.0.0.0/16", "10.0.2.0/24")


def test_route_rules() -> None:
    e = good().modify(split_tunnel=True)
    e.add_route("192.168.0.0/16", "subnet-zzz")
    e.add_route("0.0.0.0/0", "subnet-a")
    fs = e.validate()
    assert any(f.rule_id == "CVPN-ROUTE-TARGET" and f.value == "subnet-zzz" for f in fs)
    assert any(f.rule_id == "CVPN-SPLIT-DEFAULT" and f.severity == "warning" for f in fs)
    assert any(f.rule_id == "CVPN-AUTHZ-NO-RULE" and f.value == "192.168.0.0/16" for f in fs)


def test_route_quota_per_association() -> None:
    e = good()
    for i in range(99):      # plus the automatic VPC route = 100 on subnet-a
        e.add_route(f"172.16.{i}.0/24", "subnet-a")
    assert "CVPN-ROUTE-QUOTA" not in rules_of(e)
    e.add_route("172.17.0.0/24", "subnet-a")
    assert "CVPN-ROUTE-QUOTA" in rules_of(e)


def test_with_network_module_vpc_and_subnets() -> None:
    network = pytest.importorskip("vpnlearn.aws.network")
    vpc = network.VPC("vpc-9", ["10.9.0.0/16"])
    a = vpc.add_subnet("subnet-9a", "10.9.1.0/24", az="eu-west-1a")
    b = vpc.add_subnet("subnet-9b", "10.9.2.0/24", az="eu-west-1b")
    e = ClientVpnEndpoint.for_vpc(vpc, "10.200.0.0/22", server_certificate_arn="arn:s",
                                  authentication=(CERT,))
    e.associate(a)
    e.associate(b)
    e.authorize_ingress("10.9.0.0/16", all_users=True)
    assert e.validate() == []
    assert e.route("10.9.2.4").path == "vpn"
    assert e.dns_name == "cvpn-endpoint-0123456789abcdef0.prod.clientvpn.us-east-1.amazonaws.com"


def test_modify_returns_an_independent_copy() -> None:
    e = good()
    e2 = e.modify(split_tunnel=True)
    e2.add_route("192.168.0.0/16", "subnet-a")
    e2.authorize_ingress("192.168.0.0/16", all_users=True)
    assert len(e.routes) == 2 and len(e.authorization_rules) == 1


def test_access_needs_route_and_authorization() -> None:
    e = good().modify(authorization_rules=[])
    e.authentication = (CERT, AD)
    e.authorize_ingress("10.0.0.0/16", group="devs")
    e.authorize_ingress("172.16.0.0/16", all_users=True)     # authorized but no route
    assert e.access(["devs"], "10.0.3.3").reaches
    denied = e.access(["sales"], "10.0.3.3")
    assert not denied.reaches and denied.route.path == "vpn" and not denied.authorization.allowed
    no_route = e.access(["devs"], "172.16.0.9")
    assert not no_route.reaches and no_route.authorization.allowed and no_route.route.path == "dropped"
    split = e.modify(split_tunnel=True).access(["devs"], "172.16.0.9")
    assert not split.reaches and split.route.path == "local"


def test_vpc_with_ipv6_block() -> None:
    # An IPv6 VPC block is neither an error nor an IPv4 route (this model covers IPv4 traffic).
    e = endpoint(vpc_cidrs=("10.0.0.0/16", "2600:1f18:1234:5600::/56"))
    e.associate(SUB_A)
    e.associate(SUB_B)
    e.authorize_ingress("10.0.0.0/16", all_users=True)
    assert e.validate() == []
    assert [r.destination_cidr for r in e.routes] == ["10.0.0.0/16", "10.0.0.0/16"]
    bad = endpoint(vpc_cidrs=("banana",))
    assert any(f.path == "vpc_cidrs[0]" for f in bad.validate())


def test_dedicated_tenancy_vpc() -> None:
    e = good()
    e.vpc_tenancy = "dedicated"
    assert rules_of(e) == {"CVPN-TN-TENANCY"}


def test_groups_after_the_200th_are_ignored() -> None:
    # limits.html: a user can belong to at most 200 groups; later ones are ignored.
    e = good().modify(authorization_rules=[])
    e.authentication = (CERT, AD)
    e.authorize_ingress("10.0.0.0/16", group="g200")
    groups = [f"g{i}" for i in range(201)]              # g200 is the 201st group
    d = e.authorize(groups, "10.0.1.1")
    assert not d.allowed and "ignored" in d.reason
    assert e.authorize(groups[1:], "10.0.1.1").allowed    # now g200 is the 200th


def test_resetting_changes() -> None:
    before = good()
    assert resetting_changes(before, before.modify()) == []
    after = before.modify(vpn_port=1194, dns_servers=("10.0.0.2",), session_timeout_hours=12)
    after.authorize_ingress("10.1.0.0/16", all_users=True)
    got = {f.path for f in resetting_changes(before, after, crl_changed=True)}
    assert got == {"vpn_port", "dns_servers", "session_timeout_hours", "authorization_rules", "crl"}
    # routes reset connections only with split tunnel (they are pushed to clients)
    full = before.modify()
    full.add_route("192.168.0.0/16", "subnet-a")
    assert resetting_changes(before, full) == []
    split = before.modify(split_tunnel=True)
    split2 = split.modify()
    split2.add_route("192.168.0.0/16", "subnet-a")
    assert [f.path for f in resetting_changes(split, split2)] == ["routes"]
    assert [f.path for f in resetting_changes(before, split)] == ["split_tunnel", "routes"]

"""Cross-check: the step-by-step VPC lookup agrees with a one-line sort-key reading of the same AWS order.

The documented order (route-tables-priority.html; local-route rule from VPNRoutingTypes.html) can be read
as: drop propagated routes when the local route matches, then take the maximum of
(prefix length, class) with class static > prefix list > DX BGP > VPN static > VPN BGP. Random tables
must give the same winner both ways.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnlearn.aws.network import (
    PROPAGATED_SOURCES,
    VPC,
    Origin,
    PrefixList,
    Route,
    Target,
    TargetKind,
    parse_cidr,
    parse_ip,
)
from vpnlearn.errors import ConfigError

PREFIXES = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.1.0/24", "10.1.1.128/25", "10.2.0.0/16",
            "10.2.3.0/24", "192.168.0.0/16"]
ADDRESSES = ["10.1.1.1", "10.1.1.200", "10.1.9.9", "10.2.3.4", "10.2.9.9", "10.9.9.9", "192.168.1.1",
             "8.8.8.8"]
STATIC_TARGETS = ["igw-1", "nat-1", "eni-1", "pcx-1", "tgw-1"]

statics = st.dictionaries(st.sampled_from(PREFIXES), st.sampled_from(STATIC_TARGETS), max_size=4)
plists = st.lists(st.tuples(st.sampled_from(["pl-a", "pl-b", "pl-c"]),
                            st.sets(st.sampled_from(PREFIXES), min_size=1, max_size=3),
                            st.sampled_from(STATIC_TARGETS)), max_size=3, unique_by=lambda t: t[0])
props = st.lists(st.tuples(st.sampled_from(PREFIXES), st.sampled_from(PROPAGATED_SOURCES)), max_size=6)


def oracle(routes: tuple[Route, ...], address: str) -> Route | None:
    ip = parse_ip(address, field="a")
    matched = [r for r in routes if r.matching_cidr(ip) is not None]
    if any(r.origin is Origin.LOCAL for r in matched):
        matched = [r for r in matched if r.origin is not Origin.PROPAGATED]
    if not matched:
        return None

    def cls(r: Route) -> int:
        if r.origin is not Origin.PROPAGATED:
            return 1 if r.is_prefix_list else 0
        return 2 + PROPAGATED_SOURCES.index(r.source)

    best = min(matched, key=lambda r: (-r.matching_cidr(ip).prefixlen, cls(r), str(r.destination)))
    return best


@settings(max_examples=300, deadline=None)
@given(statics, plists, props, st.sampled_from(ADDRESSES))
def test_lookup_matches_sort_key_oracle(static: dict, pls: list, prop: list, address: str) -> None:
    table = VPC("vpc-a", ["10.1.0.0/16"]).main_route_table
    for dest, target in static.items():
        try:
            table.add(dest, target)
        except ConfigError:
            pass  # 10.1.0.0/16 is the local route's destination
    for pl_id, entries, target in pls:
        table.add(PrefixList(pl_id, sorted(entries)), target)
    vgw = Target(TargetKind.VIRTUAL_PRIVATE_GATEWAY, "vgw-1")
    for dest, source in prop:
        table.add_route(Route(parse_cidr(dest, field="d"), vgw, Origin.PROPAGATED, source))
    got = table.lookup(address)
    want = oracle(table.routes, address)
    if want is None:
        assert got.route is None
        return
    assert got.route is not None
    key = (got.route.destination, got.route.target, got.route.origin, got.route.source)
    assert key == (want.destination, want.target, want.origin, want.source), got.explain()
    # Every matched route other than the winner is eliminated by exactly one step.
    eliminated = [r for s in got.steps for r in s.eliminated]
    assert len(eliminated) == len(got.matched) - 1
    assert got.route not in eliminated


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.binary(max_size=8)))
def test_bad_cidr_and_address_raise_only_config_error(value: object) -> None:
    for parse in (parse_cidr, parse_ip):
        try:
            parse(value, field="destination", what="fuzz")  # type: ignore[arg-type]
        except ConfigError as exc:
            assert "fuzz: field destination" in str(exc)

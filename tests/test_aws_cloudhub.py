"""AWS VPN CloudHub (aws-facts §4): paths between spokes, AS_PATHs, validation."""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.aws.cloudhub import CloudHub
from vpnlearn.aws.network import VPC
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom


def demo(seed: int = 0) -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DemoRandom(seed)


@pytest.fixture
def hub() -> CloudHub:
    # The doc's example prefixes: 10.0.0.0/24 and 10.0.1.0/24 per site; the VPC elsewhere.
    h = CloudHub(vpc=VPC("vpc-a", ["172.31.0.0/16"]), rng=demo())
    h.add_site("new-york", asn=65001, prefixes=["10.0.0.0/24"])
    h.add_site("london", asn=65002, prefixes=["10.0.1.0/24"])
    h.add_site("tokyo", asn=65003, prefixes=["10.0.2.0/24", "10.0.3.0/24"])
    return h


@pytest.mark.parametrize("dest, egress, as_path", [
    ("10.0.1.9", "london", (64512, 65002)),
    ("10.0.2.9", "tokyo", (64512, 65003)),
    ("10.0.3.200", "tokyo", (64512, 65003)),
    ("172.31.5.5", "vpc-a", (64512,)),
])
def test_spoke_to_spoke_path_and_as_path(hub: CloudHub, dest: str, egress: str, as_path: tuple) -> None:
    result = hub.path("new-york", dest)
    assert result.delivered and result.egress == egress
    assert result.as_path == as_path
    assert result.hub_choice is not None and result.hub_choice.path is not None


def test_hub_readvertises_every_site_with_its_asn_prepended(hub: CloudHub) -> None:
    ads = {str(r.prefix): r for r in hub.advertised_to("london")}
    assert set(ads) == {"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "172.31.0.0/16"}
    assert ads["10.0.0.0/24"].as_path == (64512, 65001) and ads["10.0.0.0/24"].origin == "new-york"
    accepted, dropped = hub.received_routes("london")
    assert {str(r.prefix) for r in dropped} == {"10.0.1.0/24"}  # its own prefix comes back with its ASN
    assert len(accepted) == 4


def test_unknown_destination_is_dropped(hub: CloudHub) -> None:
    result = hub.path("new-york", "192.168.1.1")
    assert not result.delivered and "no route from the hub" in result.explain()


def test_destination_inside_own_site_never_reaches_hub(hub: CloudHub) -> None:
    assert not hub.path("new-york", "10.0.0.7").delivered


def test_site_down_withdraws_its_prefixes_from_others(hub: CloudHub) -> None:
    hub.set_tunnel_state("london", "tunnel1", "DOWN")
    assert hub.path("new-york", "10.0.1.9").egress == "london"  # tunnel2 still up
    hub.set_tunnel_state("london", "tunnel2", "DOWN")
    assert not hub.path("new-york", "10.0.1.9").delivered
    assert "10.0.1.0/24" not in {str(r.prefix) for r in hub.advertised_to("new-york")}


def test_hub_uses_one_tunnel_toward_a_site_and_fails_over(hub: CloudHub) -> None:
    first = hub.path("new-york", "10.0.1.9").hub_choice.path
    assert hub.path("tokyo", "10.0.1.9").hub_choice.path == first
    hub.set_tunnel_state("london", first.tunnel, "DOWN")
    assert hub.path("new-york", "10.0.1.9").hub_choice.path.tunnel != first.tunnel


def test_duplicate_asn_refused_naming_field(hub: CloudHub) -> None:
    with pytest.raises(ConfigError, match="site paris: field asn 65002 is already used by site london"):
        hub.add_site("paris", asn=65002, prefixes=["10.0.9.0/24"])


def test_overlapping_prefixes_refused_naming_field(hub: CloudHub) -> None:
    with pytest.raises(ConfigError, match=r"site paris: field prefixes\[1\] 10.0.0.0/16 overlaps site "):
        hub.add_site("paris", asn=65009, prefixes=["10.9.0.0/24", "10.0.0.0/16"])
    with pytest.raises(ConfigError, match=r"field prefixes\[1\] 10.8.0.0/25 overlaps prefixes\[0\]"):
        hub.add_site("rome", asn=65010, prefixes=["10.8.0.0/24", "10.8.0.0/25"])
    with pytest.raises(ConfigError, match="overlaps the VPC's CIDR 172.31.0.0/16"):
        hub.add_site("oslo", asn=65011, prefixes=["172.31.9.0/24"])


@pytest.mark.parametrize("kw, words", [
    ({"asn": 64512, "prefixes": ["10.7.0.0/24"]}, "equals the virtual private gateway's ASN"),
    ({"asn": 0, "prefixes": ["10.7.0.0/24"]}, "field asn must be an ASN"),
    ({"asn": 65020, "prefixes": ["10.7.0.1/24"]}, r"field prefixes\[0\]: '10.7.0.1/24' has host bits"),
    ({"asn": 65020, "prefixes": ["not-a-cidr"]}, r"field prefixes\[0\]"),
    ({"asn": 65020, "prefixes": []}, "field prefixes is empty"),
    ({"asn": 65020, "prefixes": ["10.7.0.0/24"], "routing": "static"}, "field routing must be 'bgp'"),
])
def test_site_validation(hub: CloudHub, kw: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        hub.add_site("bad", **kw)
    assert "bad" not in hub.sites


def test_duplicate_asn_when_not_strict_shows_why_it_breaks() -> None:
    hub = CloudHub(rng=demo(), strict=False)
    hub.add_site("a", asn=65001, prefixes=["10.0.0.0/24"])
    hub.add_site("b", asn=65001, prefixes=["10.0.1.0/24"])
    assert len(hub.problems) == 1 and "unique BGP ASN" in hub.problems[0]
    result = hub.path("a", "10.0.1.1")
    assert not result.delivered
    assert result.steps[-1].rule_id == "CLOUDHUB-UNIQUE-ASN"
    # The hub itself still knows the way: the loss is at the receiving site.
    assert hub.vgw.select("10.0.1.1").path is not None


def test_unknown_site_named() -> None:
    hub = CloudHub()
    with pytest.raises(ConfigError, match="field site 'x' is not a site"):
        hub.path("x", "10.0.0.1")


def test_reserved_cgw_asn_refused() -> None:
    hub = CloudHub(region="eu-west-1")
    with pytest.raises(ConfigError, match="field asn 7224 is reserved for customer gateways in all Regions"):
        hub.add_site("a", asn=7224, prefixes=["10.0.0.0/24"])
    with pytest.raises(ConfigError, match="field asn 9059 is reserved for customer gateways in eu-west-1"):
        hub.add_site("a", asn=9059, prefixes=["10.0.0.0/24"])
    CloudHub(region="us-east-1").add_site("a", asn=9059, prefixes=["10.0.0.0/24"])  # only in Ireland


def test_hub_asn_validated() -> None:
    with pytest.raises(ConfigError, match="field asn 65535 must be 64512-65534"):
        CloudHub(asn=65535)
    CloudHub(asn=7224)  # a pre-2018 default is still a VGW's ASN


def test_direct_connect_site_takes_part() -> None:
    hub = CloudHub(rng=demo())
    hub.add_site("branch", asn=65001, prefixes=["10.0.0.0/24"])
    hub.add_site("datacenter", asn=65010, prefixes=["10.50.0.0/16"], via="direct-connect")
    result = hub.path("branch", "10.50.1.1")
    assert result.egress == "datacenter" and result.as_path == (64512, 65010)
    with pytest.raises(ConfigError, match="on Direct Connect, not a VPN"):
        hub.set_tunnel_state("datacenter", "tunnel1", "DOWN")
    with pytest.raises(ConfigError, match="field via"):
        hub.add_site("x", asn=65011, prefixes=["10.60.0.0/16"], via="carrier-pigeon")

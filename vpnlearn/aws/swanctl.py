"""A strongSwan ``swanctl.conf`` for the customer gateway side of a modelled connection.

AWS offers downloadable sample configurations per vendor ("Download Configuration", or
``GetVpnConnectionDeviceSampleConfiguration``; aws-facts.md §8,
https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html#vpn-download-config).
Those files hold one section per tunnel ("IPsec Tunnel #1", "#2"), are set to the minimum
algorithms, use pre-shared keys, a route-based tunnel interface with a /30 inside address
(CGW .2, AWS .1), and BGP toward the AWS inside IP. This module writes the same thing for
strongSwan's ``swanctl``:

- one ``connections`` entry per tunnel (IKE SA to the tunnel's AWS outside IP) with one child SA in
  tunnel mode (AWS uses tunnel mode, RFC 4301) and XFRM interface ids (route-based, AWS is
  route-based: https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html);
- ``proposals`` / ``esp_proposals`` built from the tunnel's Phase 1 / Phase 2 lists, every AWS name
  mapped to strongSwan's through :mod:`vpnlearn.crypto.suites` (AEAD and CBC ciphers go in separate
  proposals, as strongSwan requires);
- lifetimes from AWS's: the CGW rekeys ``RekeyMarginTimeSeconds`` before each lifetime expires, with
  up to ``RekeyFuzzPercentage`` % of the margin of random jitter (``rand_time``);
- ``secrets`` with each tunnel's pre-shared key (a placeholder where AWS generates it).

Nothing here talks to the network; :func:`swanctl_conf` returns text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vpnlearn.aws.site_to_site import CustomerGateway, Inventory, Tunnel, VpnConnection
from vpnlearn.aws.tunnel_options import TunnelOptions
from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError

PSK_PLACEHOLDER = "REPLACE_WITH_TUNNEL_{n}_PRE_SHARED_KEY"
DPD_DELAY_SECONDS = 10  # AWS generic sample: "DPD interval 10, retries 3" (aws-facts.md §8)


@dataclass(frozen=True)
class TunnelProposals:
    """The strongSwan proposal strings for one tunnel (IKE and ESP), and the IKE version."""

    ike: tuple[str, ...]
    esp: tuple[str, ...]
    version: int


def _split_aead(names: tuple[str, ...]) -> tuple[list[suites.EncryptionAlg],
                                                 list[suites.EncryptionAlg]]:
    algs = [suites.encryption(n) for n in names]
    return [a for a in algs if a.aead], [a for a in algs if not a.aead]


def _uniq(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def tunnel_proposals(tunnel: Tunnel) -> TunnelProposals:
    """strongSwan proposals for one tunnel's options (AWS names mapped through the suite table)."""
    o = tunnel.options
    integ = [suites.integrity(n) for n in o.phase1_integrity_algorithms]
    prfs = _uniq([suites.prf_for_integrity(i).strongswan for i in integ])
    dh1 = _uniq([suites.dh_group(g).name for g in o.phase1_dh_group_numbers])
    aead, cbc = _split_aead(o.phase1_encryption_algorithms)
    version = 2 if "ikev2" in o.ike_versions else 1
    if version == 1:
        # strongSwan's IKEv1 cannot negotiate AEAD ciphers for the IKE SA (it drops them from the
        # proposal; seen with charon 5.9.8), so an IKEv1 tunnel needs AES-CBC in Phase 1.
        if not cbc:
            names = ", ".join(a.aws_name or a.name for a in aead)
            raise ConfigError("field Phase1EncryptionAlgorithms: an IKEv1-only tunnel needs AES128 or "
                              f"AES256 (CBC) in Phase 1; strongSwan's IKEv1 cannot use {names}")
        aead = []
    ike: list[str] = []
    if aead and prfs and dh1:
        ike.append("-".join([*_uniq([a.strongswan for a in aead]), *prfs, *dh1]))
    if cbc and integ and dh1:
        ike.append("-".join([*_uniq([a.strongswan for a in cbc]), *_uniq([i.strongswan for i in integ]),
                             *dh1]))
    integ2 = _uniq([suites.integrity(n).strongswan for n in o.phase2_integrity_algorithms])
    dh2 = _uniq([suites.dh_group(g).name for g in o.phase2_dh_group_numbers])
    aead2, cbc2 = _split_aead(o.phase2_encryption_algorithms)
    esp: list[str] = []
    if aead2:
        esp.append("-".join([*_uniq([a.strongswan for a in aead2]), *dh2]))
    if cbc2 and integ2:
        esp.append("-".join([*_uniq([a.strongswan for a in cbc2]), *integ2, *dh2]))
    if not ike or not esp:
        raise ConfigError("no usable IKE or ESP proposal: the tunnel's algorithm lists are empty or "
                          "incomplete (encryption, integrity and DH group are all needed)")
    return TunnelProposals(tuple(ike), tuple(esp), version)


def _rekey(lifetime: int, margin: int, fuzz: int) -> tuple[int, int, int]:
    """(rekey_time, over_time, rand_time): rekey ``margin`` s before expiry, jitter up to fuzz% of it."""
    margin = max(0, min(margin, lifetime - 1))
    return lifetime - margin, margin, (margin * fuzz) // 100


def _child_head(name: str, local_ts: str, remote_ts: str, props: TunnelProposals,
                o: TunnelOptions) -> list[str]:
    """The opening lines of a tunnel's CHILD_SA (the same on both ends): selectors, proposals, the
    Phase 2 rekey timing from AWS's lifetime, margin and fuzz, replay window, tunnel mode."""
    child_rekey, child_over, child_rand = _rekey(o.phase2_lifetime_seconds, o.rekey_margin_time_seconds,
                                                 o.rekey_fuzz_percentage)
    return [
        "        children {",
        f"            {name} {{",
        f"                local_ts = {local_ts}",
        f"                remote_ts = {remote_ts}",
        f"                esp_proposals = {', '.join(props.esp)}",
        f"                rekey_time = {child_rekey}s",
        f"                life_time = {child_rekey + child_over}s",
        f"                rand_time = {child_rand}s",
        f"                replay_window = {o.replay_window_size}",
        "                mode = tunnel",
    ]


def _name(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", s)


def inside_addresses(tunnel: Tunnel) -> tuple[str, str] | None:
    """(customer gateway, AWS) inside addresses with prefix: .2 and .1 of the /30, as AWS's samples."""
    net = tunnel.options.tunnel_inside_cidr
    if net is None:
        return None
    hosts = list(net.hosts()) if net.prefixlen == 30 else []
    if len(hosts) != 2:
        return None
    return f"{hosts[1]}/{net.prefixlen}", f"{hosts[0]}/{net.prefixlen}"


def swanctl_conf(vpn: VpnConnection, customer_gateway: CustomerGateway | None = None, *,
                 inventory: Inventory | None = None, local_addrs: str | None = None,
                 if_id_base: int = 1) -> str:
    """The ``swanctl.conf`` text for the customer gateway side of both tunnels of ``vpn``.

    ``customer_gateway`` defaults to the connection's own object (or the one in ``inventory``).
    ``local_addrs`` overrides the CGW's address (useful behind NAT). Tunnel *n* uses XFRM interface
    id ``if_id_base + n - 1``. Raises :class:`ConfigError` if a tunnel has no AWS outside IP.
    """
    cgw = customer_gateway
    if cgw is None:
        cgw = (inventory or Inventory([vpn])).customer_gateway(vpn)
    local_id = str(cgw.ip_address) if cgw is not None and cgw.ip_address is not None else "%any"
    local = local_addrs or local_id
    if not vpn.tunnels:
        raise ConfigError(f"VPN connection {vpn.id}: field Options.TunnelOptions: no tunnels to configure")
    local_ts = str(vpn.local_ipv4_network_cidr or "0.0.0.0/0")
    remote_ts = str(vpn.remote_ipv4_network_cidr or "0.0.0.0/0")
    if vpn.tunnel_inside_ip_version == "ipv6":
        local_ts = str(vpn.local_ipv6_network_cidr or "::/0")
        remote_ts = str(vpn.remote_ipv6_network_cidr or "::/0")

    lines = [
        f"# strongSwan swanctl.conf for AWS Site-to-Site VPN connection {vpn.id}",
        f"# customer gateway {vpn.customer_gateway_id}"
        + (f" (BGP ASN {cgw.bgp_asn})" if cgw is not None else "")
        + f", target gateway {vpn.vpn_gateway_id or vpn.transit_gateway_id or 'not associated'}",
        f"# routing: {'static' if vpn.static_routes_only else 'BGP (dynamic)'}; route-based: each tunnel "
        "is an XFRM interface (if_id)",
        "# generated by vpnlearn.aws.swanctl; algorithm names mapped through vpnlearn.crypto.suites",
        "",
        "connections {",
    ]
    secrets = ["secrets {"]
    for n, t in enumerate(vpn.tunnels, start=1):
        if t.outside_ip_address is None:
            raise ConfigError(f"VPN connection {vpn.id}: field Options.TunnelOptions[{n - 1}]."
                              "OutsideIpAddress: tunnel has no AWS outside IP address")
        o = t.options
        props = tunnel_proposals(t)
        ike_rekey, ike_over, ike_rand = _rekey(o.phase1_lifetime_seconds, o.rekey_margin_time_seconds,
                                               o.rekey_fuzz_percentage)
        name = _name(f"{vpn.id}-tunnel{n}")
        remote = str(t.outside_ip_address)
        if_id = if_id_base + n - 1
        inside = inside_addresses(t)
        lines += [
            f"    # IPsec Tunnel #{n}: AWS endpoint {remote}"
            + (f", AZ {t.availability_zone}" if t.availability_zone else ""),
        ]
        lines.append(f"    #   ip link add xfrm{if_id} type xfrm if_id {if_id}")
        if inside:
            lines.append(f"    #   ip addr add {inside[0]} dev xfrm{if_id}  (AWS inside: {inside[1]})")
            if not vpn.static_routes_only:
                lines.append(f"    #   BGP neighbor {inside[1].split('/')[0]}, hold time 30")
        lines += [
            f"    {name} {{",
            f"        version = {props.version}",
            f"        local_addrs = {local}",
            f"        remote_addrs = {remote}",
            f"        proposals = {', '.join(props.ike)}",
            f"        rekey_time = {ike_rekey}s",
            f"        over_time = {ike_over}s",
            f"        rand_time = {ike_rand}s",
            f"        dpd_delay = {DPD_DELAY_SECONDS}s",
        ]
        if props.version == 1:
            lines += ["        aggressive = no  # AWS supports IKEv1 main mode only",
                      f"        dpd_timeout = {o.dpd_timeout_seconds}s"]
        lines += [
            "        mobike = no",
            "        keyingtries = 0",
            "        local {",
            "            auth = psk",
            f"            id = {local_id}",
            "        }",
            "        remote {",
            "            auth = psk",
            f"            id = {remote}",
            "        }",
            *_child_head(name, local_ts, remote_ts, props, o),
            f"                if_id_in = {if_id}",
            f"                if_id_out = {if_id}",
            "                dpd_action = restart",
            "                close_action = restart",
            # AWS StartupAction=add: the CGW must start IKE; =start: AWS starts it, the CGW waits.
            f"                start_action = {'start' if o.startup_action == 'add' else 'none'}",
            "            }",
            "        }",
            "    }",
        ]
        psk = o.pre_shared_key if o.pre_shared_key else PSK_PLACEHOLDER.format(n=n)
        psk = psk.replace("\\", "\\\\").replace('"', '\\"')
        secrets += [
            f"    ike-{name} {{",
            f"        id-aws = {remote}",
            f"        id-cgw = {local_id}" if local_id != "%any" else "",
            f'        secret = "{psk}"',
            "    }",
        ]
    lines.append("}")
    lines.append("")
    lines += [s for s in secrets if s]
    lines.append("}")
    return "\n".join(lines) + "\n"


# AWS DpdTimeoutAction -> what a strongSwan stand-in for the AWS endpoint does (swanctl dpd_action).
# "none": AWS takes no action; strongSwan has no such action, so DPD is switched off (dpd_delay 0).
_DPD_ACTION = {"clear": "clear", "restart": "restart", "none": None}


def aws_endpoint_conf(vpn: VpnConnection, customer_gateway: CustomerGateway | None = None, *,
                      inventory: Inventory | None = None, remote_addrs: str | None = None) -> str:
    """A ``swanctl.conf`` for a strongSwan that stands in for the two AWS tunnel endpoints (labs only).

    Each tunnel listens on its AWS outside IP, accepts exactly the tunnel's configured algorithm
    lists, authenticates with the tunnel's pre-shared key, starts IKE itself only when
    ``StartupAction`` is ``start`` (AWS-initiated, IKEv2 only), and maps ``DpdTimeoutAction`` to
    strongSwan's ``dpd_action``. It is the mirror image of :func:`swanctl_conf`, so a lab can run
    both sides in network namespaces; it is not how AWS implements its endpoints.
    """
    cgw = customer_gateway
    if cgw is None:
        cgw = (inventory or Inventory([vpn])).customer_gateway(vpn)
    cgw_id = str(cgw.ip_address) if cgw is not None and cgw.ip_address is not None else "%any"
    remote = remote_addrs or cgw_id
    local_ts = str(vpn.remote_ipv4_network_cidr or "0.0.0.0/0")
    remote_ts = str(vpn.local_ipv4_network_cidr or "0.0.0.0/0")
    lines = [f"# strongSwan stand-in for the AWS endpoints of {vpn.id} (lab use only)", "", "connections {"]
    secrets = ["secrets {"]
    for n, t in enumerate(vpn.tunnels, start=1):
        if t.outside_ip_address is None:
            raise ConfigError(f"VPN connection {vpn.id}: field Options.TunnelOptions[{n - 1}]."
                              "OutsideIpAddress: tunnel has no AWS outside IP address")
        o = t.options
        props = tunnel_proposals(t)
        aws_ip = str(t.outside_ip_address)
        name = _name(f"aws-{vpn.id}-tunnel{n}")
        ike_rekey, ike_over, ike_rand = _rekey(o.phase1_lifetime_seconds, o.rekey_margin_time_seconds,
                                               o.rekey_fuzz_percentage)
        action = _DPD_ACTION.get(o.dpd_timeout_action, "clear")
        lines += [
            f"    {name} {{",
            f"        version = {0 if len(o.ike_versions) > 1 else props.version}",
            f"        local_addrs = {aws_ip}",
            f"        remote_addrs = {remote}",
            f"        proposals = {', '.join(props.ike)}",
            f"        rekey_time = {ike_rekey}s",
            f"        over_time = {ike_over}s",
            f"        rand_time = {ike_rand}s",
            f"        dpd_delay = {DPD_DELAY_SECONDS if action else 0}s",
        ]
        if props.version == 1 or len(o.ike_versions) > 1:
            lines.append(f"        dpd_timeout = {o.dpd_timeout_seconds}s")
        lines += [
            "        mobike = no",
            "        keyingtries = 0",
            "        local {", "            auth = psk", f"            id = {aws_ip}", "        }",
            "        remote {", "            auth = psk", f"            id = {cgw_id}", "        }",
            *_child_head(name, local_ts, remote_ts, props, o),
            f"                dpd_action = {action or 'clear'}",
            f"                start_action = {'start' if o.startup_action == 'start' else 'none'}",
            "            }",
            "        }",
            "    }",
        ]
        psk = o.pre_shared_key if o.pre_shared_key else PSK_PLACEHOLDER.format(n=n)
        psk = psk.replace("\\", "\\\\").replace('"', '\\"')
        secrets += [f"    ike-{name} {{", f"        id-aws = {aws_ip}",
                    *([f"        id-cgw = {cgw_id}"] if cgw_id != "%any" else []),
                    f'        secret = "{psk}"', "    }"]
    lines += ["}", "", *secrets, "}"]
    return "\n".join(lines) + "\n"


__all__ = ["PSK_PLACEHOLDER", "TunnelProposals", "aws_endpoint_conf", "inside_addresses", "swanctl_conf",
           "tunnel_proposals"]

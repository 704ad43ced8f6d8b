"""vpnlearn.aws: models of the AWS VPN options that check AWS's documented rules.

Site-to-Site VPN: :mod:`.rules` (the rule table), :mod:`.tunnel_options`, :mod:`.site_to_site`,
:mod:`.importer` (describe-* JSON), :mod:`.failover` (tunnel timeline), :mod:`.swanctl`.
Other areas add their public names below, one line each.
"""

from vpnlearn.aws.clientvpn import AuthenticationOption, ClientVpnEndpoint, TargetSubnet  # noqa: F401
from vpnlearn.aws.network import VPC, PrefixList, Route, RouteTable, Subnet  # noqa: F401
from vpnlearn.aws.rules import RULES, Finding, Rule, rules_table  # noqa: F401
from vpnlearn.aws.site_to_site import Inventory, VpnConnection, validate  # noqa: F401
from vpnlearn.aws.tunnel_options import TunnelOptions, validate_tunnel_options  # noqa: F401

"""AWS Client VPN as an executable model: an endpoint, its rules, and the decisions it makes.

A :class:`ClientVpnEndpoint` holds what ``CreateClientVpnEndpoint``, ``AssociateClientVpnTargetNetwork``,
``AuthorizeClientVpnIngress`` and ``CreateClientVpnRoute`` set. :meth:`ClientVpnEndpoint.validate`
checks it against AWS's documented rules and returns **all** findings (never stops at the first one),
each with the field path, the value, the rule id, a message and the AWS doc URL.
:meth:`ClientVpnEndpoint.authorize` and :meth:`ClientVpnEndpoint.route` answer "may this user reach
that address?" and "which way does a packet to that address go?", with the reason.

Every rule lives in :data:`RULES` (rule id, description, doc URL), the same shape as the
Site-to-Site rule table in :mod:`vpnlearn.aws.rules`. The facts come from the project's fact sheet
(``aws-facts.md`` §3); where AWS sources disagree (§9) the choice made here is written beside the
rule, with both sources.

The model is pure: no sockets, no clocks, no drawing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from vpnlearn.aws.rules import Finding
from vpnlearn.errors import ConfigError

IPv4Net = ipaddress.IPv4Network
Severity = Literal["error", "warning", "info"]

DOC = "https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/"
API_CREATE = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateClientVpnEndpoint.html"


@dataclass(frozen=True)
class Rule:
    """One documented AWS rule: an id, what it says, and where AWS says it."""

    rule_id: str
    description: str
    doc_url: str

    @property
    def id(self) -> str:
        """Same as :attr:`rule_id` (the name :mod:`vpnlearn.aws.rules` uses)."""
        return self.rule_id

    def as_row(self) -> dict[str, str]:
        """The rule as a flat dict (for a notebook table), keys as in :mod:`vpnlearn.aws.rules`."""
        return {"id": self.rule_id, "applies_to": "client_vpn_endpoint", "description": self.description,
                "doc_url": self.doc_url}


def _rules(*rows: tuple[str, str, str]) -> dict[str, Rule]:
    return {r[0]: Rule(*r) for r in rows}


RULES: dict[str, Rule] = _rules(
    # --- endpoint basics (aws-facts §3.1) ---
    ("CVPN-TRANSPORT", "Transport protocol is udp (default) or tcp; it cannot be changed after creation.",
     DOC + "cvpn-working-endpoints.html"),
    ("CVPN-PORT", "VPN port is 443 (default) or 1194, for both UDP and TCP.", API_CREATE),
    ("CVPN-DNS", "At most two DNS servers; with none, the device's own DNS is used.", API_CREATE),
    ("CVPN-SESSION-TIMEOUT", "Session timeout is 8, 10, 12 or 24 hours (default 24).", API_CREATE),
    ("CVPN-BANNER", "The login banner is UTF-8 text of at most 1,400 characters.",
     DOC + "cvpn-working-endpoints.html"),
    ("CVPN-SERVER-CERT", "Every endpoint needs a server certificate in ACM (same Region), whatever the "
     "authentication type.", DOC + "client-authentication.html"),
    # --- client CIDR (aws-facts §3.3) ---
    ("CVPN-CIDR-SIZE", "The client CIDR must be at least /22 and no larger than /12.", API_CREATE),
    ("CVPN-CIDR-OVERLAP", "The client CIDR cannot overlap the VPC CIDR of the associated subnets, the target "
     "subnets, or manually added routes.", DOC + "cvpn-working-endpoints.html"),
    ("CVPN-CIDR-FIXED", "The client CIDR, authentication options, client certificate and transport protocol "
     "cannot be changed after the endpoint is created.", DOC + "cvpn-working-endpoints.html"),
    ("CVPN-CIDR-SIZING", "Part of the client CIDR is reserved for the availability model: plan twice as many "
     "addresses as concurrent connections.", DOC + "scaling-considerations.html"),
    ("CVPN-IP-TYPE", "Endpoint and traffic IP address type is ipv4 (default), ipv6 or dual-stack. "
     "Drift (§9): the 2023 guide says IPv4 only (what-is.html); the current API allows ipv6 and "
     "dual-stack. Chosen: current API.", API_CREATE),
    # --- target networks (aws-facts §3.2) ---
    ("CVPN-TN-SIZE", "Each associated subnet must be /27 or larger and keep at least 20 free addresses.",
     DOC + "cvpn-working-target.html"),
    ("CVPN-TN-AZ", "Each associated subnet must be in a different Availability Zone.",
     DOC + "cvpn-working-target.html"),
    ("CVPN-TN-VPC", "All associated subnets must be in the same VPC (the endpoint's VPC).",
     DOC + "cvpn-working-target.html"),
    ("CVPN-TN-OVERLAP", "An associated subnet must not overlap the client CIDR.",
     "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateClientVpnTargetNetwork.html"),
    ("CVPN-TN-REDUNDANCY", "AWS recommends at least two associated subnets (two AZs) for availability.",
     DOC + "cvpn-working-target.html"),
    ("CVPN-TN-TENANCY", "Dedicated-tenancy VPCs are not supported for target networks.",
     DOC + "cvpn-working-target.html"),
    ("CVPN-TN-NONE", "The endpoint stays pending-associate (unusable) until the first subnet is associated.",
     DOC + "cvpn-working-target.html"),
    # --- authentication (aws-facts §3.4) ---
    ("CVPN-AUTH-TYPE", "Authentication types: certificate-authentication, directory-service-authentication, "
     "federated-authentication.",
     "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ClientVpnAuthenticationRequest.html"),
    ("CVPN-AUTH-COMBO", "Allowed: one method alone, mutual + federated, or mutual + Active Directory. "
     "(The quiz line 'mutual alone or mutual with AD/SAML' in the fact sheet omits AD-alone and "
     "SAML-alone; §3.4 allows them. Chosen: §3.4.)", DOC + "client-authentication.html"),
    ("CVPN-AUTH-MUTUAL", "Mutual authentication needs a client root certificate chain in ACM (or the server "
     "certificate ARN when both come from the same CA).", DOC + "client-authentication.html#mutual"),
    ("CVPN-AUTH-AD", "Active Directory authentication needs a directory in the same account and Region.",
     DOC + "client-authentication.html"),
    ("CVPN-AUTH-SAML", "Federated authentication needs an IAM SAML identity provider; only one IdP per "
     "endpoint.", DOC + "client-authentication.html#federated-authentication"),
    # --- certificates (checked in vpnlearn.aws.pki) ---
    ("CVPN-CERT-KEY", "Mutual-authentication keys must be 1024-bit or 2048-bit RSA (UG-2023; UNCONFIRMED "
     "whether this changed later). 1024-bit is accepted by AWS but weak.", DOC + "client-authentication.html"
     "#mutual"),
    ("CVPN-CERT-CN", "The client certificate must have a CN in its Subject.",
     DOC + "client-authentication.html#mutual"),
    ("CVPN-CERT-SERVER", "The server certificate needs keyUsage (digitalSignature, keyEncipherment for RSA), "
     "extendedKeyUsage serverAuth and a subjectAltName DNS name (OpenVPN's remote-cert-tls server and the "
     "easy-rsa server profile AWS documents).", DOC + "client-authentication.html#mutual"),
    ("CVPN-CERT-CLIENT", "A client certificate needs keyUsage digitalSignature and extendedKeyUsage "
     "clientAuth (easy-rsa client profile AWS documents).", DOC + "client-authentication.html#mutual"),
    ("CVPN-CERT-CA", "The CA certificate needs basicConstraints CA:TRUE and keyUsage keyCertSign "
     "(and cRLSign to sign the CRL).", DOC + "client-authentication.html#mutual"),
    ("CVPN-CERT-CHAIN", "A certificate must be signed by the CA given and be valid at the time given.",
     DOC + "client-authentication.html#mutual"),
    # --- CRL (aws-facts §3.5) ---
    ("CVPN-CRL-SIZE", "A CRL holds at most 20,000 entries (not adjustable).", DOC + "limits.html"),
    ("CVPN-RESET", "These changes reset existing client connections: server certificate, DNS servers, "
     "split-tunnel on/off, routes (with split tunnel), CRL, authorization rules, VPN port. Lowering the "
     "session timeout disconnects sessions older than the new value. Changes take effect up to 4 hours "
     "after the request.", DOC + "cvpn-working-endpoints.html ; " + DOC + "cvpn-working-max-duration.html"),
    ("CVPN-USER-GROUPS", "A user can belong to at most 200 groups; groups after the 200th are ignored.",
     DOC + "limits.html"),
    ("CVPN-CRL-RESET", "Importing a CRL overwrites the list and resets existing client connections.",
     "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/"
     "API_ImportClientVpnClientCertificateRevocationList.html"),
    ("CVPN-CRL-VALID", "The CRL must be signed by the client CA and be current (OpenVPN: an expired or "
     "future-dated CRL locks out every client; a CRL signed by another CA is ignored).",
     DOC + "cvpn-working-certificates.html"),
    # --- authorization (aws-facts §3.6) ---
    ("CVPN-AUTHZ-LPM", "Authorization rules are indexed on destination CIDRs and evaluated by longest prefix "
     "match; 0.0.0.0/0 is processed last. Only the rules of the most specific matching CIDR decide: a "
     "group not named there is denied, even if a broader rule names it. Default: deny.",
     DOC + "cvpn-working-rules.html ; " + DOC + "ad-group-auth-rules.html"),
    ("CVPN-AUTHZ-SHAPE", "A rule grants either all users or one group (AD group SID or SAML group); a group "
     "ID is at most 255 characters.",
     "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeClientVpnIngress.html ; "
     + DOC + "limits.html"),
    ("CVPN-AUTHZ-QUOTA", "At most 200 authorization rules per endpoint. Drift (§9): 50 in the 2023 guide, "
     "200 live. Chosen: 200.", DOC + "limits.html"),
    ("CVPN-AUTHZ-GROUPS", "Group rules need user-based authentication (AD or SAML); with mutual "
     "authentication alone no user has groups.", DOC + "client-authorization.html"),
    ("CVPN-AUTHZ-NO-RULE", "A route without an authorization rule covering it carries no traffic: access "
     "must be granted explicitly.", DOC + "cvpn-working-rules.html"),
    # --- routes and split tunnel (aws-facts §3.7) ---
    ("CVPN-ROUTE-TARGET", "A route's target must be an associated subnet; the VPC route is added "
     "automatically on association and removed only by disassociating.", DOC + "cvpn-working-routes.html"),
    ("CVPN-ROUTE-QUOTA", "At most 100 routes per target network association. Drift (§9): 2023 guide says 10 "
     "per endpoint; live says 100 per association. Chosen: 100 per association.", DOC + "limits.html"),
    ("CVPN-SPLIT-DEFAULT", "A 0.0.0.0/0 route is not recommended with split tunnel.",
     DOC + "split-tunnel-vpn.html"),
    ("CVPN-SPLIT", "Split tunnel is off by default: the client's routes are overwritten with 0.0.0.0/0 "
     "through the VPN. With split tunnel on, only the endpoint's routes are pushed.",
     DOC + "split-tunnel-vpn.html"),
    # --- portal, handler, logging (aws-facts §3.8) ---
    ("CVPN-PORTAL", "The self-service portal is not available to mutual-authentication-only clients. The API "
     "lists 'Default Value: enabled'; here unset means 'AWS default' and only an explicit 'enabled' on a "
     "mutual-only endpoint is an error.", DOC + "cvpn-self-service-portal.html ; " + API_CREATE),
    ("CVPN-HANDLER", "The client connect handler is a Lambda whose name starts with AWSClientVPN-; it runs "
     "after authentication and before authorization, with a fixed 30 s timeout.",
     DOC + "connection-authorization.html"),
    ("CVPN-LOGGING", "Connection logging needs a CloudWatch Logs log group when enabled.",
     DOC + "connection-logging.html"),
)


def finding(path: str, value: object, rule: str, message: str, severity: Severity = "error") -> Finding:
    """Build a :class:`~vpnlearn.aws.rules.Finding` for a rule of :data:`RULES` (doc URL from the table).

    Client VPN findings use the same :class:`Finding` type as the Site-to-Site rules, so one report,
    table or CLI shows both.
    """
    if rule not in RULES:
        raise ConfigError(f"unknown Client VPN rule id {rule!r}")
    return Finding(severity=severity, path=path, value=value, rule_id=rule, message=message,
                   doc_url=RULES[rule].doc_url)


# --------------------------------------------------------------------------------------------------
# The pieces of an endpoint
# --------------------------------------------------------------------------------------------------

AuthType = Literal["certificate-authentication", "directory-service-authentication",
                   "federated-authentication"]
AUTH_TYPES: tuple[str, ...] = ("certificate-authentication", "directory-service-authentication",
                               "federated-authentication")
USER_BASED = ("directory-service-authentication", "federated-authentication")


@dataclass(frozen=True)
class AuthenticationOption:
    """One entry of ``AuthenticationOptions``.

    ``reference`` is the ARN or id the type needs: the client root certificate chain ARN for
    ``certificate-authentication``, the directory id for ``directory-service-authentication``, the
    IAM SAML provider ARN for ``federated-authentication``.
    """

    type: str
    reference: str = ""


@dataclass(frozen=True)
class TargetSubnet:
    """A subnet as Client VPN sees it: id, CIDR, Availability Zone, VPC, and free addresses."""

    subnet_id: str
    cidr: str
    availability_zone: str
    vpc_id: str
    available_ips: int | None = None

    @property
    def network(self) -> IPv4Net:
        """The subnet's CIDR as an IPv4 network."""
        return ipaddress.ip_network(self.cidr)  # type: ignore[return-value]

    @classmethod
    def from_subnet(cls, subnet: object, vpc_id: str | None = None) -> TargetSubnet:
        """Adapt another module's subnet object (e.g. :mod:`vpnlearn.aws.network`'s ``Subnet``)."""
        if isinstance(subnet, TargetSubnet):
            return subnet

        def pick(*names: str) -> object:
            for n in names:
                v = getattr(subnet, n, None)
                if v is not None:
                    return v
            return None

        sid = pick("subnet_id", "id", "name")
        cidr = pick("cidr", "cidr_block", "network")
        az = pick("availability_zone", "az")
        vpc = vpc_id or pick("vpc_id")
        if vpc is None:
            parent = pick("vpc")
            if parent is not None:
                vpc = getattr(parent, "vpc_id", None) or getattr(parent, "id", None)
        if sid is None or cidr is None or az is None or vpc is None:
            raise ConfigError(f"cannot read subnet id, CIDR, AZ and VPC from {subnet!r}")
        free = pick("available_ips", "available_ip_address_count")
        return cls(str(sid), str(cidr), str(az), str(vpc), int(free) if free is not None else None)


@dataclass(frozen=True)
class AuthorizationRule:
    """An ingress authorization rule: a destination CIDR and who may reach it (a group, or all users)."""

    destination_cidr: str
    access_group_id: str | None = None
    authorize_all_groups: bool = False
    description: str = ""

    @property
    def network(self) -> IPv4Net:
        """The destination CIDR as an IPv4 network."""
        return ipaddress.ip_network(self.destination_cidr)  # type: ignore[return-value]

    def grants(self, user_groups: Iterable[str]) -> bool:
        """True if this rule lets a user with these groups through."""
        return self.authorize_all_groups or (self.access_group_id is not None
                                             and self.access_group_id in set(user_groups))

    def who(self) -> str:
        """'all users' or 'group <id>', for reasons and tables."""
        return "all users" if self.authorize_all_groups else f"group {self.access_group_id!r}"


@dataclass(frozen=True)
class Route:
    """A route in the endpoint's route table: destination CIDR -> associated subnet.

    ``origin`` is ``"associate"`` for the VPC route added on association, ``"add-route"`` for manual
    routes (AWS's ``Origin`` field).
    """

    destination_cidr: str
    target_subnet_id: str
    origin: Literal["associate", "add-route"] = "add-route"
    description: str = ""

    @property
    def network(self) -> IPv4Net:
        """The destination CIDR as an IPv4 network."""
        return ipaddress.ip_network(self.destination_cidr)  # type: ignore[return-value]


@dataclass(frozen=True)
class AuthorizationDecision:
    """The answer of :meth:`ClientVpnEndpoint.authorize`."""

    allowed: bool
    destination_ip: str
    matched_cidr: str | None
    rules: tuple[AuthorizationRule, ...]
    reason: str
    doc_url: str = RULES["CVPN-AUTHZ-LPM"].doc_url


@dataclass(frozen=True)
class RouteDecision:
    """The answer of :meth:`ClientVpnEndpoint.route`.

    ``path`` is ``"vpn"`` (into the tunnel and out of the associated subnet ``target_subnet_id``),
    ``"local"`` (split tunnel: the client sends it on its own network, the VPN never sees it) or
    ``"dropped"`` (it enters the tunnel but the endpoint has no route).
    """

    path: Literal["vpn", "local", "dropped"]
    destination_ip: str
    route: Route | None
    target_subnet_id: str | None
    reason: str
    doc_url: str = RULES["CVPN-SPLIT"].doc_url


@dataclass(frozen=True)
class AccessDecision:
    """The answer of :meth:`ClientVpnEndpoint.access`: route and authorization together."""

    reaches: bool
    route: RouteDecision
    authorization: AuthorizationDecision
    reason: str


# Fields AWS never lets you change after creation (CVPN-CIDR-FIXED).
FIXED_AFTER_CREATION = ("client_cidr", "transport", "authentication")

# Current quotas (aws-facts §3.9, LIVE), drift choices in RULES.
MAX_AUTH_RULES = 200
MAX_ROUTES_PER_ASSOCIATION = 100
MAX_CRL_ENTRIES = 20_000
MAX_GROUPS_PER_USER = 200
CONNECTIONS_BY_SUBNETS = {1: 7_000, 2: 36_500, 3: 66_500, 4: 96_500, 5: 126_000}


def _net(text: str) -> IPv4Net | None:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except (ValueError, TypeError):
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def _is_ipv6_net(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_network(text, strict=False), ipaddress.IPv6Network)
    except (ValueError, TypeError):
        return False


def _addr(text: str, what: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what}: {text!r} is not an IPv4 address") from exc


@dataclass
class ClientVpnEndpoint:
    """An AWS Client VPN endpoint with its associations, authorization rules and route table.

    Defaults are AWS's (udp, 443, 24 h, split tunnel off). Build one, associate subnets with
    :meth:`associate`, add :meth:`authorize_ingress` rules and :meth:`add_route` routes, then call
    :meth:`validate` for every finding. Building never raises for a rule AWS would reject: the
    findings say what is wrong, so a learner can see all of it at once.
    """

    client_cidr: str
    vpc_id: str
    vpc_cidrs: tuple[str, ...]
    server_certificate_arn: str = ""
    authentication: tuple[AuthenticationOption, ...] = ()
    transport: str = "udp"
    vpn_port: int = 443
    session_timeout_hours: int = 24
    split_tunnel: bool = False
    dns_servers: tuple[str, ...] = ()
    self_service_portal: Literal["enabled", "disabled"] | None = None
    login_banner: str | None = None
    ip_address_type: str = "ipv4"
    connection_logging: bool = False
    cloudwatch_log_group: str | None = None
    client_connect_handler: str | None = None
    endpoint_id: str = "cvpn-endpoint-0123456789abcdef0"
    region: str = "us-east-1"
    planned_connections: int | None = None
    crl_entries: int = 0
    vpc_tenancy: str = "default"
    target_networks: list[TargetSubnet] = field(default_factory=list)
    authorization_rules: list[AuthorizationRule] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)

    # ---- building --------------------------------------------------------------------------------
    @classmethod
    def for_vpc(cls, vpc: object, client_cidr: str, **options: object) -> ClientVpnEndpoint:
        """An endpoint in a :class:`vpnlearn.aws.network.VPC` (its id and CIDR blocks are read)."""
        vpc_id = getattr(vpc, "id", None) or getattr(vpc, "vpc_id", None)
        cidrs = getattr(vpc, "cidrs", None)
        if vpc_id is None or cidrs is None:
            raise ConfigError(f"for_vpc: cannot read id and cidrs from {vpc!r}")
        return cls(client_cidr, str(vpc_id), tuple(str(c) for c in cidrs), **options)  # type: ignore[arg-type]

    @property
    def status(self) -> str:
        """``pending-associate`` until the first subnet is associated, then ``available`` (CVPN-TN-NONE)."""
        return "available" if self.target_networks else "pending-associate"

    @property
    def dns_name(self) -> str:
        """The endpoint's DNS name, as ``DescribeClientVpnEndpoints`` gives it (``*.`` wildcard dropped)."""
        return f"{self.endpoint_id}.prod.clientvpn.{self.region}.amazonaws.com"

    def associate(self, subnet: object) -> TargetSubnet:
        """Associate a subnet (a :class:`TargetSubnet` or another module's subnet object).

        As on AWS, the VPC's local CIDR route(s) are added to the route table automatically, with
        origin ``associate`` and the new subnet as target.
        """
        ts = TargetSubnet.from_subnet(subnet)
        self.target_networks.append(ts)
        for cidr in self.vpc_cidrs:
            if _is_ipv6_net(cidr):
                continue  # this model covers IPv4 traffic (ip_address_type ipv4)
            self.routes.append(Route(cidr, ts.subnet_id, "associate", "Default Route (VPC local)"))
        return ts

    def disassociate(self, subnet_id: str) -> None:
        """Remove an association and every route that targets it (how AWS removes automatic routes)."""
        before = len(self.target_networks)
        self.target_networks = [t for t in self.target_networks if t.subnet_id != subnet_id]
        if len(self.target_networks) == before:
            raise ConfigError(f"target_networks: subnet {subnet_id!r} is not associated")
        self.routes = [r for r in self.routes if r.target_subnet_id != subnet_id]

    def authorize_ingress(self, destination_cidr: str, *, group: str | None = None,
                          all_users: bool = False, description: str = "") -> AuthorizationRule:
        """Add an authorization rule (``AuthorizeClientVpnIngress``): a group, or all users."""
        rule = AuthorizationRule(destination_cidr, group, all_users, description)
        self.authorization_rules.append(rule)
        return rule

    def add_route(self, destination_cidr: str, target_subnet_id: str, description: str = "") -> Route:
        """Add a manual route (``CreateClientVpnRoute``)."""
        r = Route(destination_cidr, target_subnet_id, "add-route", description)
        self.routes.append(r)
        return r

    def modify(self, **changes: object) -> ClientVpnEndpoint:
        """A copy with ``changes`` applied, as ``ModifyClientVpnEndpoint`` would.

        Raises :class:`~vpnlearn.errors.ConfigError` for the fields AWS fixes at creation
        (client CIDR, authentication options, transport; rule CVPN-CIDR-FIXED).
        """
        fixed = [k for k in changes if k in FIXED_AFTER_CREATION]
        if fixed:
            raise ConfigError(f"{', '.join(fixed)}: cannot be changed after the endpoint is created "
                              f"(CVPN-CIDR-FIXED, {RULES['CVPN-CIDR-FIXED'].doc_url})")
        unknown = [k for k in changes if k not in self.__dataclass_fields__]
        if unknown:
            raise ConfigError(f"unknown endpoint field(s): {', '.join(unknown)}")
        copy = replace(self, **changes)  # type: ignore[arg-type]
        # The copy owns its lists: changing one endpoint never changes the other.
        copy.target_networks = list(copy.target_networks)
        copy.authorization_rules = list(copy.authorization_rules)
        copy.routes = list(copy.routes)
        return copy

    # ---- decisions -------------------------------------------------------------------------------
    def authorize(self, user_groups: Iterable[str], destination_ip: str) -> AuthorizationDecision:
        """May a user in ``user_groups`` reach ``destination_ip``? (rule CVPN-AUTHZ-LPM)

        AWS indexes rules by destination CIDR and takes the longest prefix that contains the
        address; only the rules on that CIDR decide (0.0.0.0/0 is therefore last). Access is granted
        if one of them is for all users or names one of the user's groups. No matching CIDR: deny.
        Example from AWS: Group 1 -> 10.1.0.0/16 and Group 3 -> 0.0.0.0/0 means Group 3 cannot
        reach 10.1.0.0/16.
        """
        all_groups = tuple(user_groups)
        groups = all_groups[:MAX_GROUPS_PER_USER]      # CVPN-USER-GROUPS: the rest are ignored
        dropped = (f" ({len(all_groups) - MAX_GROUPS_PER_USER} group(s) after the 200th ignored)"
                   if len(all_groups) > MAX_GROUPS_PER_USER else "")
        dest = _addr(destination_ip, "destination_ip")
        by_cidr: dict[IPv4Net, list[AuthorizationRule]] = {}
        for rule in self.authorization_rules:
            net = _net(rule.destination_cidr)
            if net is not None and dest in net:
                by_cidr.setdefault(net, []).append(rule)
        if not by_cidr:
            return AuthorizationDecision(False, str(dest), None, (), f"no authorization rule covers {dest}: "
                                         "access is denied by default")
        best = max(by_cidr, key=lambda n: n.prefixlen)
        rules = tuple(by_cidr[best])
        granting = [r for r in rules if r.grants(groups)]
        others = sorted(str(n) for n in by_cidr if n != best)
        shadow = f"; broader rule(s) on {', '.join(others)} are not consulted" if others else ""
        if granting:
            why = f"longest matching rule CIDR {best} grants {granting[0].who()}{shadow}{dropped}"
            return AuthorizationDecision(True, str(dest), str(best), rules, why)
        who = ", ".join(r.who() for r in rules)
        why = (f"longest matching rule CIDR {best} grants only {who}; the user's groups "
               f"{list(groups)} are not among them{shadow}{dropped}")
        return AuthorizationDecision(False, str(dest), str(best), rules, why)

    def route(self, destination_ip: str) -> RouteDecision:
        """Which way does a packet from a connected client to ``destination_ip`` go? (CVPN-SPLIT)

        With split tunnel off, the client sends everything into the tunnel and the endpoint's route
        table (longest prefix) picks the associated subnet it leaves from, or drops it. With split
        tunnel on, only destinations inside the pushed routes enter the tunnel; the rest stays local.
        """
        dest = _addr(destination_ip, "destination_ip")
        matches = [(r.network.prefixlen, r) for r in self.routes
                   if _net(r.destination_cidr) is not None and dest in r.network]
        if not matches:
            if self.split_tunnel:
                return RouteDecision("local", str(dest), None, None,
                                     "split tunnel is on and no pushed route covers it: the client sends it "
                                     "on its own network")
            why = ("split tunnel is off, so the client sends it into the tunnel (0.0.0.0/0), but "
                   "the endpoint route table has no route for it")
            return RouteDecision("dropped", str(dest), None, None, why, RULES["CVPN-ROUTE-TARGET"].doc_url)
        best_len = max(m[0] for m in matches)
        best = [r for n, r in matches if n == best_len]
        # Same CIDR on several associations (one per AZ): AWS spreads traffic; we report the first.
        r = best[0]
        via = "the pushed route" if self.split_tunnel else "0.0.0.0/0 (split tunnel off)"
        extra = f" (also via {', '.join(b.target_subnet_id for b in best[1:])})" if len(best) > 1 else ""
        why = (f"the client sends it into the tunnel via {via}; endpoint route {r.destination_cidr} "
               f"sends it out of subnet {r.target_subnet_id}{extra}")
        return RouteDecision("vpn", str(dest), r, r.target_subnet_id, why)

    def access(self, user_groups: Iterable[str], destination_ip: str) -> AccessDecision:
        """Can a connected user reach ``destination_ip`` through the VPN? Needs a route AND an authorization.

        Combines :meth:`route` (is there a path out of an associated subnet?) and :meth:`authorize`
        (does the longest matching authorization rule grant one of the user's groups?). Security
        groups on the Client VPN ENIs and on the destination are not modelled here.
        """
        r = self.route(destination_ip)
        a = self.authorize(user_groups, destination_ip)
        if r.path == "local":
            why = "split tunnel: the packet never enters the VPN (the client's own network decides)"
        elif r.path == "dropped":
            why = f"no endpoint route: {r.reason}"
        elif not a.allowed:
            why = f"route via {r.target_subnet_id}, but not authorized: {a.reason}"
        else:
            why = f"route via {r.target_subnet_id} and authorized: {a.reason}"
        return AccessDecision(r.path == "vpn" and a.allowed, r, a, why)

    def pushed_routes(self) -> tuple[str, ...]:
        """The routes a client gets: ``0.0.0.0/0`` with split tunnel off, else the route table's CIDRs."""
        if not self.split_tunnel:
            return ("0.0.0.0/0",)
        seen: list[str] = []
        for r in self.routes:
            if r.destination_cidr not in seen:
                seen.append(r.destination_cidr)
        return tuple(seen)

    def max_connections(self) -> int:
        """Concurrent connections the endpoint allows for its number of associated subnets (limits.html)."""
        n = len({t.subnet_id for t in self.target_networks})
        if n == 0:
            return 0
        return CONNECTIONS_BY_SUBNETS[min(n, max(CONNECTIONS_BY_SUBNETS))]

    # ---- validation ------------------------------------------------------------------------------
    def validate(self) -> list[Finding]:
        """Every finding against AWS's documented Client VPN rules (errors, warnings, info)."""
        out: list[Finding] = []
        out += self._check_basics()
        client = self._check_client_cidr(out)
        out += self._check_authentication()
        out += self._check_targets(client)
        out += self._check_authorization()
        out += self._check_routes(client)
        return out

    def errors(self) -> list[Finding]:
        """Only the findings of severity ``error``."""
        return [f for f in self.validate() if f.severity == "error"]

    def _check_basics(self) -> list[Finding]:
        out: list[Finding] = []
        if self.transport not in ("udp", "tcp"):
            out.append(finding("transport", self.transport, "CVPN-TRANSPORT", "must be 'udp' or 'tcp'"))
        if self.vpn_port not in (443, 1194):
            out.append(finding("vpn_port", self.vpn_port, "CVPN-PORT", "must be 443 or 1194"))
        if self.session_timeout_hours not in (8, 10, 12, 24):
            out.append(finding("session_timeout_hours", self.session_timeout_hours, "CVPN-SESSION-TIMEOUT",
                               "must be 8, 10, 12 or 24"))
        if len(self.dns_servers) > 2:
            out.append(finding("dns_servers", list(self.dns_servers), "CVPN-DNS",
                               f"{len(self.dns_servers)} DNS servers; at most 2"))
        for i, d in enumerate(self.dns_servers):
            try:
                ipaddress.ip_address(d)
            except ValueError:
                out.append(finding(f"dns_servers[{i}]", d, "CVPN-DNS", "not an IP address"))
        if self.login_banner is not None and len(self.login_banner) > 1400:
            out.append(finding("login_banner", f"<{len(self.login_banner)} characters>", "CVPN-BANNER",
                               f"{len(self.login_banner)} characters; at most 1,400"))
        if not self.server_certificate_arn:
            out.append(finding("server_certificate_arn", self.server_certificate_arn, "CVPN-SERVER-CERT",
                               "missing: every endpoint needs an ACM server certificate"))
        if self.ip_address_type not in ("ipv4", "ipv6", "dual-stack"):
            out.append(finding("ip_address_type", self.ip_address_type, "CVPN-IP-TYPE",
                               "must be 'ipv4', 'ipv6' or 'dual-stack'"))
        if self.connection_logging and not self.cloudwatch_log_group:
            out.append(finding("cloudwatch_log_group", self.cloudwatch_log_group, "CVPN-LOGGING",
                               "connection logging is enabled but no log group is set"))
        if self.client_connect_handler is not None and not self.client_connect_handler.split(":")[-1] \
                .startswith("AWSClientVPN-"):
            out.append(finding("client_connect_handler", self.client_connect_handler, "CVPN-HANDLER",
                               "the Lambda function name must start with 'AWSClientVPN-'"))
        if self.crl_entries > MAX_CRL_ENTRIES:
            out.append(finding("crl_entries", self.crl_entries, "CVPN-CRL-SIZE",
                               f"{self.crl_entries} entries; at most {MAX_CRL_ENTRIES}"))
        types = {a.type for a in self.authentication}
        if self.self_service_portal == "enabled" and types == {"certificate-authentication"}:
            out.append(finding("self_service_portal", "enabled", "CVPN-PORTAL",
                               "the self-service portal is not available with mutual authentication only"))
        return out

    def _check_client_cidr(self, out: list[Finding]) -> IPv4Net | None:
        client = _net(self.client_cidr)
        if client is None:
            out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-SIZE",
                               "not an IPv4 network in CIDR notation (host bits must be zero)"))
            return None
        if not 12 <= client.prefixlen <= 22:
            out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-SIZE",
                               f"/{client.prefixlen} is outside /12 to /22"))
        for i, v in enumerate(self.vpc_cidrs):
            vn = _net(v)
            if vn is None and not _is_ipv6_net(v):
                out.append(finding(f"vpc_cidrs[{i}]", v, "CVPN-CIDR-OVERLAP", "not an IP CIDR"))
            elif vn is not None and vn.overlaps(client):
                out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-OVERLAP",
                                   f"overlaps the VPC CIDR {v}"))
        if self.planned_connections is not None and client.num_addresses < 2 * self.planned_connections:
            out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-SIZING",
                               f"{client.num_addresses} addresses for {self.planned_connections} planned "
                               f"connections; AWS recommends at least twice as many", "warning"))
        return client

    def _check_authentication(self) -> list[Finding]:
        out: list[Finding] = []
        types = [a.type for a in self.authentication]
        if not types:
            out.append(finding("authentication", [], "CVPN-AUTH-COMBO", "at least one authentication option"))
        for i, a in enumerate(self.authentication):
            if a.type not in AUTH_TYPES:
                out.append(finding(f"authentication[{i}].type", a.type, "CVPN-AUTH-TYPE",
                                   f"unknown type; one of {', '.join(AUTH_TYPES)}"))
            elif not a.reference:
                rule = {"certificate-authentication": "CVPN-AUTH-MUTUAL",
                        "directory-service-authentication": "CVPN-AUTH-AD",
                        "federated-authentication": "CVPN-AUTH-SAML"}[a.type]
                what = {"CVPN-AUTH-MUTUAL": "client root certificate chain ARN",
                        "CVPN-AUTH-AD": "directory id", "CVPN-AUTH-SAML": "SAML provider ARN"}[rule]
                out.append(finding(f"authentication[{i}].reference", a.reference, rule, f"missing {what}"))
        dupes = sorted({t for t in types if types.count(t) > 1})
        for t in dupes:
            rule = "CVPN-AUTH-SAML" if t == "federated-authentication" else "CVPN-AUTH-COMBO"
            out.append(finding("authentication", types, rule, f"{t} given more than once"))
        kinds = set(types) & set(AUTH_TYPES)
        if len(kinds) > 2 or kinds == set(USER_BASED):
            out.append(finding("authentication", types, "CVPN-AUTH-COMBO",
                               "Active Directory and SAML cannot be combined; allowed: one method, "
                               "mutual + AD, or mutual + SAML"))
        return out

    def _check_targets(self, client: IPv4Net | None) -> list[Finding]:
        out: list[Finding] = []
        if self.vpc_tenancy == "dedicated":
            out.append(finding("vpc_tenancy", self.vpc_tenancy, "CVPN-TN-TENANCY",
                               "the endpoint's VPC has dedicated tenancy"))
        if not self.target_networks:
            out.append(finding("target_networks", [], "CVPN-TN-NONE",
                               "no subnet associated: the endpoint is pending-associate", "warning"))
            return out
        seen_az: dict[str, str] = {}
        for i, t in enumerate(self.target_networks):
            p = f"target_networks[{i}]"
            net = _net(t.cidr)
            if net is None:
                out.append(finding(f"{p}.cidr", t.cidr, "CVPN-TN-SIZE", "not an IPv4 CIDR"))
            else:
                if net.prefixlen > 27:
                    out.append(finding(f"{p}.cidr", t.cidr, "CVPN-TN-SIZE",
                                       f"/{net.prefixlen} is smaller than /27"))
                if client is not None and net.overlaps(client):
                    out.append(finding(f"{p}.cidr", t.cidr, "CVPN-TN-OVERLAP",
                                       f"overlaps the client CIDR {self.client_cidr}"))
                    out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-OVERLAP",
                                       f"overlaps target subnet {t.subnet_id} ({t.cidr})"))
            if t.available_ips is not None and t.available_ips < 20:
                out.append(finding(f"{p}.available_ips", t.available_ips, "CVPN-TN-SIZE",
                                   "fewer than 20 free addresses"))
            if t.vpc_id != self.vpc_id:
                out.append(finding(f"{p}.vpc_id", t.vpc_id, "CVPN-TN-VPC",
                                   f"subnet {t.subnet_id} is in {t.vpc_id}, "
                                   f"the endpoint is in {self.vpc_id}"))
            if t.availability_zone in seen_az:
                out.append(finding(f"{p}.availability_zone", t.availability_zone, "CVPN-TN-AZ",
                                   f"subnet {t.subnet_id} is in the same AZ as "
                                   f"{seen_az[t.availability_zone]}"))
            else:
                seen_az[t.availability_zone] = t.subnet_id
        if len(self.target_networks) == 1:
            out.append(finding("target_networks", [t.subnet_id for t in self.target_networks],
                               "CVPN-TN-REDUNDANCY", "one associated subnet: no AZ redundancy", "warning"))
        return out

    def _check_authorization(self) -> list[Finding]:
        out: list[Finding] = []
        if len(self.authorization_rules) > MAX_AUTH_RULES:
            out.append(finding("authorization_rules", len(self.authorization_rules), "CVPN-AUTHZ-QUOTA",
                               f"{len(self.authorization_rules)} rules; quota {MAX_AUTH_RULES}"))
        user_based = any(a.type in USER_BASED for a in self.authentication)
        for i, r in enumerate(self.authorization_rules):
            p = f"authorization_rules[{i}]"
            if _net(r.destination_cidr) is None:
                out.append(finding(f"{p}.destination_cidr", r.destination_cidr, "CVPN-AUTHZ-SHAPE",
                                   "not an IPv4 CIDR"))
            if r.authorize_all_groups == (r.access_group_id is not None):
                out.append(finding(p, r.who() if r.authorize_all_groups else None, "CVPN-AUTHZ-SHAPE",
                                   "give exactly one of a group id or all users"))
            if r.access_group_id is not None:
                if len(r.access_group_id) > 255:
                    out.append(finding(f"{p}.access_group_id", r.access_group_id[:20] + "...",
                                       "CVPN-AUTHZ-SHAPE", "group id longer than 255 characters"))
                if not user_based and self.authentication:
                    out.append(finding(f"{p}.access_group_id", r.access_group_id, "CVPN-AUTHZ-GROUPS",
                                       "group rule on an endpoint without AD or SAML: no user has groups, "
                                       "so it never grants", "warning"))
        return out

    def _check_routes(self, client: IPv4Net | None) -> list[Finding]:
        out: list[Finding] = []
        associated = {t.subnet_id for t in self.target_networks}
        per_target: dict[str, int] = {}
        for i, r in enumerate(self.routes):
            p = f"routes[{i}]"
            net = _net(r.destination_cidr)
            if net is None:
                out.append(finding(f"{p}.destination_cidr", r.destination_cidr, "CVPN-ROUTE-TARGET",
                                   "not an IPv4 CIDR"))
                continue
            per_target[r.target_subnet_id] = per_target.get(r.target_subnet_id, 0) + 1
            if r.target_subnet_id not in associated:
                out.append(finding(f"{p}.target_subnet_id", r.target_subnet_id, "CVPN-ROUTE-TARGET",
                                   "the target subnet is not associated with the endpoint"))
            if r.origin == "add-route" and client is not None and net.overlaps(client):
                out.append(finding("client_cidr", self.client_cidr, "CVPN-CIDR-OVERLAP",
                                   f"overlaps the manual route {r.destination_cidr}"))
            if self.split_tunnel and net.prefixlen == 0:
                out.append(finding(f"{p}.destination_cidr", r.destination_cidr, "CVPN-SPLIT-DEFAULT",
                                   "a 0.0.0.0/0 route with split tunnel sends all traffic through the VPN",
                                   "warning"))
            if not any(_net(a.destination_cidr) is not None and _net(a.destination_cidr).overlaps(net)
                       for a in self.authorization_rules):
                out.append(finding(f"{p}.destination_cidr", r.destination_cidr, "CVPN-AUTHZ-NO-RULE",
                                   "no authorization rule grants access to any part of this route",
                                   "warning"))
        for sid, n in per_target.items():
            if n > MAX_ROUTES_PER_ASSOCIATION:
                out.append(finding("routes", n, "CVPN-ROUTE-QUOTA",
                                   f"{n} routes target {sid}; quota {MAX_ROUTES_PER_ASSOCIATION} "
                                   "per association"))
        return out


# (field, what AWS calls it) for the changes that reset existing connections (CVPN-RESET).
_RESETTING = (("server_certificate_arn", "server certificate"), ("dns_servers", "DNS servers"),
              ("split_tunnel", "split tunnel"), ("authorization_rules", "authorization rules"),
              ("vpn_port", "VPN port"))


def resetting_changes(before: ClientVpnEndpoint, after: ClientVpnEndpoint, *,
                      crl_changed: bool = False) -> list[Finding]:
    """Which differences between two versions of an endpoint reset existing client connections.

    Each is a ``warning`` finding on rule CVPN-RESET (CVPN-CRL-RESET for a new CRL). Routes count
    only with split tunnel on (they are pushed to the clients). A lower session timeout disconnects
    sessions older than the new value.
    """
    out: list[Finding] = []
    for name, label in _RESETTING:
        old, new = getattr(before, name), getattr(after, name)
        if (list(old) if isinstance(old, (list, tuple)) else old) != \
                (list(new) if isinstance(new, (list, tuple)) else new):
            out.append(finding(name, new, "CVPN-RESET", f"changing the {label} resets existing connections",
                               "warning"))
    if (before.split_tunnel or after.split_tunnel) and before.pushed_routes() != after.pushed_routes():
        out.append(finding("routes", list(after.pushed_routes()), "CVPN-RESET",
                           "with split tunnel, changing the routes resets existing connections", "warning"))
    if after.session_timeout_hours < before.session_timeout_hours:
        out.append(finding("session_timeout_hours", after.session_timeout_hours, "CVPN-RESET",
                           f"sessions older than {after.session_timeout_hours} h are disconnected",
                           "warning"))
    if crl_changed:
        out.append(finding("crl", "imported", "CVPN-CRL-RESET",
                           "importing a CRL resets existing connections", "warning"))
    return out


def rules_table() -> list[dict[str, str]]:
    """All Client VPN rules as rows (id, applies_to, description, doc_url), in table order."""
    return [r.as_row() for r in RULES.values()]

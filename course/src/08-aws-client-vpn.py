# %% [markdown]
# Site-to-Site VPN joins two *networks*. **AWS Client VPN** joins *people*: a laptop anywhere opens a
# tunnel to a managed endpoint in your VPC. It is not IPsec: it is **OpenVPN over TLS**, and the
# endpoint authenticates users with certificates, Active Directory or SAML
# ([what-is](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/what-is.html)).
#
# This notebook builds one endpoint with `vpnlearn.aws.clientvpn` (an executable model of AWS's
# documented rules), makes its certificates with `vpnlearn.aws.pki` (real X.509 from the
# `cryptography` package) and runs a real mutual-TLS handshake between them on this machine.

# %%
from vpnlearn.course import setup

rng = setup("08-aws-client-vpn")

# %% [markdown]
# ## 1. An endpoint and its target networks
# The pieces of an endpoint:
#
# - the **client CIDR**: the pool the laptops get their addresses from. It must be between /22 and
#   /12, must not overlap the VPC, and can never be changed later
#   ([CreateClientVpnEndpoint](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateClientVpnEndpoint.html));
# - **target networks**: VPC subnets the endpoint is *associated* with. Each one gets Client VPN
#   network interfaces; traffic from a laptop leaves the VPN there, source-NATed to the interface's
#   address. One subnet per Availability Zone, all in one VPC, each /27 or larger
#   ([target networks](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-target.html));
# - a **route table**, **authorization rules**, and the **authentication** options.
#
# Our company VPC is 10.0.0.0/16 with two private subnets in two AZs. The laptops will use
# 10.100.0.0/22 (1,024 addresses).

# %%
from vpnlearn.aws.clientvpn import AuthenticationOption, ClientVpnEndpoint, TargetSubnet

CA_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/ca-0001"
SERVER_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/server-0001"

endpoint = ClientVpnEndpoint(
    client_cidr="10.100.0.0/22",
    vpc_id="vpc-0a1b2c3d",
    vpc_cidrs=("10.0.0.0/16",),
    server_certificate_arn=SERVER_ARN,
    authentication=(AuthenticationOption("certificate-authentication", CA_ARN),),
    planned_connections=400,
)
print("status before any association:", endpoint.status)

subnet_a = TargetSubnet("subnet-aaaa", "10.0.1.0/24", "us-east-1a", "vpc-0a1b2c3d", available_ips=240)
subnet_b = TargetSubnet("subnet-bbbb", "10.0.2.0/24", "us-east-1b", "vpc-0a1b2c3d", available_ips=240)
endpoint.associate(subnet_a)
endpoint.associate(subnet_b)

print("status after associating two subnets:", endpoint.status)
print("DNS name:", endpoint.dns_name)
print("transport:", endpoint.transport, "port", endpoint.vpn_port,
      "| session timeout:", endpoint.session_timeout_hours, "h | split tunnel:", endpoint.split_tunnel)
print("concurrent connections allowed:", endpoint.max_connections())
for r in endpoint.routes:
    print(f"route {r.destination_cidr:<14} -> {r.target_subnet_id}  ({r.origin}: {r.description})")

# %% [markdown]
# `vpnlearn.viz.topology.client_vpn_diagram` draws the endpoint from the same object: the laptops
# with their client CIDR, the TLS session, the endpoint, its associations and its route table.

# %%
from vpnlearn.viz.topology import client_vpn_diagram

client_vpn_diagram(endpoint)

# %% [markdown]
# What to notice:
#
# - the endpoint is `pending-associate` (unusable) until the first subnet is associated;
# - each association added the VPC's own CIDR to the route table (origin `associate`), once per
#   subnet: a laptop's packet to 10.0.x.x can leave through either AZ;
# - the defaults are AWS's: UDP, port 443, 24-hour sessions, split tunnel off
#   ([endpoints](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-endpoints.html));
# - the connection quota grows with the number of associated subnets: 7,000 with one,
#   36,500 with two ([quotas](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/limits.html)).
#
# `validate()` checks the whole design against AWS's documented rules and returns *every* finding.
# The table below comes from `vpnlearn.viz.tables.findings_table`.

# %%
from vpnlearn.viz.tables import findings_table

findings_table(endpoint.validate(), "Our endpoint")

# %% [markdown]
# No errors. The two warnings say that the VPC routes (one per association) have no
# authorization rule yet. Client VPN denies
# everything until you grant it ([authorization rules](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-rules.html)).
# We come back to that in section 4.
#
# **Break it.** A colleague sketches a cheaper design: a /24 client pool carved from the VPC's own
# range, a tiny /28 subnet, and both subnets in the same AZ. Every problem is reported at once,
# with the field, the value and the rule.

# %%
bad = ClientVpnEndpoint(
    client_cidr="10.0.8.0/24",
    vpc_id="vpc-0a1b2c3d",
    vpc_cidrs=("10.0.0.0/16",),
    server_certificate_arn=SERVER_ARN,
    authentication=(AuthenticationOption("certificate-authentication", CA_ARN),),
    session_timeout_hours=48,
)
bad.associate(TargetSubnet("subnet-cccc", "10.0.3.0/28", "us-east-1a", "vpc-0a1b2c3d", available_ips=11))
bad.associate(TargetSubnet("subnet-dddd", "10.0.4.0/24", "us-east-1a", "vpc-0a1b2c3d"))
findings_table(bad.validate(), "A colleague's design")

# %% [markdown]
# Some settings are fixed forever when the endpoint is created: the client CIDR, the
# authentication options and the transport protocol. The model refuses to change them, like the
# `ModifyClientVpnEndpoint` API, which simply has no parameter for them.

# %%
from vpnlearn.errors import ConfigError

try:
    endpoint.modify(client_cidr="10.200.0.0/16")
except ConfigError as err:
    print("refused:", err)

longer_sessions = endpoint.modify(session_timeout_hours=12)
print("allowed: session timeout is now", longer_sessions.session_timeout_hours, "h")

# %% [markdown]
# ## 2. Certificates for mutual authentication
# With **mutual authentication** both sides show a certificate during the TLS handshake: the
# endpoint proves it is the company's VPN, the laptop proves it holds a certificate the company
# issued. AWS's guide builds them with easy-rsa
# ([mutual authentication](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/client-authentication.html#mutual)):
# a CA, one server certificate, one certificate per client. The server certificate (and, when a
# different CA issued them, the client CA) goes into AWS Certificate Manager.
#
# `vpnlearn.aws.pki` does the same with `cryptography`. AWS's guide (2023) accepts only 1024- or
# 2048-bit RSA keys for mutual authentication; the fact sheet marks it UNCONFIRMED whether that
# changed since, so we use RSA-2048. The library never reads a clock, so every date is given. The
# keys come from the notebook's seed: the same certificates on every run (and therefore worthless
# as real keys).

# %%
import datetime as dt

from cryptography import x509

from vpnlearn.aws import pki

UTC = dt.timezone.utc
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = dt.datetime(2045, 1, 1, tzinfo=UTC)
TODAY = dt.datetime(2026, 6, 1, tzinfo=UTC)  # "now" for the checks below, passed in

ca = pki.CertificateAuthority.create("Example Corp VPN CA", not_before=NOT_BEFORE, not_after=NOT_AFTER,
                                     rng=rng.child("pki"))
server = ca.issue_server("vpn.example.com", not_before=NOT_BEFORE, not_after=NOT_AFTER)
alice = ca.issue_client("alice.example.com", not_before=NOT_BEFORE, not_after=NOT_AFTER)
bob = ca.issue_client("bob.example.com", not_before=NOT_BEFORE, not_after=NOT_AFTER)


def describe(issued: pki.Issued) -> None:
    """Print the parts of a certificate that matter for Client VPN."""
    c = issued.certificate
    print(f"{issued.common_name}: issued by {c.issuer.rfc4514_string()}, serial {issued.serial_number:#x}")
    print(f"  key {pki.key_type_of(issued.key)}, valid {c.not_valid_before_utc:%Y-%m-%d} .. "
          f"{c.not_valid_after_utc:%Y-%m-%d}")
    for ext in c.extensions:
        v = ext.value
        if isinstance(v, x509.ExtendedKeyUsage):
            detail = ", ".join(o._name for o in v)
        elif isinstance(v, x509.SubjectAlternativeName):
            detail = ", ".join(v.get_values_for_type(x509.DNSName))
        elif isinstance(v, x509.BasicConstraints):
            detail = f"CA:{str(v.ca).upper()}"
        elif isinstance(v, x509.KeyUsage):
            bits = ("digital_signature", "key_encipherment", "key_cert_sign", "crl_sign")
            detail = ", ".join(n for n in bits if getattr(v, n))
        else:
            continue
        print(f"  {ext.oid._name:<18} {detail}{' (critical)' if ext.critical else ''}")


for who in (ca.issued, server, alice):
    describe(who)

# %% [markdown]
# What to notice: the CA is allowed to sign (`basicConstraints` CA:TRUE, `keyUsage` keyCertSign and
# cRLSign); the server certificate carries `extendedKeyUsage` **serverAuth** and a
# `subjectAltName` with its DNS name; the client certificate carries **clientAuth** and a CN, which
# AWS requires. OpenVPN's `remote-cert-tls server` is what makes a client insist on serverAuth.
#
# `check_certificate` reads a certificate *in the role it plays* and reports what is wrong.

# %%
for who, role in ((ca.issued, "ca"), (server, "server"), (alice, "client")):
    found = pki.check_certificate(who, role, at=TODAY, issuer=ca.certificate,
                                  server_name="vpn.example.com" if role == "server" else None)
    print(f"{role:<6} {who.common_name:<20} findings: {len(found)}")

# %% [markdown]
# **Break it.** Someone installs Alice's *client* certificate on the server. It is signed by the
# right CA and is within its dates, so a careless check would accept it.

# %%
for f in pki.check_certificate(alice, "server", at=TODAY, issuer=ca.certificate,
                               server_name="vpn.example.com", name="server"):
    print(f"{f.severity.upper():<7} {f.path}: {f.message}")

# %% [markdown]
# ## 3. A real mutual-TLS handshake
# `pki.mutual_tls_check` runs one TLS handshake on 127.0.0.1 (nothing leaves this machine) with
# Python's `ssl` module, i.e. OpenSSL: the server *requires* a client certificate from our CA, the
# client checks that the server's certificate is for `vpn.example.com`. This is the handshake
# OpenVPN runs inside its control channel before any VPN packet flows.
#
# One honest caveat: our library takes time as a parameter, but OpenSSL checks certificate and
# CRL dates against this computer's clock. That is why the certificates above are valid until 2045.

# %%
ok = pki.mutual_tls_check(ca_pem=ca.cert_pem(), server=server, client=alice, server_name="vpn.example.com")
print("accepted:", ok.accepted)
print("protocol:", ok.tls_version, ok.cipher)
print("server saw client:", ok.client_subject)
print("client saw server:", ok.server_subject)

# %% [markdown]
# **Break it.** Three ways to be refused: no client certificate at all, a certificate from another
# CA (someone made their own "Example Corp" CA), and a client that expects a different server name.

# %%
rogue_ca = pki.CertificateAuthority.create("Example Corp VPN CA", not_before=NOT_BEFORE,
                                           not_after=NOT_AFTER, rng=rng.child("rogue"))
mallory = rogue_ca.issue_client("mallory.example.com", not_before=NOT_BEFORE, not_after=NOT_AFTER)

cases = {
    "no client certificate": dict(client=None, server_name="vpn.example.com"),
    "client cert from another CA": dict(client=mallory, server_name="vpn.example.com"),
    "client expects another name": dict(client=alice, server_name="vpn.example.org"),
}
results = {label: pki.mutual_tls_check(ca_pem=ca.cert_pem(), server=server, **kw)
           for label, kw in cases.items()}
for label, res in results.items():
    print(f"{label:<28} accepted={res.accepted}")
    print(f"{'':<28} server says: {res.server_error}")
    print(f"{'':<28} client says: {res.client_error}")

# %% [markdown]
# The rogue CA has the *same name* as ours but a different key: the signature on Mallory's
# certificate does not verify with our CA's public key, so the server cannot build a chain to a CA
# it trusts.
#
# ## Revoking a certificate
# Bob's laptop is stolen. The CA **revokes** his certificate and signs a new **certificate
# revocation list** (CRL); you import it into the endpoint. A CRL holds at most 20,000 entries, and
# importing one overwrites the old list and resets existing connections
# ([ImportClientVpnClientCertificateRevocationList](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImportClientVpnClientCertificateRevocationList.html),
# [working with certificates](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-certificates.html)).

# %%
ca.revoke(bob, dt.datetime(2026, 5, 30, tzinfo=UTC))
crl = ca.crl(last_update=dt.datetime(2026, 5, 30, tzinfo=UTC), next_update=NOT_AFTER)
results = {person.common_name: pki.mutual_tls_check(ca_pem=ca.cert_pem(), server=server, client=person,
                                                    server_name="vpn.example.com", crl=crl)
           for person in (alice, bob)}

print("CRL lists Bob:", pki.is_revoked(crl, bob), "| lists Alice:", pki.is_revoked(crl, alice))
print("CRL findings:", pki.check_crl(crl, ca.certificate, at=TODAY))
for name, res in results.items():
    print(f"{name:<18} accepted={res.accepted}  server says: {res.server_error}")

# %% [markdown]
# **Break it.** A CRL has a *next update* date. OpenVPN refuses **every** client once the CRL it
# holds has expired, and silently ignores a CRL signed by another CA (so revoked clients get in).
# `check_crl` reports both before they bite.

# %%
stale = ca.crl(last_update=dt.datetime(2026, 1, 1, tzinfo=UTC),
               next_update=dt.datetime(2026, 2, 1, tzinfo=UTC))
wrong_signer = rogue_ca.crl(last_update=dt.datetime(2026, 5, 30, tzinfo=UTC), next_update=NOT_AFTER)
for label, c in (("stale CRL", stale), ("CRL from the rogue CA", wrong_signer)):
    for f in pki.check_crl(c, ca.certificate, at=TODAY):
        print(f"{label}: {f.path}: {f.message}")

# %% [markdown]
# ## 4. Authorization rules and split tunnel
# A connected user still reaches nothing until an **authorization rule** grants it. A rule names a
# destination CIDR and either *all users* or one *group* (an Active Directory group SID or a SAML
# group), so groups need user-based authentication. The rules are evaluated by **longest prefix
# match**: for a destination, only the rules on the *most specific* matching CIDR decide
# ([authorization rules](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-rules.html),
# [authorization](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/client-authorization.html)).
#
# We make a second endpoint with mutual authentication **plus** SAML single sign-on (an allowed
# combination), so users have groups.

# %%
sso = ClientVpnEndpoint(
    client_cidr="10.100.0.0/22",
    vpc_id="vpc-0a1b2c3d",
    vpc_cidrs=("10.0.0.0/16",),
    server_certificate_arn=SERVER_ARN,
    authentication=(AuthenticationOption("certificate-authentication", CA_ARN),
                    AuthenticationOption("federated-authentication",
                                         "arn:aws:iam::111122223333:saml-provider/CorpIdP")),
)
sso.associate(subnet_a)
sso.associate(subnet_b)
sso.authorize_ingress("10.0.0.0/16", group="engineering")
sso.authorize_ingress("10.0.2.0/24", group="finance")

for groups, ip in ((["engineering"], "10.0.1.20"), (["finance"], "10.0.2.30"),
                   (["engineering"], "10.0.2.30"), (["finance"], "10.0.1.20")):
    d = sso.authorize(groups, ip)
    print(f"{groups[0]:<12} -> {ip:<10} {'ALLOW' if d.allowed else 'DENY '}  {d.reason}")

# %% [markdown]
# What to notice: engineering may reach the whole VPC *except* 10.0.2.0/24. The finance rule is
# more specific, so for 10.0.2.x it is the only rule consulted, and it does not name engineering.
# This is AWS's own example of a surprising longest-prefix result.
#
# **Split tunnel.** With split tunnel off (the default), the endpoint pushes `0.0.0.0/0` to the
# laptop: *all* its traffic, web browsing included, goes into the tunnel. With split tunnel on, only
# the endpoint's routes are pushed and the rest stays on the local network
# ([split tunnel](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/split-tunnel-vpn.html)).

# %%
split = sso.modify(split_tunnel=True)
for ep, label in ((sso, "split tunnel off"), (split, "split tunnel on")):
    print(f"{label}: the laptop gets routes {list(ep.pushed_routes())}")
    for ip in ("10.0.1.20", "142.250.1.1"):
        r = ep.route(ip)
        print(f"  {ip:<12} {r.path:<7} {r.reason}")

# %% [markdown]
# The diagram of the split-tunnel endpoint shows its authorization rules beside the route table.
# With `access=(groups, address)` it also draws what `endpoint.access` decides: here an engineer
# trying to reach the finance subnet (routed, but not authorized).

# %%
client_vpn_diagram(split, access=(["engineering"], "10.0.2.30"))

# %% [markdown]
# **Try it.** In the cell that made `split`, add `split.add_route("0.0.0.0/0", "subnet-aaaa")`
# before the loop, run it, and then run `findings_table(split.validate())`: a default route with
# split tunnel on is legal but AWS advises against it. (To reach the Internet through the VPN
# with split tunnel off, the endpoint needs that 0.0.0.0/0 route *and* an authorization rule
# for it.)
#
# Turning split tunnel on is itself a change that **resets every connected client**, like changing
# the authorization rules, the DNS servers or the server certificate:

# %%
from vpnlearn.aws.clientvpn import resetting_changes

for f in resetting_changes(sso, split):
    print(f"{f.path}: {f.message}")

# %% [markdown]
# ## Exercise: write the authorization rules
# The security team's requirements for the SSO endpoint:
#
# 1. **engineering** may reach the whole VPC, 10.0.0.0/16;
# 2. **finance** may reach only its subnet, 10.0.2.0/24;
# 3. **everyone** may reach the DNS resolver at 10.0.0.2 (one address);
# 4. engineering must *still* reach the finance subnet (they run its servers).
#
# Fill in `my_rules` as `(destination CIDR, group)` pairs, with `group=None` meaning all users,
# then run the check. Remember how longest prefix match treats requirement 4.

# %%
my_rules = [
    # ("10.0.0.0/16", "engineering"),
]

# %%
def check_rules(rules: list) -> None:
    """Build the endpoint with these rules and test each requirement with the library's decisions."""
    lines: list[str] = []
    say = lines.append
    ep = sso.modify(authorization_rules=[])
    try:
        for cidr, group in rules:
            if group is None:
                ep.authorize_ingress(cidr, all_users=True)
            else:
                ep.authorize_ingress(cidr, group=group)
    except (TypeError, ValueError) as err:
        print(f"Each entry must be a pair like ('10.0.0.0/16', 'engineering'): {err}")
        return
    shape = [f for f in ep.validate() if f.path.startswith("authorization_rules")]
    for f in shape:
        say(f"Fix rule {f.path}: {f.message}")
    if not rules:
        say("my_rules is empty, so every user is denied everywhere (Client VPN's default).")
    expected = [
        (["engineering"], "10.0.1.20", True, "requirement 1: engineering reaches the VPC"),
        (["finance"], "10.0.2.30", True, "requirement 2: finance reaches its subnet"),
        (["finance"], "10.0.1.20", False, "requirement 2: finance must NOT reach other subnets"),
        (["marketing"], "10.0.0.2", True, "requirement 3: everyone reaches the DNS resolver"),
        (["marketing"], "10.0.1.20", False, "requirement 3: only the resolver, not the rest of the VPC"),
        (["engineering"], "10.0.2.30", True, "requirement 4: engineering still reaches finance's subnet"),
    ]
    wrong = 0
    for groups, ip, want, what in expected:
        d = ep.authorize(groups, ip)
        if d.allowed != want:
            wrong += 1
            say(f"NOT YET  {what}\n         {groups[0]} -> {ip}: {'allowed' if d.allowed else 'denied'}"
                  f" because {d.reason}")
    if wrong == 0 and not shape:
        say(f"All {len(expected)} requirements hold with {len(rules)} rules. Well done.")
    else:
        say(f"{len(expected) - wrong} of {len(expected)} requirements hold.")
    print("\n".join(lines))


check_rules(my_rules)

# %% [markdown]
# (A model answer needs four rules: the two above, `("10.0.0.2/32", None)`, and
# `("10.0.2.0/24", "engineering")`.)
#
# ## 5. The client's configuration file
# Users connect with the AWS-provided client or any OpenVPN client, using a `.ovpn` profile you
# export from the endpoint. For mutual authentication you add the client's certificate and key to
# it ([export the configuration](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-endpoint-export.html)).
# `vpnlearn.aws.ovpn.client_profile` writes it; here are its directives without the PEM blocks.

# %%
from vpnlearn.aws.ovpn import client_profile, parse_profile

profile = client_profile(endpoint, ca_pem=ca.cert_pem(), cert_pem=alice.cert_pem(), key_pem=alice.key_pem(),
                         rng=rng.child("ovpn"))
parsed = parse_profile(profile)
for name, args in parsed.directives:
    print(name, *args)
print("inline blocks:", ", ".join(f"<{t}> ({len(v.splitlines())} lines)" for t, v in parsed.inline.items()))

# %% [markdown]
# What to notice: `remote` is the endpoint's DNS name with a random label in front and
# `remote-random-hostname`, because the endpoint's IP addresses change: always use the name
# ([what-is](https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/what-is.html)).
# `remote-cert-tls server` makes the client insist on the serverAuth certificate of section 2.
#
# *Optional, not run here:* `tests/test_openvpn_real.py` starts a real OpenVPN 2.6 server and client
# with these files inside network namespaces (it needs root).
#
# ## Quiz

# %%
from vpnlearn.quiz import quiz

quiz("client-vpn", n=5)

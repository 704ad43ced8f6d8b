"""OpenVPN configuration for a Client VPN endpoint: the client ``.ovpn`` profile and a look-alike server.

:func:`client_profile` writes the profile in the shape ``ExportClientVpnClientConfiguration`` gives
(``client``, ``dev tun``, ``proto``, ``remote <name>.cvpn-endpoint-<id>.prod.clientvpn.<region>.amazonaws.com
<port>``, ``remote-random-hostname``, ``resolv-retry infinite``, ``nobind``, ``remote-cert-tls server``,
``cipher AES-256-GCM``, ``verb 3``, inline ``<ca>``, ``reneg-sec 0``) with the client's ``<cert>``
and ``<key>`` added inline, as AWS tells mutual-authentication users to do.

:func:`server_config` writes a configuration for a real OpenVPN 2.6 server that behaves like the
endpoint for a test or a lab: tun device, the client CIDR as the address pool, pushed routes (split
tunnel) or a pushed default route (full tunnel), DNS servers, a CRL, ``dh none`` (ECDHE only) and
AES-GCM data channel ciphers.

:func:`parse_profile` reads a profile back (directives and inline blocks) for checks and notebooks.
Text in, text out: no files are written here and nothing is run.

Sources: https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-endpoint-export.html
(export, adding <cert>/<key>, remote-random-hostname); https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/what-is.html
(use the DNS name, not IPs); OpenVPN 2.6 reference manual (directive meanings).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from vpnlearn.aws.clientvpn import ClientVpnEndpoint
from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.rand import RandomSource, resolve

EXPORT_DOC = "https://docs.aws.amazon.com/vpn/latest/clientvpn-admin/cvpn-working-endpoint-export.html"
INLINE_TAGS = ("ca", "cert", "key", "tls-auth", "tls-crypt", "crl-verify", "extra-certs")


def random_label(rng: RandomSource | None = None, nbytes: int = 6) -> str:
    """A random DNS label of ``2*nbytes`` hex characters (what ``remote-random-hostname`` prepends)."""
    return resolve(rng).random_bytes(nbytes).hex()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _block(tag: str, pem: str) -> list[str]:
    body = pem.strip()
    if not body:
        raise ConfigError(f"<{tag}>: empty PEM")
    if f"</{tag}>" in body:
        raise ConfigError(f"<{tag}>: the PEM text contains </{tag}>")
    return [f"<{tag}>", body, f"</{tag}>"]


def client_profile(endpoint: ClientVpnEndpoint, *, ca_pem: str, cert_pem: str | None = None,
                   key_pem: str | None = None, remote_host: str | None = None,
                   random_prefix: bool = True, rng: RandomSource | None = None, verb: int = 3,
                   extra: tuple[str, ...] = ()) -> str:
    """The client ``.ovpn`` profile for ``endpoint``, in the shape AWS exports.

    ``remote`` is the endpoint's DNS name with a random label in front (``random_prefix``; the
    label comes from ``rng``, so a ``DemoRandom`` gives the same text every run). ``remote_host``
    replaces the name (a lab or test pointing at a local OpenVPN server); an IP address there
    drops ``remote-random-hostname``, which only makes sense for names. ``cert_pem``/``key_pem``
    are the client certificate and key for mutual authentication, added inline.
    """
    if (cert_pem is None) != (key_pem is None):
        raise ConfigError("cert_pem and key_pem: give both (mutual authentication) or neither")
    if endpoint.transport not in ("udp", "tcp"):
        raise ConfigError(f"endpoint.transport: {endpoint.transport!r} is not udp or tcp")
    host = remote_host or (f"{random_label(rng)}.{endpoint.dns_name}" if random_prefix else endpoint.dns_name)
    lines = [
        "client",
        "dev tun",
        f"proto {endpoint.transport}",
        f"remote {host} {endpoint.vpn_port}",
    ]
    if not _is_ip(host):
        lines.append("remote-random-hostname")
    lines += [
        "resolv-retry infinite",
        "nobind",
        "remote-cert-tls server",
        "cipher AES-256-GCM",
        f"verb {verb}",
        *extra,
        *_block("ca", ca_pem),
    ]
    if cert_pem is not None and key_pem is not None:
        lines += [*_block("cert", cert_pem), *_block("key", key_pem)]
    lines += ["", *user_auth_directives(endpoint), "reneg-sec 0", ""]
    return "\n".join(lines)


def user_auth_directives(endpoint: ClientVpnEndpoint) -> list[str]:
    """The lines a user-based endpoint adds to its exported profile.

    Active Directory: ``auth-user-pass`` (the client asks for user name and password).
    SAML: also ``auth-federate`` (a keyword only the AWS-provided client understands; stock
    OpenVPN refuses it) and ``auth-retry interact``. [SECONDARY]: seen in exported SAML profiles as
    quoted by open-source AWS-SAML OpenVPN wrappers; the order of these lines is UNCONFIRMED.
    """
    types = {a.type for a in endpoint.authentication}
    out: list[str] = []
    if types & {"directory-service-authentication", "federated-authentication"}:
        out.append("auth-user-pass")
    if "federated-authentication" in types:
        out += ["auth-federate", "auth-retry interact"]
    return out


def _mask(net: ipaddress.IPv4Network) -> str:
    return f"{net.network_address} {net.netmask}"


def server_config(endpoint: ClientVpnEndpoint, *, ca_pem: str, cert_pem: str, key_pem: str,
                  crl_path: str | None = None, local: str | None = None, port: int | None = None,
                  dev: str = "tun", verb: int = 3, extra: tuple[str, ...] = ()) -> str:
    """An OpenVPN 2.6 server configuration that behaves like ``endpoint``.

    Address pool = the client CIDR (``server`` directive, ``topology subnet``); split tunnel pushes
    the endpoint's routes, full tunnel pushes ``redirect-gateway def1``; ``dhcp-option DNS`` per
    DNS server; ``crl-verify`` with ``crl_path`` (OpenVPN reads the file at each connection);
    ``remote-cert-tls client``; ``dh none`` (ECDHE); AES-GCM; ``session-timeout`` from the endpoint's
    session timeout. ``local``/``port`` bind the server (default: all addresses, the VPN port).
    """
    try:
        pool = ipaddress.IPv4Network(endpoint.client_cidr)
    except ValueError as exc:
        raise ConfigError(f"endpoint.client_cidr: {endpoint.client_cidr!r} is not an IPv4 CIDR") from exc
    if endpoint.transport not in ("udp", "tcp"):
        raise ConfigError(f"endpoint.transport: {endpoint.transport!r} is not udp or tcp")
    proto = "udp" if endpoint.transport == "udp" else "tcp-server"
    lines = [
        f"# OpenVPN server configured like AWS Client VPN endpoint {endpoint.endpoint_id} (vpnlearn)",
        f"port {port or endpoint.vpn_port}",
        f"proto {proto}",
    ]
    if local:
        lines.append(f"local {local}")
    lines += [
        f"dev {dev}",
        "topology subnet",
        f"server {_mask(pool)}",
        "dh none",
        "data-ciphers AES-256-GCM:AES-128-GCM",
        "tls-version-min 1.2",
        "remote-cert-tls client",
        "keepalive 10 60",
        f"session-timeout {endpoint.session_timeout_hours * 3600}",
        f"verb {verb}",
    ]
    if crl_path:
        lines.append(f"crl-verify {crl_path}")
    if endpoint.split_tunnel:
        for cidr in endpoint.pushed_routes():
            net = ipaddress.IPv4Network(cidr)
            if net.prefixlen == 0:
                lines.append('push "redirect-gateway def1"')
            else:
                lines.append(f'push "route {_mask(net)}"')
    else:
        lines.append('push "redirect-gateway def1"')
    for dns in endpoint.dns_servers:
        lines.append(f'push "dhcp-option DNS {dns}"')
    lines += [*extra, *_block("ca", ca_pem), *_block("cert", cert_pem), *_block("key", key_pem), ""]
    return "\n".join(lines)


@dataclass
class OvpnProfile:
    """A parsed profile: directives in order (name, arguments) and inline blocks by tag."""

    directives: list[tuple[str, list[str]]] = field(default_factory=list)
    inline: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> list[str] | None:
        """Arguments of the first directive called ``name``, or None."""
        for n, args in self.directives:
            if n == name:
                return args
        return None

    def has(self, name: str) -> bool:
        """True if the profile has a directive called ``name``."""
        return self.get(name) is not None


def parse_profile(text: str, *, source: str = ".ovpn profile") -> OvpnProfile:
    """Read an OpenVPN profile: one directive per line, ``#``/``;`` comments, ``<tag>...</tag>`` blocks.

    Raises :class:`~vpnlearn.errors.ParseError` naming the line (``field``) and byte offset of an
    unterminated or unknown inline block.
    """
    prof = OvpnProfile()
    open_tag: str | None = None
    open_at = 0
    body: list[str] = []
    offset = 0
    for lineno, raw in enumerate(text.splitlines(keepends=True), start=1):
        line = raw.strip()
        here = offset
        offset += len(raw.encode())
        if open_tag is not None:
            if line == f"</{open_tag}>":
                prof.inline[open_tag] = "".join(body).strip() + "\n"
                open_tag = None
            else:
                body.append(raw)
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("</"):
            raise ParseError(f"closing tag {line} without an opening tag", what=source,
                             field=f"line {lineno}", offset=here)
        if line.startswith("<") and line.endswith(">"):
            tag = line[1:-1]
            if tag not in INLINE_TAGS:
                raise ParseError(f"unknown inline block <{tag}>", what=source, field=f"line {lineno}",
                                 offset=here)
            if tag in prof.inline:
                raise ParseError(f"inline block <{tag}> given twice", what=source, field=f"line {lineno}",
                                 offset=here)
            open_tag, open_at, body = tag, here, []
            continue
        name, *args = line.split()
        prof.directives.append((name, args))
    if open_tag is not None:
        raise ParseError(f"inline block <{open_tag}> is never closed", what=source,
                         field=f"<{open_tag}>", offset=open_at)
    return prof

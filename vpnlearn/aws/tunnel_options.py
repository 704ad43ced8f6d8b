"""The options of one Site-to-Site VPN tunnel, with AWS's defaults, and their validation.

:class:`TunnelOptions` mirrors the EC2 API's ``TunnelOption`` / ``VpnTunnelOptionsSpecification``
(field names in snake_case). Every default is AWS's documented default (the rule table in
:mod:`vpnlearn.aws.rules` holds them with their doc URLs). Constructing an object only checks that
values *can be read* (a CIDR parses, an algorithm name is known to the suite table); whether AWS
accepts them is answered by :func:`validate_tunnel_options`, which returns *all* findings at once::

    >>> from vpnlearn.aws.tunnel_options import TunnelOptions, validate_tunnel_options
    >>> opts = TunnelOptions(pre_shared_key="0abc", phase2_lifetime_seconds=3600,
    ...                      phase1_lifetime_seconds=3600)
    >>> sorted({f.rule_id for f in validate_tunnel_options(opts) if f.severity == "error"})
    ['TUN-P2-LESS-THAN-P1', 'TUN-PSK-LEADING-ZERO', 'TUN-PSK-LENGTH']

Algorithm names are looked up in the one suite table, :mod:`vpnlearn.crypto.suites`, by any alias
(``"AES128-GCM-16"`` or strongSwan's ``"aes128gcm16"``) and kept under their AWS name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields
from typing import Any

from vpnlearn.aws import rules as R
from vpnlearn.aws.rules import Finding, check_enum, check_range, finding
from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError

_PSK_CHARS = re.compile(r"^[A-Za-z0-9._]*$")

# API field name of each algorithm-list attribute, and which suite lookup reads it.
ALGORITHM_FIELDS = {
    "phase1_encryption_algorithms": ("Phase1EncryptionAlgorithms", "encryption", "TUN-P1-ENCRYPTION"),
    "phase2_encryption_algorithms": ("Phase2EncryptionAlgorithms", "encryption", "TUN-P2-ENCRYPTION"),
    "phase1_integrity_algorithms": ("Phase1IntegrityAlgorithms", "integrity", "TUN-P1-INTEGRITY"),
    "phase2_integrity_algorithms": ("Phase2IntegrityAlgorithms", "integrity", "TUN-P2-INTEGRITY"),
    "phase1_dh_group_numbers": ("Phase1DHGroupNumbers", "dh", "TUN-P1-DH"),
    "phase2_dh_group_numbers": ("Phase2DHGroupNumbers", "dh", "TUN-P2-DH"),
}

# snake_case attribute -> EC2 API field name (TunnelOption shape).
API_NAMES = {
    "tunnel_inside_cidr": "TunnelInsideCidr",
    "tunnel_inside_ipv6_cidr": "TunnelInsideIpv6Cidr",
    "pre_shared_key": "PreSharedKey",
    "phase1_lifetime_seconds": "Phase1LifetimeSeconds",
    "phase2_lifetime_seconds": "Phase2LifetimeSeconds",
    "rekey_margin_time_seconds": "RekeyMarginTimeSeconds",
    "rekey_fuzz_percentage": "RekeyFuzzPercentage",
    "replay_window_size": "ReplayWindowSize",
    "dpd_timeout_seconds": "DpdTimeoutSeconds",
    "dpd_timeout_action": "DpdTimeoutAction",
    **{k: v[0] for k, v in ALGORITHM_FIELDS.items()},
    "ike_versions": "IkeVersions",
    "startup_action": "StartupAction",
    "log_enabled": "LogOptions.CloudWatchLogOptions.LogEnabled",
    "log_group_arn": "LogOptions.CloudWatchLogOptions.LogGroupArn",
    "log_output_format": "LogOptions.CloudWatchLogOptions.LogOutputFormat",
    "enable_tunnel_lifecycle_control": "EnableTunnelLifecycleControl",
}

_INT_FIELDS = ("phase1_lifetime_seconds", "phase2_lifetime_seconds", "rekey_margin_time_seconds",
               "rekey_fuzz_percentage", "replay_window_size", "dpd_timeout_seconds")


def normalize_algorithm(kind: str, name: Any, *, field: str = "") -> str | int:
    """An algorithm name (any alias the suite table knows) as AWS spells it; a DH group as its number.

    Names the suite table knows but AWS has no name for (``chacha20poly1305``) are kept under the
    table's canonical name, so validation can report that AWS does not allow them. Unknown names
    raise :class:`ConfigError` naming ``field``.
    """
    where = f"field {field}: " if field else ""
    try:
        if kind == "dh":
            if isinstance(name, bool) or not isinstance(name, int | str):
                raise ConfigError(f"expected a DH group number, got {name!r}")
            return suites.dh_group(name).number
        if not isinstance(name, str):
            raise ConfigError(f"expected an algorithm name string, got {name!r}")
        alg = suites.encryption(name) if kind == "encryption" else suites.integrity(name)
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    return alg.aws_name or alg.name


def _suite(kind: str, value: str | int) -> Any:
    if kind == "dh":
        return suites.dh_group(value)
    return suites.encryption(value) if kind == "encryption" else suites.integrity(value)


@dataclass(frozen=True)
class TunnelOptions:
    """One tunnel's options, defaulting to what AWS uses when you set nothing.

    ``None`` for ``tunnel_inside_cidr``, ``tunnel_inside_ipv6_cidr`` and ``pre_shared_key`` means
    "AWS chooses". Lifetimes, margin and DPD timeout are seconds. Use :func:`dataclasses.replace` to
    change one option.
    """

    tunnel_inside_cidr: ipaddress.IPv4Network | str | None = None
    tunnel_inside_ipv6_cidr: ipaddress.IPv6Network | str | None = None
    pre_shared_key: str | None = None
    phase1_lifetime_seconds: int = 28800
    phase2_lifetime_seconds: int = 3600
    rekey_margin_time_seconds: int = 270
    rekey_fuzz_percentage: int = 100
    replay_window_size: int = 1024
    dpd_timeout_seconds: int = 30
    dpd_timeout_action: str = "clear"
    phase1_encryption_algorithms: tuple[str, ...] = R.ENCRYPTION_ALGORITHMS
    phase2_encryption_algorithms: tuple[str, ...] = R.ENCRYPTION_ALGORITHMS
    phase1_integrity_algorithms: tuple[str, ...] = R.INTEGRITY_ALGORITHMS
    phase2_integrity_algorithms: tuple[str, ...] = R.INTEGRITY_ALGORITHMS
    phase1_dh_group_numbers: tuple[int, ...] = R.PHASE1_DH_GROUPS
    phase2_dh_group_numbers: tuple[int, ...] = R.PHASE2_DH_GROUPS
    ike_versions: tuple[str, ...] = R.IKE_VERSIONS
    startup_action: str = "add"
    log_enabled: bool = False
    log_group_arn: str | None = None
    log_output_format: str = "json"
    enable_tunnel_lifecycle_control: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name, version in (("tunnel_inside_cidr", 4), ("tunnel_inside_ipv6_cidr", 6)):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, parse_inside_cidr(value, version=version, field=API_NAMES[name]))
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"field {API_NAMES[name]}: expected an integer, got {value!r}")
        for name, (api, kind, _rule) in ALGORITHM_FIELDS.items():
            values = getattr(self, name)
            if isinstance(values, str | int):
                values = (values,)
            set_(self, name, tuple(normalize_algorithm(kind, v, field=f"{api}[{i}]")
                                   for i, v in enumerate(values)))
        versions = self.ike_versions
        if isinstance(versions, str):
            versions = (versions,)
        for i, v in enumerate(versions):
            if not isinstance(v, str):
                raise ConfigError(f"field IkeVersions[{i}]: expected a string like 'ikev2', got {v!r}")
        set_(self, "ike_versions", tuple(v.lower() for v in versions))
        for name in ("dpd_timeout_action", "startup_action", "log_output_format"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"field {API_NAMES[name]}: expected a string, got {getattr(self, name)!r}")
        if self.pre_shared_key is not None and not isinstance(self.pre_shared_key, str):
            raise ConfigError("field PreSharedKey: expected a string")

    def changed_from_default(self) -> dict[str, Any]:
        """The options that differ from AWS's defaults (attribute name -> value)."""
        default = TunnelOptions()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    def __repr__(self) -> str:
        changed = self.changed_from_default()
        if "pre_shared_key" in changed:
            changed["pre_shared_key"] = "***"
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"TunnelOptions({inner})"


def parse_inside_cidr(value: Any, *, version: int,
                      field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parse an inside tunnel CIDR; a value that does not parse raises :class:`ConfigError` naming
    ``field``."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        net = value
    elif isinstance(value, str):
        try:
            net = ipaddress.ip_network(value.strip(), strict=True)
        except ValueError as exc:
            raise ConfigError(f"field {field}: {value!r} is not a valid CIDR ({exc})") from None
    else:
        raise ConfigError(f"field {field}: expected a CIDR string, got {value!r}")
    if net.version != version:
        raise ConfigError(f"field {field}: {value!r} is an IPv{net.version} CIDR, expected IPv{version}")
    return net


def _p(path: str, api: str) -> str:
    return f"{path}.{api}" if path else api


def validate_tunnel_options(opts: TunnelOptions, path: str = "") -> list[Finding]:
    """Every rule of the table that applies to one tunnel's options; all findings, errors and warnings.

    ``path`` is the JSON path of the options object (``VpnConnections[0].Options.TunnelOptions[1]``);
    each finding's path continues it with the API field name.
    """
    out: list[Finding] = []
    p = lambda api: _p(path, api)  # noqa: E731

    # Inside CIDRs.
    v4 = opts.tunnel_inside_cidr
    if v4 is not None:
        if v4.prefixlen != 30 or not v4.subnet_of(R.LINK_LOCAL_V4):
            out.append(finding("TUN-INSIDE-CIDR-V4", p("TunnelInsideCidr"), str(v4),
                               f"{v4} is not a /30 inside 169.254.0.0/16"))
        elif any(v4.overlaps(r) for r in R.RESERVED_INSIDE_NETWORKS):
            out.append(finding("TUN-INSIDE-CIDR-V4-RESERVED", p("TunnelInsideCidr"), str(v4),
                               f"{v4} is reserved by AWS (reserved: {', '.join(R.RESERVED_INSIDE_CIDRS)})"))
    v6 = opts.tunnel_inside_ipv6_cidr
    if v6 is not None and (v6.prefixlen != 126 or not v6.subnet_of(R.ULA_V6)):
        out.append(finding("TUN-INSIDE-CIDR-V6", p("TunnelInsideIpv6Cidr"), str(v6),
                           f"{v6} is not a /126 inside fd00::/8"))

    # Pre-shared key.
    psk = opts.pre_shared_key
    if psk is not None:
        shown = "***" if psk else psk
        if not 8 <= len(psk) <= 64:
            out.append(finding("TUN-PSK-LENGTH", p("PreSharedKey"), shown,
                               f"the pre-shared key has {len(psk)} characters; it must have 8 to 64"))
        bad = sorted({c for c in psk if not _PSK_CHARS.match(c)})
        if bad:
            out.append(finding("TUN-PSK-CHARS", p("PreSharedKey"), shown,
                               f"the pre-shared key contains {', '.join(map(repr, bad))}; allowed: "
                               f"{R.PSK_ALLOWED}"))
        if psk.startswith("0"):
            out.append(finding("TUN-PSK-LEADING-ZERO", p("PreSharedKey"), shown))

    # Algorithms, DH groups, IKE versions.
    for name, (api, kind, rule_id) in ALGORITHM_FIELDS.items():
        values = getattr(opts, name)
        if not values:
            out.append(finding("TUN-ALGORITHMS-EMPTY", p(api), [], f"{api} is empty; omit it to allow all"))
        for i, v in enumerate(values):
            out += check_enum(rule_id, p(f"{api}[{i}]"), v)
        weak = [v for v in values if v in R.rule(rule_id).values and _suite(kind, v).weak]
        if weak and kind in ("dh", "integrity"):
            reasons = "; ".join(f"{w}: {_suite(kind, w).weak_reason}" for w in weak)
            out.append(finding("TUN-WEAK-DH" if kind == "dh" else "TUN-WEAK-INTEGRITY", p(api), weak,
                               f"{api} allows weak choices AWS still accepts ({reasons})"))
    if not opts.ike_versions:
        out.append(finding("TUN-ALGORITHMS-EMPTY", p("IkeVersions"), [], "IkeVersions is empty"))
    for i, v in enumerate(opts.ike_versions):
        out += check_enum("TUN-IKE-VERSIONS", p(f"IkeVersions[{i}]"), v)
    if "ikev1" in opts.ike_versions:
        out.append(finding("TUN-WEAK-IKEV1", p("IkeVersions"), list(opts.ike_versions),
                           "IKEv1 is allowed (AWS: main mode only); IKEv2 alone is the stronger choice"))

    # Lifetimes and their relations.
    p1, p2 = opts.phase1_lifetime_seconds, opts.phase2_lifetime_seconds
    out += check_range("TUN-P1-LIFETIME", p("Phase1LifetimeSeconds"), p1)
    out += check_range("TUN-P2-LIFETIME", p("Phase2LifetimeSeconds"), p2)
    if not p2 < p1:
        out.append(finding("TUN-P2-LESS-THAN-P1", p("Phase2LifetimeSeconds"), p2,
                           f"Phase 2 lifetime {p2} s must be less than the Phase 1 lifetime {p1} s"))
    margin = opts.rekey_margin_time_seconds
    if margin < 60 or 2 * margin > p2:
        out.append(finding("TUN-REKEY-MARGIN", p("RekeyMarginTimeSeconds"), margin,
                           f"rekey margin {margin} s must be between 60 s and half the Phase 2 lifetime "
                           f"({p2} / 2 = {p2 / 2:g} s)"))
    out += check_range("TUN-REKEY-FUZZ", p("RekeyFuzzPercentage"), opts.rekey_fuzz_percentage)
    out += check_range("TUN-REPLAY-WINDOW", p("ReplayWindowSize"), opts.replay_window_size)
    out += check_range("TUN-DPD-TIMEOUT", p("DpdTimeoutSeconds"), opts.dpd_timeout_seconds)
    out += check_enum("TUN-DPD-ACTION", p("DpdTimeoutAction"), opts.dpd_timeout_action)
    out += check_enum("TUN-STARTUP-ACTION", p("StartupAction"), opts.startup_action)
    if opts.startup_action == "start" and "ikev2" not in opts.ike_versions:
        out.append(finding("TUN-STARTUP-IKEV2", p("StartupAction"), "start",
                           "StartupAction=start (AWS starts IKE) works with IKEv2 only, but IkeVersions "
                           f"is {list(opts.ike_versions)}"))

    # Logging.
    out += check_enum("TUN-LOG-FORMAT", p("LogOptions.CloudWatchLogOptions.LogOutputFormat"),
                      opts.log_output_format)
    if opts.log_enabled:
        arn_path = p("LogOptions.CloudWatchLogOptions.LogGroupArn")
        if not opts.log_group_arn:
            out.append(finding("TUN-LOG-GROUP", arn_path, opts.log_group_arn,
                               "logging is enabled but no CloudWatch log group ARN is given"))
        else:
            group = opts.log_group_arn.split(":log-group:", 1)[-1].removesuffix(":*")
            if not group.startswith("/aws/vendedlogs/"):
                out.append(finding("TUN-LOG-GROUP", arn_path, opts.log_group_arn,
                                   f"log group {group!r} is not under /aws/vendedlogs/: AWS advises the "
                                   "prefix to stay under the 5,120-character resource-policy limit"))
    return out


__all__ = ["API_NAMES", "TunnelOptions", "normalize_algorithm", "parse_inside_cidr",
           "validate_tunnel_options"]

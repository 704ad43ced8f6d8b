"""A real-peer harness: network namespaces joined by a veth pair, and strongSwan's charon inside them.

Layout (per test run; names carry the pid and a counter so parallel runs never collide)::

    namespace A ("vlA<pid>n<k>")                 namespace B ("vlB<pid>n<k>")
      veth 10.97.0.1/24  <------------------------>  veth 10.97.0.2/24
      lo   10.98.1.1/32  (inner, TS 10.98.1.0/24)    lo   10.98.2.1/32  (inner, TS 10.98.2.0/24)

Each charon (Debian strongSwan 5.9.8, ``/usr/lib/ipsec/charon``) runs in one namespace with

* its own private ``/run`` (a folder bind-mounted over ``/run`` inside ``unshare -m``),
* its own ``STRONGSWAN_CONF`` and its own vici socket (reached from outside with ``swanctl --uri``),
* ``kernel-libipsec``: userspace ESP over a TUN device (the kernel here has no XFRM ESP),
* a ``filelog`` with ``ike = 4`` and ``chd = 4`` so every derived key is in the log
  (:func:`parse_charon_keys` reads them back).

The traffic selectors are the inner ``lo`` addresses, never the outer veth addresses, so the TUN route
does not swallow the IKE packets (see /work/shared/STACK-NOTES.md, "Real IPsec peers").

Nothing here sends traffic anywhere but into the namespaces it made itself.
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = shutil.which("swanctl") or "/usr/sbin/swanctl"

OUTER_A = "10.97.0.1"
OUTER_B = "10.97.0.2"
INNER_A = "10.98.1.1"
INNER_B = "10.98.2.1"
NET_A = "10.98.1.0/24"
NET_B = "10.98.2.0/24"

# Plugins charon loads (load_modular = no). kernel-libipsec does ESP in userspace; kernel-netlink
# handles addresses and routes; socket-default the UDP 500/4500 sockets.
CHARON_PLUGINS = (
    "random nonce aes sha1 sha2 md5 hmac gcm chapoly curve25519 gmp openssl pem pkcs1 pkcs8 x509 "
    "pubkey constraints revocation kdf kernel-libipsec kernel-netlink socket-default vici updown"
)

_counter = itertools.count()


class HarnessError(RuntimeError):
    """The harness itself could not do what was asked (namespace, charon start, swanctl call)."""


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    """Run a command, capture text output, raise :class:`HarnessError` with its output on failure."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise HarnessError(f"command failed ({proc.returncode}): {' '.join(argv)}\n"
                           f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def namespaces_possible() -> tuple[bool, str]:
    """Whether this process can make network namespaces; (False, reason) when it cannot."""
    if os.geteuid() != 0:
        return False, "needs root (network namespaces, strongSwan charon)"
    if not os.path.exists(CHARON):
        return False, f"strongSwan charon not installed ({CHARON} missing)"
    if not os.path.exists("/dev/net/tun"):
        return False, "/dev/net/tun missing (kernel-libipsec needs TUN)"
    name = f"vlprobe{os.getpid()}"
    try:
        proc = run(["ip", "netns", "add", name], check=False)
        if proc.returncode != 0:
            return False, f"cannot make a network namespace: {proc.stderr.strip()}"
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"cannot make a network namespace: {exc}"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return True, ""


@dataclass
class NetPair:
    """Two network namespaces joined by a veth pair, each with an inner address on ``lo``."""

    ns_a: str
    ns_b: str
    outer_a: str = OUTER_A
    outer_b: str = OUTER_B
    inner_a: str = INNER_A
    inner_b: str = INNER_B

    @classmethod
    def create(cls) -> NetPair:
        """Make the namespaces and the veth pair; on any failure, remove what was made and raise."""
        tag = f"{os.getpid()}n{next(_counter)}"
        pair = cls(ns_a=f"vlA{tag}", ns_b=f"vlB{tag}")
        try:
            pair._setup(tag)
        except BaseException:
            pair.destroy()
            raise
        return pair

    def _setup(self, tag: str) -> None:
        run(["ip", "netns", "add", self.ns_a])
        run(["ip", "netns", "add", self.ns_b])
        va, vb = f"vA{tag}"[:15], f"vB{tag}"[:15]
        run(["ip", "link", "add", va, "netns", self.ns_a, "type", "veth", "peer", "name", vb,
             "netns", self.ns_b])
        for ns, dev, outer, inner in ((self.ns_a, va, self.outer_a, self.inner_a),
                                      (self.ns_b, vb, self.outer_b, self.inner_b)):
            self.sh(ns, f"ip link set lo up && ip addr add {inner}/32 dev lo && "
                        f"ip addr add {outer}/24 dev {dev} && ip link set {dev} up")
        self.veth_a, self.veth_b = va, vb

    def sh(self, ns: str, script: str, *, check: bool = True,
           timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a shell script inside namespace ``ns``."""
        return run(["ip", "netns", "exec", ns, "sh", "-c", script], check=check, timeout=timeout)

    def ping(self, ns: str, src: str, dst: str, count: int = 3,
             timeout: float = 15) -> subprocess.CompletedProcess:
        """``ping`` from ``src`` to ``dst`` inside ``ns`` (never raises; look at ``returncode``)."""
        return run(["ip", "netns", "exec", ns, "ping", "-n", "-c", str(count), "-i", "0.2", "-W", "2",
                    "-I", src, dst], check=False, timeout=timeout)

    def destroy(self) -> None:
        """Remove both namespaces (the veth pair goes with them). Safe to call twice."""
        for ns in (self.ns_a, self.ns_b):
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# --------------------------------------------------------------------------------------------------
# swanctl.conf text


@dataclass
class Peer:
    """One side's identity and credentials in a swanctl connection."""

    id: str
    auth: str = "psk"                      # "psk" or "pubkey"
    cert: Path | None = None               # PEM certificate (pubkey)
    key: Path | None = None                # PEM private key (pubkey)


@dataclass
class Conn:
    """A swanctl connection with one CHILD_SA, as text for ``swanctl.conf``."""

    name: str
    local_addr: str
    remote_addr: str
    local: Peer
    remote: Peer
    ike_proposals: str = "aes128gcm16-prfsha256-x25519"
    esp_proposals: str = "aes128gcm16"
    local_ts: str = NET_A
    remote_ts: str = NET_B
    psk: str | None = None
    cacert: Path | None = None
    child: str = ""
    start_action: str = "none"
    rekey_time: str = "0"                  # IKE SA rekey (0: never, tests trigger it themselves)
    child_rekey_time: str = "0"
    encap: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def child_name(self) -> str:
        return self.child or f"{self.name}-child"

    def text(self) -> str:
        def side(p: Peer, local: bool) -> str:
            lines = [f"id = {p.id}", f"auth = {p.auth}"]
            if local and p.cert is not None:
                lines.append(f"certs = {Path(p.cert).name}")
            if not local and p.auth == "pubkey" and self.cacert is not None:
                lines.append(f"cacerts = {Path(self.cacert).name}")
            return "\n        ".join(lines)

        extra = "".join(f"    {k} = {v}\n" for k, v in self.extra.items())
        out = f"""
connections {{
  {self.name} {{
    version = 2
    local_addrs = {self.local_addr}
    remote_addrs = {self.remote_addr}
    proposals = {self.ike_proposals}
    encap = {"yes" if self.encap else "no"}
    rekey_time = {self.rekey_time}
    dpd_delay = 0
    mobike = no
    fragmentation = no
{extra}    local {{
        {side(self.local, True)}
    }}
    remote {{
        {side(self.remote, False)}
    }}
    children {{
      {self.child_name} {{
        local_ts = {self.local_ts}
        remote_ts = {self.remote_ts}
        esp_proposals = {self.esp_proposals}
        start_action = {self.start_action}
        rekey_time = {self.child_rekey_time}
        mode = tunnel
      }}
    }}
  }}
}}
"""
        secrets = []
        if self.psk is not None:
            secrets.append(f"""  ike-{self.name} {{
    id-1 = {self.local.id}
    id-2 = {self.remote.id}
    secret = "{self.psk}"
  }}""")
        if secrets:
            out += "secrets {\n" + "\n".join(secrets) + "\n}\n"
        return out


# --------------------------------------------------------------------------------------------------
# charon


class Charon:
    """One charon daemon inside a network namespace, with its own /run, config, vici socket and log."""

    def __init__(self, ns: str, workdir: Path, name: str = "charon", *,
                 retransmit_timeout: float = 1.0, retransmit_tries: int = 2) -> None:
        self.ns = ns
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rundir = self.dir / "run"
        self.rundir.mkdir(exist_ok=True)
        self.socket = self.dir / "charon.vici"
        self.uri = f"unix://{self.socket}"
        self.log_path = self.dir / "charon.log"
        self.stderr_path = self.dir / "charon.stderr"
        self.conf_path = self.dir / "strongswan.conf"
        self.swanctl_dir = self.dir / "swanctl"           # SWANCTL_DIR: swanctl.conf, x509/, private/ ...
        for sub in ("x509", "x509ca", "private"):
            (self.swanctl_dir / sub).mkdir(parents=True, exist_ok=True)
        self.swanctl_path = self.swanctl_dir / "swanctl.conf"
        self.retransmit_timeout = retransmit_timeout
        self.retransmit_tries = retransmit_tries
        self.proc: subprocess.Popen | None = None

    def write_conf(self) -> None:
        self.conf_path.write_text(f"""
charon {{
  load_modular = no
  load = {CHARON_PLUGINS}
  port = 500
  port_nat_t = 4500
  retransmit_timeout = {self.retransmit_timeout}
  retransmit_base = 1.4
  retransmit_tries = {self.retransmit_tries}
  install_virtual_ip = no
  make_before_break = yes
  plugins {{
    vici {{
      socket = {self.uri}
    }}
    kernel-libipsec {{
      allow_peer_ts = no
    }}
  }}
  filelog {{
    main {{
      path = {self.log_path}
      time_format = %H:%M:%S
      append = no
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      cfg = 2
      net = 2
      enc = 1
      lib = 1
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
swanctl {{
  socket = {self.uri}
}}
""")

    def start(self, timeout: float = 10) -> None:
        """Start charon and wait until its vici socket answers."""
        self.write_conf()
        script = (f"mount --bind {self.rundir} /run && "
                  f"exec env STRONGSWAN_CONF={self.conf_path} {CHARON}")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "-m", "--propagation", "private",
             "sh", "-c", script],
            stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "w"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"charon exited ({self.proc.returncode}): {self.stderr_path.read_text()}"
                                   f"\n{self.log_text()}")
            if self.socket.exists():
                proc = self.swanctl("--stats", check=False)
                if proc.returncode == 0:
                    return
            time.sleep(0.05)
        raise HarnessError(f"charon vici socket {self.socket} did not answer within {timeout}s")

    def stop(self) -> None:
        """Stop charon (SIGTERM, then SIGKILL). Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def swanctl(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run ``swanctl <args> --uri <this charon's socket>``."""
        env = dict(os.environ, STRONGSWAN_CONF=str(self.conf_path), SWANCTL_DIR=str(self.swanctl_dir))
        return run([SWANCTL, *args, "--uri", self.uri], check=check, timeout=timeout, env=env)

    def load(self, *conns: Conn) -> None:
        """Write ``swanctl.conf`` with these connections and load them (connections and secrets).

        Certificates and private keys named by the connections are copied into this charon's
        ``SWANCTL_DIR`` (``x509/``, ``x509ca/``, ``private/``) where swanctl loads them from.
        """
        for c in conns:
            for src, sub in ((c.local.cert, "x509"), (c.cacert, "x509ca"), (c.local.key, "private")):
                if src is not None:
                    shutil.copy(src, self.swanctl_dir / sub / Path(src).name)
        self.swanctl_path.write_text("".join(c.text() for c in conns))
        self.swanctl("--load-all", "--noprompt", "--file", str(self.swanctl_path))

    def initiate(self, child: str, *, ike: str | None = None, timeout: int = 15,
                 check: bool = True) -> subprocess.CompletedProcess:
        args = ["--initiate", "--child", child, "--timeout", str(timeout)]
        if ike:
            args += ["--ike", ike]
        return self.swanctl(*args, check=check, timeout=timeout + 10)

    def list_sas(self) -> str:
        return self.swanctl("--list-sas").stdout

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 10) -> re.Match | None:
        """Wait until ``pattern`` (a regex) appears in the log; the match, or None on timeout."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.log_text())
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)


IKE_KEY_NAMES = {
    "shared Diffie Hellman secret": "g^ir",
    "SKEYSEED": "SKEYSEED",
    "Sk_d secret": "SK_d",
    "Sk_ai secret": "SK_ai",
    "Sk_ar secret": "SK_ar",
    "Sk_ei secret": "SK_ei",
    "Sk_er secret": "SK_er",
    "Sk_pi secret": "SK_pi",
    "Sk_pr secret": "SK_pr",
}
"""charon's log names for the IKE SA keys -> RFC 7296 names (section 2.14)."""

CHILD_KEY_NAMES = {
    "encryption initiator key": "enc_i",
    "encryption responder key": "enc_r",
    "integrity initiator key": "integ_i",
    "integrity responder key": "integ_r",
}
"""charon's log names for the CHILD_SA keys (section 2.17: KEYMAT = prf+(SK_d, Ni | Nr))."""


@dataclass
class LoggedKeys:
    """One block of keys charon logged: an IKE SA's (``kind == "ike"``) or a CHILD_SA's (``"child"``).

    For a CHILD_SA, ``spi_in``/``spi_out`` are the SPIs charon reported for it (its inbound SA and
    outbound SA); ``enc_i`` etc. include the 4-byte GCM salt at the end, as charon logs them.
    """

    kind: str
    keys: dict[str, bytes] = field(default_factory=dict)
    spi_in: int | None = None
    spi_out: int | None = None


def parse_charon_keys(log: str) -> list[LoggedKeys]:
    """The keys charon logged at ``ike = 4`` / ``chd = 4``, in the order it logged them.

    charon prints a chunk as a header line ``<name> => <n> bytes @ 0x...`` followed by hexdump
    lines ``   0: 01 02 ...  ascii``; the CHILD_SA's SPIs follow in ``established with SPIs
    <in>_i <out>_o``.
    """
    out: list[LoggedKeys] = []
    header = re.compile(r"\] (.+?) => (\d+) bytes @ (?:0x)?[0-9a-fA-F]+")
    dump = re.compile(r"\]\s+(\d+): ((?:[0-9A-F]{2} ?)+)")
    spis = re.compile(r"CHILD_SA .* established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o")
    name: str | None = None
    target: LoggedKeys | None = None
    buf = bytearray()
    want = 0
    for line in log.splitlines():
        m = header.search(line)
        if m:
            raw = m.group(1).strip()
            name, want, buf = None, int(m.group(2)), bytearray()
            if raw in IKE_KEY_NAMES:
                kind, name = "ike", IKE_KEY_NAMES[raw]
            elif raw in CHILD_KEY_NAMES:
                kind, name = "child", CHILD_KEY_NAMES[raw]
            else:
                continue
            last = next((r for r in reversed(out) if r.kind == kind), None)
            opener = "g^ir" if kind == "ike" else "enc_i"
            # A new block starts with its first key (g^ir for IKE, which a rekey may omit...) or when
            # a name repeats.
            if last is None or name in last.keys or name == opener or (
                    kind == "ike" and name == "SKEYSEED" and set(last.keys) != {"g^ir"}):
                last = LoggedKeys(kind)
                out.append(last)
            target = last
            if want == 0:
                target.keys[name] = b""
                name = None
            continue
        s = spis.search(line)
        if s:
            child = next((r for r in reversed(out) if r.kind == "child" and r.spi_in is None), None)
            if child is not None:
                child.spi_in, child.spi_out = int(s.group(1), 16), int(s.group(2), 16)
            continue
        if name is not None and target is not None:
            d = dump.search(line)
            if d:
                buf += bytes.fromhex(d.group(2).replace(" ", ""))[: want - len(buf)]
                if len(buf) >= want:
                    target.keys[name] = bytes(buf)
                    name = None
    return out


# --------------------------------------------------------------------------------------------------
# certificates (real cryptography primitives)


@dataclass
class Pki:
    """A CA and leaf certificates for ids, as PEM files in ``dir``."""

    dir: Path
    ca_cert: Path
    ca_key: Path

    @classmethod
    def create(cls, directory: Path) -> Pki:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vpnlearn interop CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                               critical=True)
                .sign(key, hashes.SHA256()))
        ca_cert, ca_key = directory / "ca.pem", directory / "ca.key"
        ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        ca_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
        return cls(directory, ca_cert, ca_key)

    def issue(self, fqdn: str, *, rsa: bool = False) -> tuple[Path, Path]:
        """A leaf certificate with SAN dNSName ``fqdn``: (cert PEM path, key PEM path)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric import rsa as rsa_mod
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        ca_cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        ca_key = serialization.load_pem_private_key(self.ca_key.read_bytes(), None)
        key = rsa_mod.generate_private_key(65537, 2048) if rsa else ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        cp, kp = self.dir / f"{fqdn}.pem", self.dir / f"{fqdn}.key"
        cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return cp, kp


def workdir(prefix: str = "vlinterop-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


# --------------------------------------------------------------------------------------------------
# packet capture (dumpcap on a namespace's veth)

EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}


class Capture:
    """``dumpcap`` on one namespace's interface, writing a classic pcap file (``-P``)."""

    def __init__(self, ns: str, iface: str, path: Path) -> None:
        self.ns, self.iface, self.path = ns, iface, Path(path)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Capture:
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, "dumpcap", "-q", "-P", "-i", self.iface,
                                      "-f", "udp or icmp", "-w", str(self.path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # dumpcap writes the file header before it captures: send pings on the link until one
        # shows up in the file, so that nothing the test does next is missed.
        peer = self._peer_address()
        deadline = time.monotonic() + 15
        while not (self.path.exists() and self.path.stat().st_size > 24):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__()
                raise HarnessError(f"dumpcap did not start capturing on {self.ns}/{self.iface}")
            if peer and self.path.exists():
                subprocess.run(["ip", "netns", "exec", self.ns, "ping", "-n", "-c", "1", "-W", "0.2", peer],
                               capture_output=True)
            else:
                time.sleep(0.05)
        return self

    def _peer_address(self) -> str | None:
        out = subprocess.run(["ip", "netns", "exec", self.ns, "ip", "-4", "-o", "addr", "show", "dev",
                              self.iface], capture_output=True, text=True).stdout
        m = re.search(r"inet (\d+\.\d+\.\d+)\.(\d+)/", out)
        if not m:
            return None
        return f"{m.group(1)}.{1 if m.group(2) == '2' else 2}"    # the other end of the veth pair

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # Everything before a final ping is in the file once that ping is (dumpcap writes in order).
            peer = self._peer_address()
            size = self.path.stat().st_size if self.path.exists() else 0
            deadline = time.monotonic() + 5
            while peer and time.monotonic() < deadline:
                subprocess.run(["ip", "netns", "exec", self.ns, "ping", "-n", "-c", "1", "-W", "0.2", peer],
                               capture_output=True)
                time.sleep(0.1)
                if self.path.stat().st_size > size:
                    break
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def frames(self) -> list[tuple[float, str, int, str, int, bytes]]:
        return read_pcap_udp(self.path)


def read_pcap_udp(path: Path) -> list[tuple[float, str, int, str, int, bytes]]:
    """(time, src ip, src port, dst ip, dst port, UDP payload) for each IPv4/UDP frame of an
    Ethernet pcap file (the classic libpcap format, as ``dumpcap -P`` writes it)."""
    data = path.read_bytes()
    magic = data[:4]
    endian = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, expected Ethernet (1)")
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, usec, incl, _orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        src = ".".join(str(b) for b in ip[12:16])
        dst = ".".join(str(b) for b in ip[16:20])
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        out.append((sec + usec / 1e6, src, sport, dst, dport, ip[ihl + 8:ihl + ulen]))
    return out


def ike_messages(frames: list[tuple[float, str, int, str, int, bytes]]) -> list[dict]:
    """The IKE messages among UDP frames: port 500, or port 4500 with the 4-byte non-ESP marker."""
    out = []
    for _t, src, sport, dst, dport, payload in frames:
        if 500 in (sport, dport):
            msg = payload
        elif 4500 in (sport, dport) and payload[:4] == b"\x00\x00\x00\x00":
            msg = payload[4:]
        else:
            continue                                # ESP-in-UDP or NAT-T keepalive
        if len(msg) < 28:
            continue
        flags = msg[19]
        out.append({
            "src": f"{src}:{sport}", "dst": f"{dst}:{dport}",
            "exchange": EXCHANGES.get(msg[18], str(msg[18])),
            "message_id": struct.unpack("!I", msg[20:24])[0],
            "initiator_flag": bool(flags & 0x08), "response_flag": bool(flags & 0x20),
            "spi_i": msg[0:8].hex(), "spi_r": msg[8:16].hex(),
            "non_esp_marker": 4500 in (sport, dport), "bytes": msg,
        })
    return out




def tshark_fields(pcap: Path, keydir: Path, fields: Sequence[str],
                  display_filter: str = "") -> list[dict[str, str]]:
    """Run ``tshark -r pcap`` with the key tables in ``keydir`` (``WIRESHARK_CONFIG_DIR``) and return one
    dict per frame with the requested fields (empty string when absent)."""
    argv = ["tshark", "-r", str(pcap), "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
            "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"]
    if display_filter:
        argv += ["-Y", display_filter]
    for f in fields:
        argv += ["-e", f]
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=str(keydir), HOME=str(keydir))
    proc = run(argv, env=env, timeout=60)
    if "Error loading table" in proc.stderr:
        raise HarnessError(f"tshark rejected a key table: {proc.stderr}")
    return [dict(zip(fields, line.split("|"), strict=True)) for line in proc.stdout.splitlines()]


def psk_pair(pair: NetPair, name: str, ike: str, esp: str, psk: str = "interop-psk-0123456789",
             **kw: object) -> tuple[Conn, Conn]:
    """Matching PSK connections for charon A (initiator side, 10.98.1.0/24) and charon B."""
    a = Conn(name, pair.outer_a, pair.outer_b, Peer("a.vpnlearn.test"), Peer("b.vpnlearn.test"),
             psk=psk, ike_proposals=ike, esp_proposals=esp, local_ts=NET_A, remote_ts=NET_B, **kw)  # type: ignore[arg-type]
    b = Conn(name, pair.outer_b, pair.outer_a, Peer("b.vpnlearn.test"), Peer("a.vpnlearn.test"),
             psk=psk, ike_proposals=ike, esp_proposals=esp, local_ts=NET_B, remote_ts=NET_A, **kw)  # type: ignore[arg-type]
    return a, b

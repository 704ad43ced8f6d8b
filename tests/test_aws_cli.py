"""`vpnlearn aws check`: output text and exit codes, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vpnlearn import cli
from vpnlearn.aws import cli as aws_cli

DATA = Path(__file__).parent / "data"
FILES = [str(DATA / "describe-vpn-connections.json"), str(DATA / "describe-customer-gateways.json"),
         str(DATA / "describe-vpn-gateways.json")]


def vpnlearn(*args):
    return subprocess.run([sys.executable, "-m", "vpnlearn", *args], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parent.parent)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def inproc(capsys):
    """The same command run in this process (fast); the subprocess tests above cover the real binary."""
    def run(*args):
        try:
            rc = cli.main(list(args))
        except SystemExit as exc:
            rc = exc.code
        out = capsys.readouterr()
        return Result(rc, out.out, out.err)
    return run


def bad_file(tmp_path):
    doc = json.loads(Path(FILES[0]).read_text())
    t = doc["VpnConnections"][0]["Options"]["TunnelOptions"][1]
    t["PreSharedKey"] = "0abc"
    t["ReplayWindowSize"] = 4096
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    return str(p)


def test_check_example_prints_the_warning_and_exits_0():
    r = vpnlearn("aws", "check", *FILES)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("checked 1 VPN connection(s), 1 customer gateway(s), 1 VPN gateway(s)")
    assert f"WARNING {FILES[0]}: VpnConnections[0].VgwTelemetry[1].Status = 'DOWN'" in lines
    assert any("[TUN-STATUS-DOWN]" in line and "IPSEC IS DOWN" in line for line in lines)
    assert "        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnection.html" in lines
    assert lines[-1] == "0 error(s), 1 warning(s)"


def test_strict_makes_warnings_fail():
    assert vpnlearn("aws", "check", "--strict", *FILES).returncode == 1


def test_errors_exit_1_with_paths_and_links(tmp_path):
    bad = bad_file(tmp_path)
    r = vpnlearn("aws", "check", bad, FILES[1], FILES[2])
    assert r.returncode == 1
    out = r.stdout
    assert f"ERROR   {bad}: VpnConnections[0].Options.TunnelOptions[1].PreSharedKey = '***'" in out
    assert f"ERROR   {bad}: VpnConnections[0].Options.TunnelOptions[1].ReplayWindowSize = 4096" in out
    assert "[TUN-PSK-LEADING-ZERO]" in out and "[TUN-PSK-LENGTH]" in out and "[TUN-REPLAY-WINDOW]" in out
    assert "API_VpnTunnelOptionsSpecification.html" in out
    assert out.splitlines()[-1] == "3 error(s), 1 warning(s)"
    assert "0abc" not in out


def test_errors_only_and_json(tmp_path, inproc):
    path = bad_file(tmp_path)
    r = inproc("aws", "check", "--errors-only", path)
    assert "WARNING" not in r.stdout and r.returncode == 1
    r = inproc("aws", "check", "--json", path)
    doc = json.loads(r.stdout)
    assert doc["errors"] == 3 and doc["warnings"] == 1
    assert {f["rule_id"] for f in doc["findings"]} >= {"TUN-PSK-LEADING-ZERO", "TUN-REPLAY-WINDOW"}
    assert all(f["doc_url"].startswith("https://docs.aws.amazon.com/") for f in doc["findings"])


def test_region_turns_a_regional_reserved_asn_into_an_error(tmp_path, inproc):
    p = tmp_path / "cgw.json"
    p.write_text(json.dumps({"CustomerGateways": [
        {"CustomerGatewayId": "cgw-1", "BgpAsn": "9059", "IpAddress": "198.51.100.1", "Type": "ipsec.1"}]}))
    assert inproc("aws", "check", str(p)).returncode == 0
    r = inproc("aws", "check", "--region", "eu-west-1", str(p))
    assert r.returncode == 1 and f"ERROR   {p}: CustomerGateways[0].BgpAsn = 9059" in r.stdout


def test_malformed_json_exits_2_with_line_and_column(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{\n  "VpnConnections": [\n    {"VpnConnectionId": "vpn-1"\n  ]\n}\n')
    r = vpnlearn("aws", "check", str(p))
    assert r.returncode == 2
    assert "broken.json" in r.stderr and "line 4, column 3" in r.stderr
    assert "Traceback" not in r.stderr


def test_cidr_that_does_not_parse_exits_2_with_the_path(tmp_path, inproc):
    doc = json.loads(Path(FILES[0]).read_text())
    doc["VpnConnections"][0]["Options"]["TunnelOptions"][0]["TunnelInsideCidr"] = "169.254.44.88/40"
    p = tmp_path / "cidr.json"
    p.write_text(json.dumps(doc))
    r = inproc("aws", "check", str(p))
    assert r.returncode == 2
    assert "VpnConnections[0].Options.TunnelOptions[0].TunnelInsideCidr" in r.stderr


def test_unknown_algorithm_exits_2_with_the_path(tmp_path, inproc):
    doc = json.loads(Path(FILES[0]).read_text())
    doc["VpnConnections"][0]["Options"]["TunnelOptions"][1]["Phase1IntegrityAlgorithms"][0]["Value"] = "MD5"
    p = tmp_path / "alg.json"
    p.write_text(json.dumps(doc))
    r = inproc("aws", "check", str(p))
    assert r.returncode == 2
    assert "TunnelOptions[1].Phase1IntegrityAlgorithms[0].Value" in r.stderr and "MD5" in r.stderr


def test_aws_without_sub_command_prints_help_and_exits_2():
    r = vpnlearn("aws")
    assert r.returncode == 2 and "check" in r.stdout


def test_missing_file_exits_2(inproc):
    r = inproc("aws", "check", "/nonexistent/x.json")
    assert r.returncode == 2 and "cannot read file" in r.stderr


def test_adding_a_sub_command_is_one_function(monkeypatch, capsys):
    def add_hello(sub):
        p = sub.add_parser("hello")
        p.set_defaults(func=lambda args: print("hello from aws") or 0)

    monkeypatch.setattr(aws_cli, "SUBCOMMANDS", [*aws_cli.SUBCOMMANDS, add_hello])
    assert cli.main(["aws", "hello"]) == 0
    assert capsys.readouterr().out == "hello from aws\n"


@pytest.mark.parametrize("args", [["aws", "check", "--help"]])
def test_help(args, inproc):
    r = inproc(*args)
    assert r.returncode == 0 and "--region" in r.stdout and "FILE.json" in r.stdout


def test_findings_name_the_file_and_index_they_came_from(tmp_path, inproc):
    good = json.loads(Path(FILES[0]).read_text())
    second = tmp_path / "second.json"
    other = json.loads(Path(FILES[0]).read_text())
    conn = other["VpnConnections"][0]
    conn["VpnConnectionId"] = "vpn-0second"
    conn["Options"]["TunnelOptions"][0]["DpdTimeoutSeconds"] = 20
    for t, cidr in zip(conn["Options"]["TunnelOptions"], ("169.254.50.0/30", "169.254.51.0/30"), strict=True):
        t["TunnelInsideCidr"] = cidr
    second.write_text(json.dumps(other))
    first = tmp_path / "first.json"
    first.write_text(json.dumps(good))
    r = inproc("aws", "check", "--json", str(first), str(second), FILES[1], FILES[2])
    doc = json.loads(r.stdout)
    dpd = [f for f in doc["findings"] if f["rule_id"] == "TUN-DPD-TIMEOUT"]
    assert [(f["path"], f["where"]) for f in dpd] == [
        ("VpnConnections[1].Options.TunnelOptions[0].DpdTimeoutSeconds",
         f"{second}: VpnConnections[0].Options.TunnelOptions[0].DpdTimeoutSeconds")]


def test_simulate_prints_a_timeline(inproc):
    args = ("aws", "simulate", FILES[0], "--outage", "1:100:300", "--seed", "demo", "--duration", "400")
    r = inproc(*args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "VPN vpn-04d5e6f7a8b9c0d1e (bgp routing), 400 s"
    assert any("tunnel 2" in line and "telemetry DOWN: IPSEC IS DOWN" in line for line in lines)
    assert any(line.startswith("t=     130s  tunnel 1   dpd-timeout") for line in lines)
    assert lines[-1] == "AWS -> on-premises traffic lost for 210 s of 400 s"
    assert inproc(*args).stdout == r.stdout


def test_simulate_bad_input(inproc):
    r = inproc("aws", "simulate", FILES[0], "--outage", "one:100")
    assert r.returncode == 2 and "--outage" in r.stderr
    r = inproc("aws", "simulate", FILES[0], "--connection", "vpn-nope")
    assert r.returncode == 2 and "vpn-nope" in r.stderr
    r = inproc("aws", "simulate", FILES[0], "--outage", "3:10")
    assert r.returncode == 2 and "Outage.tunnel" in r.stderr

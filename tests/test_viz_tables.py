"""HTML tables with a stable text form: SAD, SPD with the lookup's why, route tables with the chosen route
and reason, AWS rules with links, validation findings."""

from __future__ import annotations

import dataclasses
import html
import re
import warnings

import pytest
from test_viz_scenes import check_snapshot, s2s_scene

from vpnlearn.aws.importer import load_files
from vpnlearn.aws.routing import lookup
from vpnlearn.aws.rules import RULES
from vpnlearn.aws.site_to_site import validate
from vpnlearn.errors import ConfigError
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.ipsec.sad import SAD
from vpnlearn.ipsec.spd import SPD, entry
from vpnlearn.rand import DemoRandom
from vpnlearn.viz.tables import (
    Table,
    findings_table,
    route_table,
    rules_table,
    sad_table,
    spd_decision_table,
    spd_table,
)


def site_spd() -> SPD:
    return SPD([
        entry("ike", "BYPASS", protocol="UDP", local_ports=500, remote_ports=500),
        entry("no-telnet", "DISCARD", remote="10.2.0.0/16", protocol="TCP", remote_ports=23),
        entry("site-b", "PROTECT", local="10.1.0.0/16", remote="10.2.0.0/16", ipsec="esp tunnel",
              sa_name="site-b"),
        entry("internet", "BYPASS", local="10.1.0.0/16"),
    ])


def marks_in_html(h: str) -> list[str]:
    return re.findall(r'<tr data-mark="([^"]*)">', h)


def test_spd_with_decision_marks_the_deciding_entry() -> None:
    spd = site_spd()
    d = spd.lookup(icmp_echo("10.1.0.5", "10.2.3.4"), "outbound")
    t = spd_table(spd, d)
    assert t.html() == spd_table(spd, d).html()
    check_snapshot("spd-decision.txt", t.text())
    check_snapshot("spd-decision.html", t.html())
    assert marks_in_html(t.html()) == ["eliminated", "eliminated", "chosen", ""]
    rows = t.text().splitlines()
    assert [r[:2] for r in rows[3:7]] == ["x ", "x ", "=>", "  "]
    assert "not tried" in rows[6] and d.entry.name == "site-b"
    assert "protocol ICMP is not UDP" in t.text() and "first match wins" in t.text()
    # the HTML says it with words too, not only colour
    assert ">chosen<" in t.html() and ">skipped<" in t.html()


def test_spd_decision_trace_and_sad() -> None:
    spd = site_spd()
    d = spd.lookup(icmp_echo("10.1.0.5", "10.2.3.4"))
    tr = spd_decision_table(d)
    assert [r[2] for r in tr.rows] == ["no", "no", "yes"]
    assert marks_in_html(tr.html()) == ["eliminated", "eliminated", "chosen"]
    sad = SAD()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa_in = SecurityAssociation(0x1000, tunnel_src="192.0.2.1", tunnel_dst="198.51.100.7",
                                    direction="inbound", rng=DemoRandom(1, _warn=False))
        sa_out = SecurityAssociation(0x2000, tunnel_src="192.0.2.1", tunnel_dst="198.51.100.7",
                                     rng=DemoRandom(2, _warn=False))
    sad.add_inbound(sa_in, destination="192.0.2.1")
    sad.add_outbound(sa_out, spd["site-b"])
    t = sad_table(sad)
    check_snapshot("sad.txt", t.text())
    assert [r[0] for r in t.rows] == ["inbound", "outbound"]
    assert t.rows[0][1] == "0x00001000" and t.rows[1][4] == "site-b"
    # no key material in either form
    for sa in (sa_in, sa_out):
        assert len(sa.enc_key) >= 16
        for form in (t.text(), t.html()):
            assert sa.enc_key.hex() not in form and sa.enc_key.hex().upper() not in form


def test_route_table_with_lookup_marks_chosen_and_links_rules() -> None:
    vpc, _, _, _ = s2s_scene()
    table = vpc.main_route_table
    lk = lookup(table, "192.168.2.9")
    t = route_table(table, lk)
    check_snapshot("route-table-lookup.txt", t.text())
    check_snapshot("route-table-lookup.html", t.html())
    status = {r[0]: r[-1] for r in t.rows}
    assert status[str(lk.route.destination)] == "chosen"
    assert status["192.168.0.0/16"] == "eliminated by VPC-RT-LPM"
    assert status["10.0.0.0/16"] == "no match"
    assert "route-tables-priority.html" in t.html()  # the LPM rule's AWS page, as a link
    assert t.note == lk.explain()
    assert route_table(table).marks == ()


def test_rules_table_links_every_rule() -> None:
    t = rules_table()
    assert len(t.rows) == len(RULES)
    h = t.html()
    for r in RULES.values():
        assert f'href="{html.escape(r.doc_url)}"' in h
    tunnel = rules_table("tunnel")
    assert 0 < len(tunnel.rows) < len(RULES) and all(r[1] == "tunnel" for r in tunnel.rows)


def test_findings_table_errors_first_with_paths_and_links() -> None:
    inv = load_files([f"tests/data/describe-{n}.json" for n in ("vpn-connections", "customer-gateways",
                                                                  "vpn-gateways")])
    tun = inv.vpn_connections[0].tunnels[0]
    tun.options = dataclasses.replace(tun.options, replay_window_size=5)  # AWS allows 64..2048
    findings = validate(inv)
    t = findings_table(findings)
    assert len(t.rows) == len(findings) > 0
    sev = [r[0] for r in t.rows]
    assert sev == sorted(sev, key=lambda s: s != "ERROR")
    assert "ERROR" in sev
    for f in findings:
        assert f.path in t.text() and f.doc_url in t.text()
    assert t.marks.count("error") == sum(f.severity == "error" for f in findings)


def test_table_rejects_bad_shapes() -> None:
    with pytest.raises(ConfigError, match="row 0 has 1 cells, expected 2"):
        Table("t", ("a", "b"), (("x",),))
    with pytest.raises(ConfigError, match="field marks has 2 entries for 1 rows"):
        Table("t", ("a",), (("x",),), marks=("", ""))
    with pytest.raises(ConfigError, match="unknown mark 'green'"):
        Table("t", ("a",), (("x",),), marks=("green",))
    t = Table("t", ("a",), (("<b>&",),))
    assert "&lt;b&gt;&amp;" in t.html() and "<b>&" in t.text()


def test_path_choice_table_marks_the_gateways_choice() -> None:
    from vpnlearn.viz.tables import path_choice_table

    _, vgw, _, _ = s2s_scene()
    choice = vgw.select("192.168.2.9")
    t = path_choice_table(choice)
    check_snapshot("vgw-path-choice.txt", t.text())
    chosen = [r for r, m in zip(t.rows, t.marks, strict=True) if m == "chosen"]
    assert [(r[1], r[2]) for r in chosen] == [(choice.path.connection, choice.path.tunnel)]
    assert len(t.rows) == len(choice.candidates)
    assert {r[-1] for r, m in zip(t.rows, t.marks, strict=True) if m == "eliminated"} == \
        {"eliminated by VGW-PATH-LPM", "eliminated by VGW-ONE-TUNNEL"}
    assert t.note == choice.explain()


def test_folded_table_is_closed_details_with_the_same_rows() -> None:
    from html.parser import HTMLParser

    from vpnlearn.viz.tables import rules_table

    table = rules_table("tunnel")
    folded = table.fold()
    assert folded.text() == table.text() and folded.rows == table.rows and not table.folded

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.rows_in_details = 0
            self.summary = ""

        def handle_starttag(self, tag, attrs) -> None:
            self.stack.append(tag)
            if tag == "tr" and "details" in self.stack and "tbody" in self.stack:
                self.rows_in_details += 1

        def handle_endtag(self, tag) -> None:
            while self.stack and self.stack.pop() != tag:
                pass

        def handle_data(self, data) -> None:
            if "summary" in self.stack:
                self.summary += data

    tags = Tags()
    tags.feed(folded.html())
    assert tags.rows_in_details == len(table.rows)
    assert tags.summary == f"{table.title} ({len(table.rows)} rows; click to show)"
    assert "<details open" not in folded.html() and "<details" not in table.html()


def test_long_code_words_get_break_opportunities_and_stay_escaped() -> None:
    from vpnlearn.viz.tables import breakable

    path = "VpnConnections[0].Options.TunnelOptions[1].Phase2LifetimeSeconds"
    out = breakable(f"{path} is '169.254.14.0/30' <b>")
    assert out.replace("<wbr>", "") == html.escape(f"{path} is '169.254.14.0/30' <b>")
    assert ("Vpn<wbr>Connections<wbr>[0].<wbr>Options.<wbr>Tunnel<wbr>Options<wbr>[1].<wbr>"
            "Phase2<wbr>Lifetime<wbr>Seconds") in out
    assert "169.254.14.0/30" in out  # short words stay whole
    assert breakable("a" * 40) == "a" * 40  # nothing to break at: left alone

"""``vpnlearn esp demo``: runs, shows the fields, refuses a tampered and a replayed packet."""

from __future__ import annotations

import pytest

from vpnlearn.cli import main


@pytest.mark.parametrize("argv", [[], ["--mode", "transport", "--natt"], ["--suite", "aes256", "--integrity",
                                  "sha256", "--esn"], ["--ah"], ["--suite", "chacha20poly1305"]])
def test_demo(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["esp", "demo", *argv]) == 0
    out = capsys.readouterr().out
    assert "inner packet identical: True" in out
    assert "refused: AuthenticationError" in out and "refused: ReplayError" in out
    assert ("ICV" in out) and ("SPI" in out)
    if "--natt" in argv:
        assert "UDP (NAT-T)" in out


def test_demo_bad_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["esp", "demo", "--suite", "rot13"]) == 2
    assert "unknown encryption algorithm 'rot13'" in capsys.readouterr().err

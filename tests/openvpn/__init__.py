"""Helpers for the real OpenVPN 2.6 tests: network namespaces joined by a veth, OpenVPN processes by pid."""

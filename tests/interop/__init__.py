"""Interop tests against a real strongSwan charon in network namespaces (marker ``root``)."""

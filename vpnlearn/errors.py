"""The library's own error types.

Every error a user can cause (bad bytes, bad configuration, a failed check) is one of these, with a
message that names what was wrong and where. Code outside this module raises these, never a bare
``ValueError``/``KeyError``/``struct.error`` from deep inside.
"""

from __future__ import annotations


class VpnlearnError(Exception):
    """Base class of every error the library raises on purpose."""


class ParseError(VpnlearnError):
    """Bytes that do not decode: truncated, inconsistent or malformed.

    ``what`` names the structure (``"ESP header"``), ``field`` the field (``"SPI"``) and
    ``offset`` the byte offset in the input where the problem is.
    """

    def __init__(self, message: str, *, what: str = "", field: str = "",
                 offset: int | None = None) -> None:
        self.what = what
        self.field = field
        self.offset = offset
        where = []
        if what:
            where.append(what)
        if field:
            where.append(f"field {field}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        full = f"{', '.join(where)}: {message}" if where else message
        super().__init__(full)


class ConfigError(VpnlearnError, ValueError):
    """A value the caller chose is not acceptable (wrong key length, unknown suite, bad SPI ...)."""


class CryptoError(VpnlearnError):
    """A cryptographic check failed."""


class AuthenticationError(CryptoError):
    """An integrity check value (ICV) or AUTH payload did not verify.

    The message never contains any of the plaintext or key material.
    """


class ReplayError(VpnlearnError):
    """A packet's sequence number was already seen or is left of the anti-replay window."""


class PolicyError(VpnlearnError):
    """The SPD says DISCARD, or no SA matches a packet that must be protected."""


class LifetimeExpired(VpnlearnError):
    """An SA reached its hard lifetime (seconds, bytes or packets) and must not be used."""


class ProtocolError(VpnlearnError):
    """An IKE peer broke the protocol; ``notify`` names the RFC 7296 notify type, if any."""

    def __init__(self, message: str, *, notify: str | None = None) -> None:
        self.notify = notify
        super().__init__(f"{message} [{notify}]" if notify else message)


class BankError(ConfigError):
    """A quiz question bank (YAML) has problems.

    ``problems`` lists every one found, each naming the file, line, question id and field, so an
    author can fix them all in one pass.
    """

    def __init__(self, message: str, *, problems: list | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)

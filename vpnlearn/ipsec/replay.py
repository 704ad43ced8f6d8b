"""The anti-replay sliding window of RFC 4303 §3.4.3 and Appendix A, with Extended Sequence Numbers.

A receiver remembers which sequence numbers it has accepted in a window of the last ``size``
numbers ending at the highest one seen (``top``). A packet is dropped if its number was already
accepted (a duplicate) or lies left of the window (too old to tell). Numbers right of the window
are new: accepting one slides the window forward.

The work is split in two, as RFC 4303 §3.4.3 requires: :meth:`ReplayWindow.check` runs *before*
the Integrity Check Value is verified (cheap rejection of replays) and changes nothing;
:meth:`ReplayWindow.update` runs only *after* the packet authenticated. A forged packet can therefore
never move the window.

The window is a ring of 64-bit words (the bitmap of RFC 6479): sequence number ``s`` is bit
``s % 64`` of word ``(s // 64) % words``. Checking or recording a packet touches one word; sliding
the window forward clears only the words it newly enters (one now and then for in-order traffic,
all of them at most once for a big jump). No per-packet loop over the window, whatever its size.

With ESN (RFC 4303 §2.2.1, Appendix A2) only the low 32 bits travel in the packet; the receiver
infers the high 32 bits from its window (:meth:`ReplayWindow.infer`).

AWS Site-to-Site VPN lets the replay window be 64 to 2048 packets (default 1024):
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html
(ReplayWindowSize).

>>> w = ReplayWindow(64)
>>> w.check(5); w.update(5)
>>> w.check(5)
Traceback (most recent call last):
...
vpnlearn.errors.ReplayError: ESP header, field Sequence Number: 5 was already received (duplicate)
"""

from __future__ import annotations

from vpnlearn.errors import ConfigError, ReplayError

MIN_WINDOW = 64
"""Smallest replay window AWS accepts (ReplayWindowSize, API_VpnTunnelOptionsSpecification)."""
MAX_WINDOW = 2048
"""Largest replay window AWS accepts (ReplayWindowSize, API_VpnTunnelOptionsSpecification)."""
DEFAULT_WINDOW = 1024
"""AWS's default replay window."""
AWS_REPLAY_WINDOW_URL = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html"

_LOW = 0xFFFFFFFF


class ReplayWindow:
    """An RFC 4303 Appendix A anti-replay window of ``size`` packets (64..2048, as AWS allows).

    ``esn`` selects 64-bit Extended Sequence Numbers. ``where`` names the header in error messages
    (``"ESP header"`` or ``"AH header"``).
    """

    __slots__ = ("_nwords", "_words", "esn", "size", "top", "where")

    def __init__(self, size: int = DEFAULT_WINDOW, *, esn: bool = False, where: str = "ESP header") -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not MIN_WINDOW <= size <= MAX_WINDOW:
            raise ConfigError(f"replay window size {size!r} is outside {MIN_WINDOW}..{MAX_WINDOW} packets, "
                              f"the range AWS allows ({AWS_REPLAY_WINDOW_URL})")
        self.size = size
        self.esn = esn
        self.where = where
        self.top = 0          # highest sequence number accepted so far (0: none yet)
        # Enough words that every number in [top - size + 1, top] has its own bit.
        self._nwords = size // 64 + 2
        self._words = [0] * self._nwords

    # -- ESN ---------------------------------------------------------------------------------------

    def infer(self, seq_low: int) -> int:
        """The full sequence number of a packet carrying the low 32 bits ``seq_low``.

        Without ESN it is ``seq_low`` itself. With ESN this is RFC 4303 Appendix A2.2: if the window
        lies within one 2^32 subspace (Case A), a ``seq_low`` below its bottom means the counter
        wrapped into the next subspace; if the window straddles two subspaces (Case B), a
        ``seq_low`` at or above the bottom belongs to the previous subspace.
        """
        if not self.esn:
            return seq_low
        w = self.size
        th = self.top & _LOW
        high = self.top >> 32
        tl = (th - w + 1) & _LOW
        if th >= w - 1:                      # Case A: window within one subspace
            seq_high = high if seq_low >= tl else high + 1
        else:                                # Case B: window spans two subspaces
            seq_high = high - 1 if seq_low >= tl else high
        if seq_high < 0:                     # before the very first packet: cannot exist
            return seq_low - (1 << 32)
        return (seq_high << 32) | seq_low

    # -- check then update -------------------------------------------------------------------------

    def check(self, seq: int) -> None:
        """Raise :class:`ReplayError` if ``seq`` (the full number) must be dropped; change nothing."""
        if seq <= 0:
            raise ReplayError(f"{self.where}, field Sequence Number: {seq} is left of the window "
                              "(no packet before the first one, number 1, can exist)")
        top = self.top
        if seq > top:
            return
        diff = top - seq
        if diff >= self.size:
            raise ReplayError(f"{self.where}, field Sequence Number: {seq} is left of the window "
                              f"[{top - self.size + 1}, {top}] (too old)")
        if (self._words[(seq >> 6) % self._nwords] >> (seq & 63)) & 1:
            raise ReplayError(f"{self.where}, field Sequence Number: {seq} was already received (duplicate)")

    def update(self, seq: int) -> None:
        """Record ``seq`` as accepted (call only after its ICV verified); checks it again first."""
        self.check(seq)
        self._accept(seq)

    def _accept(self, seq: int) -> None:
        """Record ``seq``, already checked (the fast path ESP uses right after :meth:`check`)."""
        top = self.top
        if seq > top:
            if seq >> 6 != top >> 6:             # into a new word: clear the words it slides into
                self._slide(seq)
            self.top = seq
        # The common case (the next packet in order, same word) is just this line: it runs per packet.
        self._words[(seq >> 6) % self._nwords] |= 1 << (seq & 63)

    def _slide(self, seq: int) -> None:
        """Clear the words between the current top's and ``seq``'s (``seq`` > top, new word)."""
        words, n = self._words, self._nwords
        block = seq >> 6
        entered = block - (self.top >> 6)        # words the window slides into
        if entered >= n:
            words[:] = [0] * n
        else:
            for b in range(block - entered + 1, block + 1):
                words[b % n] = 0

    def seen(self, seq: int) -> bool:
        """True if ``seq`` is inside the window and was accepted (for drawing the window)."""
        diff = self.top - seq
        return (0 <= diff < self.size and seq > 0
                and bool((self._words[(seq >> 6) % self._nwords] >> (seq & 63)) & 1))

    def accepted(self) -> list[int]:
        """The accepted sequence numbers still inside the window, lowest first (for drawing)."""
        return [s for s in range(max(1, self.bottom), self.top + 1) if self.seen(s)]

    @property
    def bottom(self) -> int:
        """The lowest sequence number still inside the window (may be < 1 early on)."""
        return self.top - self.size + 1

    def __repr__(self) -> str:
        return (f"ReplayWindow(size={self.size}, esn={self.esn}, top={self.top}, "
                f"accepted_in_window={len(self.accepted())})")

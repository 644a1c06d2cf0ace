"""Time as a dependency, so tests and benchmarks can drive it instead of waiting.

Everything that waits or stamps time (the call budget, retries, pollers, the sandbox's
arrivals) takes a `Clock`. `FakeClock.sleep` advances time at once, so a test can run
"24 hours" of polling in a second without a single real sleep.
"""

from __future__ import annotations

import asyncio
import math
import time


class Clock:
    """The real clock."""

    def now(self) -> float:
        """Wall time, seconds since the epoch (for timestamps shown or sent)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals and budgets)."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock(Clock):
    """A clock that only moves when told to, or when something sleeps on it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:  # 2027-01-15, fixed
        self._now = start
        self._mono_offset = start - 1000.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._mono_offset

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            # At ~1.8e9 s a float step is ~2.4e-7 s: a tinier advance would not move time at
            # all, and anything waiting for it (the call budget) would spin forever.
            self._now = max(self._now + seconds, math.nextafter(self._now, math.inf))

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)  # still yield, so other tasks run in a real order


REAL_CLOCK = Clock()

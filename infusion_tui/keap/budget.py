"""The call budget: never more than `calls` requests in any `period` seconds, per connection.

Keap (and the seed connector) allow 100 calls per 60 s. Every request of a connection takes a
slot here first; when the window is full, callers wait (async) instead of failing.

Why a call is stamped when its *response* arrives, not when it is sent: Keap counts a call when
the request reaches it, which is somewhere between our send and its answer. Counting each call
from send (in flight) until answer + period is the only way to be sure Keap never sees more than
`calls` in any of its windows, whatever the network latency.

The budget also listens to Keap: `x-keap-product-throttle-available: 0` blocks new calls until
our oldest call leaves the window, and `penalize()` (after a 429) makes everyone wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from infusion_tui.clock import REAL_CLOCK, Clock

# A call leaves the window a hair after `period`: a server counting [t - period, t] inclusive
# must not see the call that starts exactly `period` later.
_EDGE = 0.001

THROTTLE_AVAILABLE = "x-keap-product-throttle-available"


class CallBudget:
    """A strict rolling-window limiter shared by every request of one connection."""

    def __init__(self, calls: int = 100, period: float = 60.0, clock: Clock = REAL_CLOCK) -> None:
        if calls < 1 or period <= 0:
            raise ValueError("a budget needs at least one call and a positive period")
        self.calls = calls
        self.period = period
        self.clock = clock
        self._done: deque[float] = deque()  # answer times of finished calls, oldest first
        self._in_flight = 0
        self._blocked_until = 0.0  # monotonic; set by penalize() and by Keap's own headers
        self._lock = asyncio.Lock()  # FIFO: callers are served in the order they asked
        self._released = asyncio.Event()

    def __repr__(self) -> str:
        return f"CallBudget(calls={self.calls}, period={self.period}, used={self.used()})"

    # -- reading -------------------------------------------------------------------------

    def used(self) -> int:
        """Calls that count against the current window (finished in it, or still in flight)."""
        self._prune(self.clock.monotonic())
        return len(self._done) + self._in_flight

    def free_in(self) -> float:
        """Seconds until a call could start (0 if now), for a status bar; a guess while every
        slot is in flight (the answer stamps it, so a whole period at most)."""
        wait = self._wait(self.clock.monotonic())
        return self.period if wait is None else wait

    # -- taking a slot -------------------------------------------------------------------

    async def acquire(self) -> None:
        """Wait for a free slot and count one call, stamped now."""
        await self._grant()
        self._in_flight -= 1
        self._done.append(self.clock.monotonic())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for one request: in flight inside the block, stamped when it ends."""
        await self._grant()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._done.append(self.clock.monotonic())
            self._released.set()

    async def _grant(self) -> None:
        async with self._lock:
            while True:
                wait = self._wait(self.clock.monotonic())
                if wait is None:  # every slot is in flight: wait for one to finish
                    self._released.clear()
                    await self._released.wait()
                elif wait > 0:
                    # never less than _EDGE: a fake clock at 1.8e9 s cannot move by 1e-13
                    await self.clock.sleep(max(wait, _EDGE))
                else:
                    break
            self._in_flight += 1

    def _wait(self, now: float) -> float | None:
        """Seconds to wait before a call may start; None if only a finishing call can free one."""
        self._prune(now)
        wait = max(0.0, self._blocked_until - now)
        if len(self._done) + self._in_flight >= self.calls:
            if not self._done:
                return None
            wait = max(wait, self._done[0] + self.period + _EDGE - now)
        return wait

    def _prune(self, now: float) -> None:
        while self._done and self._done[0] + self.period + _EDGE <= now:
            self._done.popleft()

    # -- listening to Keap ---------------------------------------------------------------

    def penalize(self, seconds: float) -> None:
        """Nobody starts a call for `seconds` (Keap said 429, maybe with Retry-After)."""
        if seconds > 0:
            self._blocked_until = max(self._blocked_until, self.clock.monotonic() + seconds)

    def note_headers(self, headers: Mapping[str, str]) -> None:
        """Obey Keap's per-minute throttle headers: 0 available means wait for the window."""
        available = _parse_count(headers.get(THROTTLE_AVAILABLE))
        if available is None or available > 0:
            return
        now = self.clock.monotonic()
        self._prune(now)
        # Keap does not say when its window frees; our oldest call leaving it is the best guess,
        # and a whole period is the most it can take.
        until = self._done[0] + self.period + _EDGE if self._done else now + self.period
        self._blocked_until = max(self._blocked_until, until)


def _parse_count(value: str | None) -> int | None:
    """Keap sends `12` or, for tenant buckets, `12|3400`; the smallest is what binds."""
    if not value:
        return None
    counts = []
    for part in value.split("|"):
        try:
            counts.append(int(part.strip()))
        except ValueError:
            continue
    return min(counts) if counts else None

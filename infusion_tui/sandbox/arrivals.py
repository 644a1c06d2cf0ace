"""New orders and tasks that "arrive" while the sandbox runs, without a background task.

Arrival k of a stream is scheduled at ``start + k * every + jitter`` (jitter seeded, up to a
quarter of ``every``). Whenever anything looks at the data (every request, ``sb.orders``),
every arrival whose time is ``<= clock.now()`` is created, with ``creation_date`` set to its
scheduled time, not to when it was noticed. So a FakeClock moved forward by an hour yields
exactly the arrivals of that hour, and the same seed always yields the same arrivals.

Some slots (seeded, ``tie_chance``) bring two items with the same creation_date, to the
millisecond: pollers must de-duplicate by id.
"""

from __future__ import annotations

import random


class Stream:
    def __init__(self, rng: random.Random, start: float, every: float | None,
                 tie_chance: float = 0.0) -> None:
        self.rng, self.start, self.every, self.tie_chance = rng, start, every, tie_chance
        self.k = 0
        self.next_at: float | None = None
        if every is not None:
            if every <= 0:
                raise ValueError("arrival interval must be > 0 seconds")
            self._schedule_next()

    def _schedule_next(self) -> None:
        assert self.every is not None
        self.k += 1
        self.next_at = self.start + self.k * self.every + self.rng.uniform(0, self.every / 4)

    def due(self, now: float) -> list[float]:
        """Creation times of everything that has arrived by ``now``, oldest first."""
        stamps: list[float] = []
        while self.next_at is not None and self.next_at <= now:
            copies = 2 if self.rng.random() < self.tie_chance else 1
            stamps.extend([self.next_at] * copies)
            self._schedule_next()
        return stamps

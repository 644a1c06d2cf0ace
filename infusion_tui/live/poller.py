"""One feed's poller: fetch what is new since the cursor, never overlapping, never too often.

`poll()` is one step and owns no loop: the UI chains Textual timers around it and
`run_forever` chains `clock.sleep`, both waiting `result.next_delay` after a poll ENDS, so
polls cannot pile up. The floor (Keap: one trigger poll per 120 s) is enforced here too: a
background poll that comes early is skipped and told how long to wait.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.keap.errors import KeapError, RateLimited, Unavailable
from infusion_tui.live.cursor import EPOCH, Cursor, utc

log = logging.getLogger(__name__)

T = TypeVar("T")

# `since` is sent 1 ms early: whether Keap treats it as >= or >, items AT the cursor's stamp
# come back and the ids in the cursor drop the ones already shown.
OVERLAP = timedelta(milliseconds=1)

Fetch = Callable[[datetime | None], Awaitable[Sequence[T]]]
Persist = Callable[[Cursor, list[T], bool], Awaitable[None]]


@dataclass(slots=True)
class PollResult(Generic[T]):
    new: list[T] = field(default_factory=list)  # unseen items, in stamp order
    changed: list[T] = field(default_factory=list)  # unseen modifications of known items (tasks)
    baseline: list[T] = field(default_factory=list)  # first-ever sync: shown, not marked new
    error: KeapError | None = None
    next_delay: float = 0.0  # seconds until the next background poll should be tried
    retry_at: float | None = None  # wall time of the next try while backing off
    skipped: bool = False  # nothing was fetched (busy, paused or too early)
    manual: bool = False
    failures: int = 0  # consecutive failed polls

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped


class Poller(Generic[T]):
    def __init__(
        self,
        fetch: Fetch[T],
        *,
        key: Callable[[T], int],
        stamp: Callable[[T], datetime | None],
        cursor: Cursor | None = None,
        interval: float = 120.0,
        floor: float = 120.0,
        clock: Clock = REAL_CLOCK,
        max_backoff: float = 900.0,
        created: Callable[[T], datetime | None] | None = None,
        baseline_window: float | None = None,
        persist: Persist[T] | None = None,
        name: str = "feed",
    ) -> None:
        """`fetch(since)` returns every item with stamp >= since (all of them for None).

        `created`: when given, unseen items created before the cursor are `changed`, not new.
        `baseline_window`: seconds of history fetched on the first-ever sync (None: all).
        `persist(cursor, items, is_baseline)` saves a successful poll before it is committed.
        """
        self._fetch = fetch
        self._key = key
        self._stamp = stamp
        self._created = created
        self._persist = persist
        self.name = name
        self.clock = clock
        self.floor = max(0.0, floor)
        self._interval = max(interval, self.floor)
        self.max_backoff = max(max_backoff, self._interval)
        self.baseline_window = baseline_window
        self._cursor = cursor or Cursor()
        self._busy = False
        self._paused = False
        self._failures = 0
        self._next_at = clock.monotonic()  # the first background poll may run at once
        self.last_error: KeapError | None = None
        self.last_success_at: float | None = None
        self.retry_at: float | None = None

    # -- state ---------------------------------------------------------------------------

    @property
    def cursor(self) -> Cursor:
        return self._cursor

    @property
    def interval(self) -> float:
        return self._interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        self._interval = max(seconds, self.floor)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def failures(self) -> int:
        return self._failures

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def seconds_until_next(self) -> float:
        """For a countdown: how long until a background poll is due (0 when overdue)."""
        return max(0.0, self._next_at - self.clock.monotonic())

    # -- polling -------------------------------------------------------------------------

    async def poll(self, *, manual: bool = False) -> PollResult[T]:
        if self._busy:  # the running poll re-arms the timer when it ends
            return self._skip(manual, self._interval)
        if not manual:
            if self._paused:
                return self._skip(manual, self._interval)
            early = self._next_at - self.clock.monotonic()
            if early > 0:
                return self._skip(manual, early)
        self._busy = True  # set before the first await: a concurrent call sees it
        try:
            return await self._poll(manual)
        finally:
            self._busy = False

    def _skip(self, manual: bool, delay: float) -> PollResult[T]:
        return PollResult(
            next_delay=delay, skipped=True, manual=manual, retry_at=self.retry_at, failures=self._failures
        )

    def _since(self) -> datetime | None:
        if self._cursor.stamp is not None:
            return self._cursor.stamp - OVERLAP if self._cursor.stamp > EPOCH else None
        if self.baseline_window is None:
            return None
        return datetime.fromtimestamp(self.clock.now() - self.baseline_window, tz=EPOCH.tzinfo)

    async def _poll(self, manual: bool) -> PollResult[T]:
        since = self._since()
        result: PollResult[T] = PollResult(manual=manual)
        try:
            fetched = await self._fetch(since)
            cursor = self._absorb(fetched, since, result)
            await self._save(cursor, result)
        except KeapError as exc:
            return self._failed(exc, result)
        except Exception as exc:  # a bug or an unwrapped transport error must not end the feed
            log.exception("%s poll failed unexpectedly", self.name)
            return self._failed(Unavailable(f"Checking for {self.name} failed: {exc}"), result)
        self._cursor = cursor
        self._failures = 0
        self.last_error = None
        self.retry_at = None
        self.last_success_at = self.clock.now()
        result.next_delay = self._interval
        self._next_at = self.clock.monotonic() + self._interval
        return result

    def _absorb(self, fetched: Sequence[T], since: datetime | None, result: PollResult[T]) -> Cursor:
        """Split what came back into baseline/new/changed; return the cursor after it."""
        old = self._cursor
        unique = {self._key(item): item for item in fetched}  # offset paging can repeat an item
        items = [i for i in unique.values() if old.unseen(self._stamp(i), self._key(i))]
        items.sort(key=lambda i: (utc(self._stamp(i)), self._key(i)))
        cursor = old.advanced((self._stamp(i), self._key(i)) for i in items)
        if old.empty:
            result.baseline = items
            if cursor.empty:  # nothing yet: whatever appears after the window start is new
                cursor = Cursor(utc(since) if since is not None else EPOCH)
        elif self._created is None:
            result.new = items
        else:
            for item in items:
                fresh = old.unseen(self._created(item), self._key(item))
                (result.new if fresh else result.changed).append(item)
        return cursor

    async def _save(self, cursor: Cursor, result: PollResult[T]) -> None:
        if self._persist is None:
            return
        items = result.baseline or result.new + result.changed
        try:  # even an empty poll is saved: it moves the feed's "last synced" time
            await self._persist(cursor, items, self._cursor.empty)
        except Exception:  # the cache is a convenience: a full disk must not stop the feed
            log.exception("%s: could not save the poll to the local store", self.name)

    def _failed(self, exc: KeapError, result: PollResult[T]) -> PollResult[T]:
        self._failures += 1
        delay = min(self.max_backoff, self._interval * 2 ** (self._failures - 1))
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)  # Keap said when; asking sooner only earns a 429
        self.last_error = exc
        self.retry_at = self.clock.now() + delay
        self._next_at = self.clock.monotonic() + delay
        result.error = exc
        result.next_delay = delay
        result.retry_at = self.retry_at
        result.failures = self._failures
        log.warning(
            "%s poll failed (%d in a row), next try in %.0f s: %s", self.name, self._failures, delay, exc
        )
        return result

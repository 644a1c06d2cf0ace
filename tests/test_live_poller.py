"""The Poller on its own, against an in-memory fetch: timing, backoff, overlap, pause."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap.errors import AuthError, RateLimited, Unavailable
from infusion_tui.live import Cursor, Poller, run_forever


@dataclass
class Item:
    id: int
    created: datetime
    modified: datetime | None = None


class Source:
    """A feed whose `since` is inclusive, like the sandbox; failures are queued per call."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.items: list[Item] = []
        self.calls: list[float] = []  # monotonic time of each fetch
        self.errors: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.next_id = 1

    def add(self, created: datetime | None = None) -> Item:
        item = Item(self.next_id, created or self.now())
        self.next_id += 1
        self.items.append(item)
        return item

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), tz=timezone.utc)

    async def fetch(self, since: datetime | None) -> list[Item]:
        self.calls.append(self.clock.monotonic())
        if self.gate is not None:
            await self.gate.wait()
        if self.errors:
            raise self.errors.pop(0)
        return [i for i in self.items if since is None or (i.modified or i.created) >= since]


def make(source: Source, **kw) -> Poller[Item]:
    kw.setdefault("clock", source.clock)
    return Poller(source.fetch, key=lambda i: i.id, stamp=lambda i: i.modified or i.created, **kw)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def source(clock):
    return Source(clock)


async def test_first_poll_is_a_baseline_then_only_arrivals_are_new(source, clock):
    old = [source.add(), source.add()]
    poller = make(source)
    first = await poller.poll()
    assert first.baseline == old and first.new == [] and first.ok
    clock.advance(120)
    fresh = source.add()
    second = await poller.poll()
    assert second.new == [fresh] and second.baseline == []


async def test_empty_baseline_still_marks_later_arrivals_new(source, clock):
    poller = make(source, baseline_window=3600)
    assert (await poller.poll()).baseline == []
    clock.advance(120)
    fresh = source.add()
    assert (await poller.poll()).new == [fresh]


async def test_baseline_window_limits_history(source, clock):
    ancient = source.add(created=source.now() - timedelta(days=90))
    recent = source.add()
    result = await make(source, baseline_window=30 * 86400).poll()
    assert result.baseline == [recent] and ancient not in result.baseline


async def test_saved_cursor_marks_what_arrived_while_closed_as_new(source, clock):
    seen = source.add()
    cursor = Cursor().advanced([(seen.created, seen.id)])
    clock.advance(3600)
    while_closed = [source.add(), source.add()]
    result = await make(source, cursor=Cursor.from_json(cursor.to_json())).poll()
    assert result.new == while_closed and result.baseline == []


async def test_same_stamp_arriving_later_is_shown_once(source, clock):
    poller = make(source, cursor=Cursor(source.now() - timedelta(days=1)))
    stamp = source.now()
    a = source.add(created=stamp)
    assert (await poller.poll()).new == [a]
    clock.advance(120)
    b = source.add(created=stamp)  # same creation_date, visible only now
    assert (await poller.poll()).new == [b]
    clock.advance(120)
    assert (await poller.poll()).new == []


async def test_new_items_come_in_stamp_order(source, clock):
    poller = make(source, cursor=Cursor(source.now() - timedelta(days=1)))
    late = source.add(created=source.now() + timedelta(seconds=5))
    early = source.add(created=source.now() + timedelta(seconds=1))
    assert (await poller.poll()).new == [early, late]


async def test_created_splits_new_from_changed(source, clock):
    known = source.add()
    poller = make(source, created=lambda i: i.created)
    await poller.poll()
    clock.advance(60)
    known.modified = source.now()
    fresh = source.add()
    clock.advance(120)
    result = await poller.poll()
    assert result.new == [fresh] and result.changed == [known]


def test_interval_below_floor_is_raised(source):
    assert make(source, interval=10, floor=120).interval == 120
    poller = make(source, interval=10, floor=5)
    assert poller.interval == 10
    poller.interval = 1
    assert poller.interval == 5


async def test_background_polls_respect_the_floor(source, clock):
    poller = make(source, interval=10, floor=120)
    first = await poller.poll()
    assert first.next_delay == 120
    clock.advance(30)
    early = await poller.poll()
    assert early.skipped and early.next_delay == pytest.approx(90)
    assert poller.seconds_until_next() == pytest.approx(90)
    clock.advance(90)
    assert not (await poller.poll()).skipped
    assert len(source.calls) == 2


async def test_manual_poll_runs_at_once_and_resets_the_timer(source, clock):
    poller = make(source)
    await poller.poll()
    clock.advance(100)
    manual = await poller.poll(manual=True)
    assert not manual.skipped and manual.manual and len(source.calls) == 2
    clock.advance(100)  # 200 s after the first poll, but only 100 after the manual one
    assert (await poller.poll()).skipped
    clock.advance(20)
    assert not (await poller.poll()).skipped


async def test_concurrent_polls_make_one_fetch(source, clock):
    poller = make(source)
    source.gate = asyncio.Event()
    first = asyncio.create_task(poller.poll())
    await asyncio.sleep(0)
    second = await poller.poll(manual=True)
    assert second.skipped and poller.busy
    source.gate.set()
    assert not (await first).skipped
    assert len(source.calls) == 1 and not poller.busy


async def test_errors_back_off_exponentially_then_recover(source, clock):
    poller = make(source, interval=120, max_backoff=900)
    source.errors = [Unavailable("down")] * 5
    delays = []
    for _ in range(5):
        result = await poller.poll()
        assert isinstance(result.error, Unavailable)
        assert result.retry_at == pytest.approx(clock.now() + result.next_delay)
        delays.append(result.next_delay)
        clock.advance(result.next_delay)
    assert delays == [120, 240, 480, 900, 900]
    assert poller.failures == 5 and poller.last_error is not None
    result = await poller.poll()
    assert result.ok and result.next_delay == 120 and result.retry_at is None
    assert poller.failures == 0 and poller.last_error is None
    assert poller.last_success_at == clock.now()


async def test_retry_after_is_honoured_when_longer(source, clock):
    poller = make(source, interval=120)
    source.errors = [RateLimited("slow down", retry_after=600), RateLimited("again", retry_after=5)]
    assert (await poller.poll()).next_delay == 600
    clock.advance(599)
    assert (await poller.poll()).skipped
    clock.advance(1)
    assert (await poller.poll()).next_delay == 240  # backoff beats a shorter Retry-After


async def test_failed_poll_does_not_move_the_cursor(source, clock):
    poller = make(source, cursor=Cursor(source.now() - timedelta(days=1)))
    fresh = source.add()
    source.errors = [AuthError("expired")]
    assert (await poller.poll()).new == []
    clock.advance(120)
    assert (await poller.poll()).new == [fresh]


async def test_unexpected_exceptions_become_errors(source, clock):
    poller = make(source)
    source.errors = [RuntimeError("bug")]
    result = await poller.poll()
    assert isinstance(result.error, Unavailable) and "bug" in str(result.error)
    assert not poller.busy


async def test_pause_skips_background_polls_but_not_manual(source, clock):
    poller = make(source)
    poller.pause()
    assert poller.paused and (await poller.poll()).skipped
    assert not (await poller.poll(manual=True)).skipped
    poller.resume()
    clock.advance(120)
    assert not (await poller.poll()).skipped
    assert len(source.calls) == 2


async def test_persist_gets_each_successful_poll_and_its_failure_is_not_fatal(source, clock):
    saved = []

    async def persist(cursor, items, baseline):
        saved.append((cursor, [i.id for i in items], baseline))
        if len(saved) == 2:
            raise OSError("disk full")

    poller = make(source, persist=persist)
    source.add()
    await poller.poll()
    clock.advance(120)
    source.add()
    result = await poller.poll()
    assert result.ok and [i.id for i in result.new] == [2]
    assert [(ids, b) for _, ids, b in saved] == [([1], True), ([2], False)]
    assert saved[-1][0] == poller.cursor


async def test_run_forever_chains_polls(source, clock):
    poller = make(source, interval=120)
    stop = asyncio.Event()
    results = []

    def on_result(result):
        results.append(result)
        if len(results) == 5:
            stop.set()

    await run_forever(poller, on_result, clock, stop=stop)
    gaps = [b - a for a, b in zip(source.calls, source.calls[1:])]
    assert len(source.calls) == 5 and gaps == [120] * 4

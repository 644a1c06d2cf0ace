"""The feeds end to end: the real KeapClient against the in-process sandbox, on a FakeClock.

Timing claims are checked where they matter: in `sb.requests`, i.e. at the server.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone

import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import ApiKeyAuth, KeapClient, RateLimited, Unavailable
from infusion_tui.live import Poller, orders_poller, run_forever, tasks_poller
from infusion_tui.sandbox import Fault, Sandbox
from infusion_tui.store import Store

ORDERS_PATH = "/crm/rest/v1/orders"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_orders=40)


@pytest.fixture
async def connect(sb, clock):
    """Make clients on the sandbox (all share the FakeClock); closed after the test."""
    made: list[KeapClient] = []

    def make(**kw) -> KeapClient:
        auth = ApiKeyAuth(sb.api_key)
        client = KeapClient(sb.base_url_for(), auth, transport=sb.transport(), clock=clock, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(connect):
    return connect()


def order_polls(sb: Sandbox) -> list[float]:
    """Sandbox times of the first page of every orders poll."""
    return [
        r.time for r in sb.requests if r.path.startswith(ORDERS_PATH) and r.query.get("offset", "0") == "0"
    ]


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in zip(times, times[1:])]


def ids(items) -> list[int]:
    return [i.id for i in items]


async def test_first_start_is_a_baseline_and_only_later_orders_are_new(sb, client, clock):
    poller = orders_poller(client, clock=clock)
    first = await poller.poll()
    assert first.ok and first.new == []
    assert sorted(ids(first.baseline)) == sorted(sb.orders)
    clock.advance(120)
    fresh = sb.add_order()
    assert ids((await poller.poll()).new) == [fresh["id"]]


async def test_orders_sharing_a_timestamp_are_each_shown_once(sb, client, clock):
    poller = orders_poller(client, clock=clock)
    await poller.poll()
    clock.advance(120)
    a = sb.add_order()
    b = sb.add_order(creation_date=a["creation_date"])  # two at once, same stamp
    assert ids((await poller.poll()).new) == sorted([a["id"], b["id"]])
    clock.advance(120)
    c = sb.add_order(creation_date=a["creation_date"])  # arrives later, same stamp again
    assert ids((await poller.poll()).new) == [c["id"]]
    clock.advance(120)
    assert (await poller.poll()).new == []


async def test_new_orders_across_page_boundaries(sb, client, clock):
    poller = orders_poller(client, clock=clock, page_size=5)
    await poller.poll()
    clock.advance(120)
    added = []
    for n in range(12):  # pairs share a stamp, so one pair straddles the 5/6 boundary
        if n % 2:
            added.append(sb.add_order(creation_date=added[-1]["creation_date"]))
        else:
            clock.advance(1)
            added.append(sb.add_order())
    before = len(sb.requests)
    result = await poller.poll()
    assert ids(result.new) == [o["id"] for o in added]
    offsets = [r.query["offset"] for r in sb.requests[before:]]
    assert offsets[:3] == ["0", "5", "10"]
    clock.advance(120)
    assert (await poller.poll()).new == []


async def test_restart_shows_orders_created_while_closed(sb, client, clock, tmp_path):
    store = Store(tmp_path / "default.sqlite3")
    first_run = orders_poller(client, store, clock=clock)
    baseline = await first_run.poll()
    assert baseline.new == [] and len(baseline.baseline) == len(sb.orders)
    assert store.count_orders() == len(sb.orders) and store.last_sync("orders") == clock.now()
    store.close()

    clock.advance(6 * 3600)  # the app is closed for six hours
    while_closed = [sb.add_order() for _ in range(3)]
    store = Store(tmp_path / "default.sqlite3")
    second_run = orders_poller(client, store, clock=clock)
    assert second_run.cursor == first_run.cursor
    result = await second_run.poll()
    assert result.baseline == [] and ids(result.new) == [o["id"] for o in while_closed]
    assert store.load_cursor("orders") == second_run.cursor
    assert store.load_order(while_closed[0]["id"]) == result.new[0]
    store.close()


async def test_429_with_retry_after_is_honoured_then_recovers(sb, connect, clock):
    poller = orders_poller(connect(), clock=clock)
    await poller.poll()
    clock.advance(120)
    sb.faults.add(Fault("429", path=ORDERS_PATH, retry_after=300))  # too long for the client to wait
    throttled = await poller.poll()
    assert isinstance(throttled.error, RateLimited) and throttled.next_delay == 300
    assert throttled.retry_at == clock.now() + 300
    clock.advance(299)
    assert (await poller.poll()).skipped  # a background poll does not jump the queue
    clock.advance(1)
    fresh = sb.add_order()
    recovered = await poller.poll()
    assert recovered.ok and ids(recovered.new) == [fresh["id"]] and recovered.next_delay == 120
    assert gaps(order_polls(sb))[-2:] == [120, 300]


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", path=ORDERS_PATH, status=503, times=3),
        Fault("drop", path=ORDERS_PATH, times=3),
        Fault("malformed", path=ORDERS_PATH, times=3),
        Fault("timeout", path=ORDERS_PATH, times=3, delay=5.0),
    ],
    ids=lambda f: f.kind,
)
async def test_failures_back_off_exponentially_and_recover(sb, connect, clock, fault):
    # No retries inside the client, so each poll is one request and the gaps are the poller's.
    poller = orders_poller(connect(max_retries=0, timeout=0.05), clock=clock)
    await poller.poll()
    sb.faults.add(fault)
    fresh = None
    errors = []
    stop = asyncio.Event()

    def on_result(result):
        nonlocal fresh
        if result.error:
            errors.append(result.error)
            if len(errors) == 3:
                fresh = sb.add_order()
        elif fresh is not None:
            assert ids(result.new) == [fresh["id"]]
            stop.set()

    await run_forever(poller, on_result, clock, stop=stop)
    assert all(isinstance(e, Unavailable) for e in errors) and len(errors) == 3
    assert gaps(order_polls(sb)) == [120, 120, 240, 480]
    assert poller.failures == 0 and poller.last_error is None


async def test_interval_below_the_floor_polls_120_s_apart(sb, client, clock):
    poller = orders_poller(client, clock=clock, interval=10, floor=120)
    stop = asyncio.Event()
    results = []

    def on_result(result):
        results.append(result)
        if len(results) == 6:
            stop.set()

    await run_forever(poller, on_result, clock, stop=stop)
    assert gaps(order_polls(sb)) == [120] * 5


async def test_demo_floor_allows_faster_polls(sb, client, clock):
    poller = orders_poller(client, clock=clock, interval=sb.poll_interval, floor=sb.poll_interval)
    await poller.poll()
    clock.advance(sb.poll_interval)
    assert not (await poller.poll()).skipped


async def test_concurrent_polls_send_one_request(sb, client, clock):
    poller = orders_poller(client, clock=clock)
    first, second = await asyncio.gather(poller.poll(), poller.poll(manual=True))
    assert not first.skipped and second.skipped
    assert len(order_polls(sb)) == 1


class SteppingClock(FakeClock):
    """A FakeClock whose every sleep moves time. At epoch ~1.8e9 one float step is ~2.4e-7 s,
    so FakeClock.advance(1e-9) is a no-op, and CallBudget's wait loop (whose waits end in
    `+ _EDGE` rounding residue) can then sleep "1e-12 s" forever. Reported to the lead."""

    def advance(self, seconds: float) -> None:
        before = self._now
        super().advance(seconds)
        if seconds > 0 and self._now == before:
            self._now = math.nextafter(before, math.inf)


async def test_hammering_manual_refresh_stays_within_the_budget():
    clock = SteppingClock()
    sb = Sandbox(seed=7, clock=clock, n_orders=40)
    client = KeapClient(sb.base_url_for(), ApiKeyAuth(sb.api_key), transport=sb.transport(), clock=clock)
    poller = orders_poller(client, clock=clock)
    results = [await poller.poll(manual=True) for _ in range(500)]
    assert all(r.ok for r in results)
    assert sum(1 for r in sb.requests if r.status == 429) == 0
    assert sb.max_calls_in_window(60) <= 100
    assert len(order_polls(sb)) == 500
    assert poller.seconds_until_next() == 120  # the last manual poll reset the timer
    await client.aclose()


async def test_pause_and_resume(sb, client, clock):
    poller = orders_poller(client, clock=clock)
    await poller.poll()
    poller.pause()
    clock.advance(600)
    fresh = sb.add_order()
    assert (await poller.poll()).skipped and len(order_polls(sb)) == 1
    poller.resume()
    assert ids((await poller.poll()).new) == [fresh["id"]]


async def test_tasks_new_versus_changed(sb, client, clock, tmp_path):
    store = Store(tmp_path / "default.sqlite3")
    poller = tasks_poller(client, store, clock=clock)
    baseline = await poller.poll()
    assert len(baseline.baseline) == len(sb.tasks) and baseline.new == baseline.changed == []
    assert len(store.load_tasks()) == len(sb.tasks)

    clock.advance(60)
    edited_id = baseline.baseline[0].id
    await client.update_task(edited_id, {"title": "Edited elsewhere"})
    created = sb.add_task(title="Created elsewhere")
    clock.advance(60)
    result = await poller.poll()
    assert ids(result.new) == [created["id"]]
    assert ids(result.changed) == [edited_id] and result.changed[0].title == "Edited elsewhere"
    saved = {t.id: t for t in store.load_tasks()}
    assert saved[edited_id].title == "Edited elsewhere" and created["id"] in saved

    clock.advance(120)
    quiet = await poller.poll()
    assert quiet.new == quiet.changed == []
    store.close()


def test_live_and_store_never_import_textual():
    import subprocess
    import sys

    code = "import sys, infusion_tui.live, infusion_tui.store; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_poller_is_generic_over_any_fetch():
    # The UI may wrap other listings (e.g. a filtered view) in a Poller of its own.
    async def fetch(since):
        return []

    poller = Poller(fetch, key=lambda i: i, stamp=lambda i: datetime.now(timezone.utc))
    assert poller.interval == 120 and poller.floor == 120

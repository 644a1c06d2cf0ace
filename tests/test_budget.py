"""CallBudget: strict rolling window, in-flight calls, Keap's headers and 429 penalties."""

from __future__ import annotations

import asyncio
import random

import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap.budget import CallBudget


async def test_grants_up_to_calls_then_waits_a_period():
    clock = FakeClock()
    budget = CallBudget(calls=3, period=10.0, clock=clock)
    start = clock.monotonic()
    for _ in range(3):
        await budget.acquire()
    assert clock.monotonic() == start and budget.used() == 3
    await budget.acquire()
    assert 10.0 <= clock.monotonic() - start < 10.1
    assert budget.used() == 1


async def test_used_forgets_calls_older_than_the_period():
    clock = FakeClock()
    budget = CallBudget(calls=5, period=60.0, clock=clock)
    await budget.acquire()
    clock.advance(30)
    await budget.acquire()
    assert budget.used() == 2
    clock.advance(31)
    assert budget.used() == 1
    assert budget.free_in() == 0.0


async def test_in_flight_calls_count_until_they_finish_and_are_stamped_then():
    clock = FakeClock()
    budget = CallBudget(calls=2, period=60.0, clock=clock)
    gate = asyncio.Event()

    async def hold():
        async with budget.slot():
            await gate.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0)
    waiter = asyncio.create_task(budget.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done() and budget.used() == 2
    clock.advance(100)  # in flight for longer than a period: still counted
    await asyncio.sleep(0)
    assert not waiter.done()
    released_at = clock.monotonic()
    gate.set()
    await asyncio.gather(*holders)
    await waiter
    # the freed slots were stamped at release, so the waiter had to wait a period from there
    assert clock.monotonic() - released_at >= 60.0


async def test_penalize_makes_everyone_wait():
    clock = FakeClock()
    budget = CallBudget(calls=100, period=60.0, clock=clock)
    start = clock.monotonic()
    budget.penalize(7.5)
    await asyncio.gather(*(budget.acquire() for _ in range(5)))
    assert clock.monotonic() - start == pytest.approx(7.5)
    budget.penalize(0)  # no-op
    assert budget.free_in() == 0.0


async def test_throttle_available_zero_waits_for_our_oldest_call_to_leave():
    clock = FakeClock()
    budget = CallBudget(calls=100, period=60.0, clock=clock)
    await budget.acquire()
    first = clock.monotonic()
    clock.advance(20)
    budget.note_headers({"x-keap-product-throttle-available": "0"})
    assert budget.free_in() == pytest.approx(40.0, abs=0.01)
    await budget.acquire()
    assert clock.monotonic() - first >= 60.0


@pytest.mark.parametrize(
    "value, blocks",
    [("0", True), ("0|4000", True), ("3|0", True), ("5", False), ("", False), ("x", False)],
)
async def test_throttle_header_forms(value, blocks):
    clock = FakeClock()
    budget = CallBudget(calls=100, period=60.0, clock=clock)
    budget.note_headers({"x-keap-product-throttle-available": value})
    assert (budget.free_in() > 0) is blocks
    if blocks:  # with no call of ours in the window, a whole period is the most Keap needs
        assert budget.free_in() == pytest.approx(60.0)


async def test_callers_are_served_in_order():
    clock = FakeClock()
    budget = CallBudget(calls=1, period=1.0, clock=clock)
    served = []

    async def take(i):
        await budget.acquire()
        served.append(i)

    await asyncio.gather(*(take(i) for i in range(10)))
    assert served == list(range(10))


async def test_cancelled_waiter_gives_its_place_back():
    clock = FakeClock()
    budget = CallBudget(calls=1, period=60.0, clock=clock)
    gate = asyncio.Event()

    async def hold():
        async with budget.slot():
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await holder
    assert budget.used() == 1  # only the holder's call


def test_rejects_nonsense():
    with pytest.raises(ValueError):
        CallBudget(calls=0)
    with pytest.raises(ValueError):
        CallBudget(period=0)


@pytest.mark.parametrize("seed", range(5))
async def test_server_never_sees_more_than_calls_in_any_period(seed):
    """Whatever the latencies, a server stamping arrival anywhere in flight stays in budget."""
    rng = random.Random(seed)
    clock = FakeClock()
    budget = CallBudget(calls=10, period=5.0, clock=clock)
    arrivals: list[float] = []

    async def call():
        await clock.sleep(rng.uniform(0, 3))
        async with budget.slot():
            await clock.sleep(rng.uniform(0, 2))  # on the way to the server
            arrivals.append(clock.monotonic())
            await clock.sleep(rng.uniform(0, 2))  # the answer on its way back

    await asyncio.gather(*(call() for _ in range(60)))
    arrivals.sort()
    lo = 0
    for hi, t in enumerate(arrivals):
        while arrivals[lo] <= t - 5.0:
            lo += 1
        assert hi - lo + 1 <= 10

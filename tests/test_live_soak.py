"""24 hours of the orders feed on driven time: every order delivered exactly once.

The sandbox's own arrival stream (with same-millisecond ties) runs all day; on top, seeded
random extras land between polls, some with the stamp of an order already delivered (the
late tie a stamp-only cursor would drop). Halfway, the app "closes" for two hours and starts
again from its store. The seed is printed so a failure can be replayed: SOAK_SEED=<n>.
"""

from __future__ import annotations

import asyncio
import os
import random
from datetime import datetime

import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import ApiKeyAuth, KeapClient
from infusion_tui.live import orders_poller, run_forever
from infusion_tui.sandbox import Sandbox
from infusion_tui.store import Store

HOUR = 3600.0
INTERVAL = 120.0


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.soak
async def test_a_day_of_orders_each_delivered_exactly_once(tmp_path):
    seed = int(os.environ.get("SOAK_SEED", random.randrange(1 << 30)))
    print(f"soak seed: {seed} (rerun with SOAK_SEED={seed})")
    rng = random.Random(seed)
    clock = FakeClock()
    start = clock.now()
    sb = Sandbox(seed=seed, clock=clock, n_orders=50, order_every=rng.uniform(300, 1200))
    client = KeapClient(sb.base_url_for(), ApiKeyAuth(sb.api_key), transport=sb.transport(), clock=clock)
    store = Store.for_profile(tmp_path, "soak")

    baseline_ids = set(sb.orders)
    delivered: list[int] = []
    last_stamp: list[str] = []

    async def run_until(end: float):
        poller = orders_poller(client, store, clock=clock, interval=INTERVAL)
        stop = asyncio.Event()

        def on_result(result) -> None:
            assert result.error is None, result.error
            if result.baseline:
                assert {o.id for o in result.baseline} == baseline_ids
            delivered.extend(o.id for o in result.new)
            if result.new:
                last_stamp[:] = [sb.orders[result.new[-1].id]["creation_date"]]
            # Memory stays flat: the cursor holds only the ids at its own (newest) stamp.
            stamp = poller.cursor.stamp
            assert all(parse(sb.orders[i]["creation_date"]) == stamp for i in poller.cursor.ids)
            if clock.now() >= end:
                stop.set()
                return
            roll = rng.random()
            if roll < 0.1 and last_stamp:
                sb.add_order(creation_date=last_stamp[0])  # a late tie with a delivered order
            elif roll < 0.3:
                clock.advance(rng.uniform(0, INTERVAL))  # between polls: does not shorten a gap
                for _ in range(rng.choice((1, 1, 2))):
                    sb.add_order()

        await run_forever(poller, on_result, clock, stop=stop)
        return poller, on_result

    await run_until(start + 12 * HOUR)
    clock.advance(2 * HOUR)  # closed: the sandbox keeps creating orders
    poller, on_result = await run_until(start + 24 * HOUR)
    clock.advance(INTERVAL)  # one last look; time stands still from here, so no more arrivals
    everything = set(sb.orders)
    on_result(await poller.poll())
    await client.aclose()

    expected = everything - baseline_ids
    assert len(delivered) == len(set(delivered)), "an order was shown twice"
    assert set(delivered) == expected, f"missed {sorted(expected - set(delivered))}"
    assert store.count_orders() == len(everything)

    polls = [r.time for r in sb.requests if r.path.endswith("/orders") and r.query.get("offset") == "0"]
    gaps = [b - a for a, b in zip(polls, polls[1:])]
    assert min(gaps) >= INTERVAL
    assert len(polls) >= 24 * HOUR / (2 * INTERVAL)
    print(f"{len(polls)} polls, {len(delivered)} orders delivered, {len(sb.requests)} requests")
    store.close()

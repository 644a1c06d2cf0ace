"""A second start paints at once from the local cache, says how old it is, and stays usable
(read-only) while Keap cannot be reached; orders that arrived meanwhile show as new."""

from __future__ import annotations

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Fault, Sandbox
from tests.fault_harness import ORDERS, TASKS, panes, rig, screen_text, settle, started


async def test_second_start_paints_from_the_cache_and_works_offline():
    clock = FakeClock()
    sb = Sandbox(seed=5, clock=clock, n_tasks=12, n_orders=30)
    first = rig(sb)
    async with first.app.run_test(size=(120, 40)) as pilot:
        await started(first.app, pilot)
        tasks, orders = panes(first.app)
        known_tasks, known_orders = len(tasks.tasks), orders.count
    # while the app is closed, two orders arrive; then Keap becomes unreachable
    arrived = [sb.add_order()["id"] for _ in range(2)]
    clock.advance(600)
    sb.faults.add(Fault("drop", path=TASKS, times=None))
    sb.faults.add(Fault("drop", path=ORDERS, times=None))
    second = rig(sb)
    async with second.app.run_test(size=(120, 40)) as pilot:
        await settle(second.app, pilot)
        tasks, orders = panes(second.app)
        assert len(tasks.tasks) == known_tasks and orders.count == known_orders  # painted from cache
        text = " ".join(screen_text(second.app).split())
        assert "as of" in text
        assert "offline" in text
        assert second.app.is_running
        # Keap is back: the orders that arrived while closed show as new
        sb.faults.clear()
        clock.advance(300)
        orders._tick()
        await settle(second.app, pilot)
        assert set(arrived) <= orders.new_ids
        assert orders.count == known_orders + 2

"""The live orders feed, end to end: new orders, pause, details, export, recovery."""

from __future__ import annotations

import csv
from pathlib import Path

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Fault
from infusion_tui.table_index import NEW
from tests.app_harness import demo_app, screen_text, settle, started


async def _background_poll(app, pilot, clock: FakeClock, seconds: float) -> None:
    """Let `seconds` of driven time pass, then fire the feed's timer as Textual would."""
    clock.advance(seconds)
    app.screen.query_one("OrdersPane")._tick()
    await settle(app, pilot)


async def test_new_orders_appear_highlighted_counted_and_notified():
    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        before = pane.count
        assert not pane.new_ids  # the first sync is a baseline: nothing is "new"
        await _background_poll(app, pilot, clock, 65)
        sandbox = app.connector.sandbox
        arrived = [o for o in sandbox.orders.values() if o["id"] not in {*range(0)}]
        assert pane.count > before
        assert pane.count == len(sandbox.orders)
        assert len(pane.new_ids) == pane.count - before
        for key in pane.new_ids:
            assert pane.table.index.get(key).flags & NEW
        messages = [str(n.message) for n in app._notifications]
        assert any("new order" in m and "$" in m for m in messages)
        assert f"{len(pane.new_ids)} new" in screen_text(app)
        assert arrived


async def test_orders_sharing_a_timestamp_are_each_shown_once():
    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        sandbox = app.connector.sandbox
        pane = app.screen.query_one("OrdersPane")
        stamp = sandbox.add_order()["creation_date"]
        await _background_poll(app, pilot, clock, 16)
        twin = sandbox.add_order(creation_date=stamp)
        await _background_poll(app, pilot, clock, 16)
        assert twin["id"] in pane.new_ids
        assert pane.count == len(sandbox.orders)


async def test_pause_stops_polling_and_resume_restarts_it():
    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        pane.table.focus()
        await pilot.press("p")
        assert pane.poller.paused
        assert "paused" in screen_text(app)
        sandbox = app.connector.sandbox
        calls = len([r for r in sandbox.requests if r.path.endswith("/orders")])
        await _background_poll(app, pilot, clock, 300)
        assert len([r for r in sandbox.requests if r.path.endswith("/orders")]) == calls
        await pilot.press("p")
        await _background_poll(app, pilot, clock, 1)
        assert not pane.poller.paused
        assert len([r for r in sandbox.requests if r.path.endswith("/orders")]) == calls + 1


async def test_enter_opens_the_order_details():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        pane.table.focus()
        key = pane.table.cursor_key
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "OrderDetails"
        order = app.connector.sandbox.orders[key]
        text = screen_text(app)
        assert f"Order #{key}" in text
        assert order["shipping_information"]["city"] in text
        assert "Total" in text and "Ship to" in text
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"


async def test_export_writes_the_visible_orders_to_csv(tmp_path):
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        pane.session.extras["export_dir"] = str(tmp_path)
        pane.table.focus()
        await pilot.press("slash", *"Zoë")
        await settle(app, pilot)
        await pilot.press("enter")
        shown = len(pane.table.index.visible)
        await pilot.press("E")
        await settle(app, pilot)
        files = list(Path(tmp_path).glob("orders-*.csv"))
        assert len(files) == 1
        rows = list(csv.reader(files[0].open(encoding="utf-8")))
        assert len(rows) == shown + 1 and 0 < shown < pane.count
        assert all("Zoë" in " ".join(r) for r in rows[1:])
        assert any(str(files[0]) in str(n.message) for n in app._notifications)


async def test_the_feed_survives_the_sandbox_going_away_and_coming_back():
    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        sandbox = app.connector.sandbox
        sandbox.faults.add(Fault("drop", path="/crm/rest/v1/orders", times=None))
        await _background_poll(app, pilot, clock, 30)
        assert pane.poller.last_error is not None
        assert "retrying" in screen_text(app)
        sandbox.faults.clear()
        await _background_poll(app, pilot, clock, 1000)
        assert pane.poller.last_error is None
        assert pane.count == len(sandbox.orders)
        assert app.is_running


async def test_relative_times_are_reworded_as_time_passes():
    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("OrdersPane")
        order = app.connector.sandbox.add_order()
        await _background_poll(app, pilot, clock, 16)
        assert pane.table.index.get(order["id"]).cells[0].startswith("now")
        clock.advance(5 * 60)
        pane.refresh_times()  # what the pane's once-a-minute timer calls
        await settle(app, pilot)
        assert pane.table.index.get(order["id"]).cells[0].startswith("5 min ago")

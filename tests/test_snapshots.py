"""Snapshots of what the user sees, from the demo sandbox's fixed seed on a driven clock.

Regenerate after an intended change with `python -m pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Fault
from tests.app_harness import demo_app, settle, started, still


def _demo():
    return demo_app(FakeClock())


async def _main(pilot) -> None:
    await started(pilot.app, pilot)
    await still(pilot.app, pilot)


async def _new_orders(pilot) -> None:
    app = pilot.app
    await started(app, pilot)
    app.connector.clock.advance(65)  # three orders arrive
    app.screen.query_one("OrdersPane")._tick()
    await settle(app, pilot)
    app.clear_notifications()
    await still(pilot.app, pilot)


def test_main_screen_wide(snap_compare):
    assert snap_compare(_demo(), terminal_size=(120, 40), run_before=_main)


def test_main_screen_narrow(snap_compare):
    assert snap_compare(_demo(), terminal_size=(80, 24), run_before=_main)


def test_feed_with_new_orders_highlighted(snap_compare):
    assert snap_compare(_demo(), terminal_size=(120, 40), run_before=_new_orders)


def test_order_details(snap_compare):
    async def details(pilot) -> None:
        await _new_orders(pilot)
        pilot.app.screen.query_one("OrdersPane").table.focus()
        await pilot.press("enter")
        await still(pilot.app, pilot)

    assert snap_compare(_demo(), terminal_size=(120, 40), run_before=details)


def test_feed_error_state(snap_compare):
    async def broken(pilot) -> None:
        app = pilot.app
        await started(app, pilot)
        # a body that is not JSON: not retried by the client, so no random backoff jitter here
        app.connector.sandbox.faults.add(Fault("malformed", path="/crm/rest/v1/orders", times=None))
        app.connector.clock.advance(20)
        app.screen.query_one("OrdersPane")._tick()
        await settle(app, pilot)
        app.clear_notifications()
        await still(pilot.app, pilot)

    assert snap_compare(_demo(), terminal_size=(120, 40), run_before=broken)


def test_help(snap_compare):
    async def help_(pilot) -> None:
        await started(pilot.app, pilot)
        await pilot.press("question_mark")
        await still(pilot.app, pilot)

    assert snap_compare(_demo(), terminal_size=(100, 50), run_before=help_)


def test_connect_screen(snap_compare):
    from infusion_tui.connection import Connector
    from infusion_tui.settings import load_settings
    from infusion_tui.ui.app import InfusionApp

    settings = load_settings({}, {})
    app = InfusionApp(settings, Connector(settings, None, clock=FakeClock()))
    assert snap_compare(app, terminal_size=(100, 36), run_before=lambda pilot: settle(app, pilot))

"""Regenerate every README screenshot from the demo sandbox's fixed seed.

    python scripts/screenshots.py

Time is driven (a FakeClock at a fixed instant, TZ=UTC), so the images only change when
the app does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
sys.path.insert(0, str(ROOT))
os.environ["TZ"] = "UTC"
time.tzset()

from infusion_tui.clock import FakeClock  # noqa: E402
from infusion_tui.connection import Connector  # noqa: E402
from infusion_tui.settings import load_settings  # noqa: E402
from infusion_tui.ui.app import InfusionApp  # noqa: E402
from tests.app_harness import settle, started, still  # noqa: E402


def _app(demo: bool = True) -> InfusionApp:
    settings = load_settings({"demo": demo}, {})
    return InfusionApp(settings, Connector(settings, clock=FakeClock()))


async def _with_new_orders(app: InfusionApp, pilot) -> None:
    await started(app, pilot)
    app.connector.clock.advance(65)  # three orders arrive in the demo sandbox
    app.screen.query_one("OrdersPane")._tick()
    await settle(app, pilot)


async def _save(app: InfusionApp, pilot, name: str) -> None:
    await still(app, pilot)
    path = OUT / f"{name}.svg"
    path.write_text(app.export_screenshot(title=f"infusion-tui — {name}"), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for size, name in (((120, 40), "main-120x40"), ((80, 24), "main-80x24")):
        app = _app()
        async with app.run_test(size=size, notifications=True) as pilot:
            await _with_new_orders(app, pilot)
            app.clear_notifications()
            await settle(app, pilot)
            await _save(app, pilot, name)

    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        await _save(app, pilot, "task-form")
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("n", "space", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("tab", "tab", "tab", *"high", "tab", *"2026-02-30", "ctrl+s")
        await settle(app, pilot)
        await _save(app, pilot, "task-form-errors")

    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _with_new_orders(app, pilot)
        app.clear_notifications()
        app.screen.query_one("OrdersPane").table.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await _save(app, pilot, "order-details")

    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        await _save(app, pilot, "help")

    app = _app(demo=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await _save(app, pilot, "connect")


if __name__ == "__main__":
    asyncio.run(main())

"""Running the whole app against the in-process sandbox, on a clock the test drives."""

from __future__ import annotations

from infusion_tui.clock import FakeClock
from infusion_tui.connection import Connector
from infusion_tui.settings import load_settings
from infusion_tui.ui.app import InfusionApp


def demo_app(clock: FakeClock | None = None, **flags) -> InfusionApp:
    """The app in demo mode: the fixed-seed sandbox, reached through ASGITransport."""
    settings = load_settings({"demo": True, **flags}, {})
    return InfusionApp(settings, Connector(settings, clock=clock or FakeClock()))


async def settle(app: InfusionApp, pilot) -> None:
    """Let workers finish and the screen catch up."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def started(app: InfusionApp, pilot) -> None:
    """Wait until both panes finished their first sync."""
    for _ in range(100):
        await settle(app, pilot)
        screen = app.screen
        if type(screen).__name__ == "MainScreen":
            tasks = screen.query_one("TasksPane")
            orders = screen.query_one("OrdersPane")
            if tasks.tasks and orders.count and not tasks.poller.busy and not orders.poller.busy:
                return
        await pilot.pause(0.05)
    raise AssertionError("the app did not finish its first sync")


async def still(app: InfusionApp, pilot) -> None:
    """Bring the once-a-second readouts (countdowns, calls used) up to date now, so a snapshot
    or screenshot never depends on whether a real second happened to tick meanwhile."""
    await settle(app, pilot)
    for screen in app.screen_stack:
        if type(screen).__name__ == "MainScreen":
            screen._refresh_budget()
            for pane in screen.query("FeedPane"):
                pane.refresh_info()
    await settle(app, pilot)


def screen_text(app: InfusionApp) -> str:
    """What the terminal shows, as plain text (from the SVG the user would see)."""
    import re
    from html import unescape

    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return unescape("".join(texts)).replace("\xa0", " ")

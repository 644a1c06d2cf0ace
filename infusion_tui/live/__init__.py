"""The pollers behind OnNewOrder / OnNewTask: cursor, de-duplication, interval floor, backoff.

Nothing here imports textual: the UI drives `Poller.poll()` with chained timers, scripts and
tests with `run_forever`.
"""

from infusion_tui.live.cursor import Cursor
from infusion_tui.live.feeds import ORDERS, TASKS, orders_poller, tasks_poller
from infusion_tui.live.loop import run_forever
from infusion_tui.live.poller import Poller, PollResult

__all__ = [
    "ORDERS",
    "TASKS",
    "Cursor",
    "PollResult",
    "Poller",
    "orders_poller",
    "run_forever",
    "tasks_poller",
]

"""A chained polling loop for use outside the UI (scripts, the soak test).

Chained, not periodic: the next sleep starts only after a poll and its handler end, so a slow
poll delays the next one instead of overlapping it. The UI does the same with Textual timers.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from infusion_tui.clock import Clock
from infusion_tui.live.poller import Poller, PollResult

OnResult = Callable[[PollResult[Any]], Awaitable[None] | None]


async def run_forever(
    poller: Poller[Any], on_result: OnResult, clock: Clock, *, stop: asyncio.Event | None = None
) -> None:
    """Poll, hand the result over, sleep `next_delay`; until `stop` is set or the task is cancelled."""
    while stop is None or not stop.is_set():
        result = await poller.poll()
        handled = on_result(result)
        if inspect.isawaitable(handled):
            await handled
        if stop is not None and stop.is_set():
            break
        await clock.sleep(result.next_delay)

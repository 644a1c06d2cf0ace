"""Shared helpers for benchmarks: a precise "settled frame", memory readings, stats.

Why not `pilot.pause()`: it ends with `wait_for_idle`, which sleeps in 20 ms steps until the
process looks idle, so every figure would carry a 20-40 ms floor and ratios would mean
little. `settle` instead does exactly the work a frame needs and nothing else:

1. wait for running workers (a big filter) to finish, then until every widget on the screen
   (and the app) has processed every message queued so far (`Pilot._wait_for_screen`, the
   same step `pilot.press` uses),
2. let the loop turn once, then, if anything is dirty (layout, repaint, scroll, callbacks,
   messages such as Idle still queued, workers still running), run the screen's update
   (`Screen._on_timer_update`: layout + compositor render = the frame), and go to 1,
3. stop after two turns in a row found nothing left to do.

The headless driver skips only the last step of a frame, turning the composed update into
terminal escape codes; every widget line is still rendered. That cost is the same for every
table and size, so the comparison stays fair.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _busy(pilot: Pilot, watch: object | None) -> bool:
    app = pilot.app
    screen = app.screen
    nodes = [app, *screen.walk_children(with_self=True)]
    return bool(
        any(node._message_queue.qsize() for node in nodes)
        or screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._recompose_required
        or screen._dirty_widgets
        or screen._callbacks
        or any(worker.is_running for worker in app.workers)
        # DataTable measures new rows on Idle, behind a flag
        or getattr(watch, "_require_update_dimensions", False)
        or getattr(watch, "_updated_cells", None)
    )


async def settle(pilot: Pilot, watch: object | None = None) -> None:
    """Return once the screen has drawn everything that was asked of it (see module doc)."""
    quiet = 0
    while quiet < 2:
        if any(worker.is_running for worker in pilot.app.workers):
            await pilot.app.workers.wait_for_complete()  # wait, don't spin beside it
        await pilot._wait_for_screen(timeout=3600)
        await asyncio.sleep(0)
        if _busy(pilot, watch):
            quiet = 0
            pilot.app.screen._on_timer_update()
        else:
            quiet += 1


async def timed(
    action: Callable[[], object], pilot: Pilot, watch: object | None = None
) -> tuple[float, float]:
    """(wall, cpu) seconds from calling `action` to the settled frame.

    Nothing on this path sleeps, so on a quiet machine wall == cpu. On a shared one the
    process CPU time is the steadier figure: other processes do not inflate it.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    if isinstance(result, Awaitable):
        await result
    await settle(pilot, watch)
    return time.perf_counter() - wall, time.process_time() - cpu


def rss_mb() -> float:
    """Resident memory now, MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / 1e6


def peak_rss_mb() -> float:
    """Highest resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def stats(samples: list[tuple[float, float]] | list[float]) -> dict[str, float]:
    """Median/min/max of wall times, and the median CPU time when samples are pairs."""
    pairs = [s if isinstance(s, tuple) else (s, s) for s in samples]
    walls = [w for w, _ in pairs]
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(c for _, c in pairs),
        "n": len(pairs),
    }


def ms(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def size_label(n: int) -> str:
    if n >= 1_000_000:
        return f"{n // 1_000_000}M"
    if n >= 1000:
        return f"{n // 1000}k"
    return str(n)

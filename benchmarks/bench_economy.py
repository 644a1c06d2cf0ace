"""Figure 6 -- API economy: calls to load N tasks and N orders, and calls per idle hour.

    python -m benchmarks.bench_economy [--quick] [--sizes 1000,10000,100000]

Counted at the sandbox (`sb.requests`: every API request that reached it, 429s included),
with the whole app running headless as a user's profile does (API key, SQLite cache in a temp
dir), on a FakeClock shared with the in-process sandbox: the budget's waits take no real time.

- load:  Sandbox(n_tasks=N, n_orders=N) (orders spread over the last 30 days, so the first
         sync's 30-day baseline is all of them); the app starts and both feeds' first sync
         run. Reference: the minimum, ceil(N / 1000) calls per feed (pages of 1000).
         Also shown: the most calls in any 60 s (the budget: <= 100).
- idle:  then one hour of driven time with nobody at the keyboard; new orders (every ~20 s)
         and tasks (every ~90 s) keep arriving at the sandbox as in the demo. The hour is
         driven the way Textual's timers would: move the clock to the next poll that is due,
         fire that pane's timer (`pane._tick()`), let the poll finish (which re-arms the
         chain). Reference: one call per poll per feed, 3600 / 120 = 30 per feed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import tempfile
import time
from pathlib import Path

from benchmarks.bench_sync import private_home

SIZE = (120, 40)
HOUR = 3600.0
INTERVAL = 120.0


def feed_of(path: str) -> str:
    return "orders" if "/orders" in path else "tasks"


async def run(n: int, idle_hour: bool) -> dict:
    from infusion_tui.clock import FakeClock
    from infusion_tui.connection import Connector
    from infusion_tui.credentials import Credential
    from infusion_tui.sandbox import Sandbox
    from infusion_tui.settings import load_settings
    from infusion_tui.store import Store
    from infusion_tui.ui.app import InfusionApp

    out: dict = {"n": n}
    clock = FakeClock()
    started = time.perf_counter()
    sb = Sandbox(seed=7, clock=clock, n_tasks=n, n_orders=n, order_every=20.0, task_every=90.0)
    out["generation_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="infusion-bench-economy-") as tmp:
        # A loopback base URL: the real-profile code path (store, 120 s floor), reached in-process.
        settings = dataclasses.replace(load_settings({}, {}), base_url="http://127.0.0.1:9/crm/rest/v1")
        connector = Connector(settings, Credential.from_api_key(sb.api_key or ""), transport=sb.transport(),
                              clock=clock, open_store=lambda _s: Store(Path(tmp) / "profile.sqlite3"))
        app = InfusionApp(settings, connector)
        async with app.run_test(size=SIZE) as pilot:
            started = time.perf_counter()
            while True:
                await pilot.pause(0.05)
                screen = app.screen
                if type(screen).__name__ != "MainScreen":
                    continue
                tasks, orders = screen.query_one("TasksPane"), screen.query_one("OrdersPane")
                if (len(tasks.tasks) >= n and orders.count >= n and not tasks.poller.busy
                        and not orders.poller.busy):
                    break
                if time.perf_counter() - started > 1800:
                    raise RuntimeError("the first sync did not finish in 30 minutes")
            await app.workers.wait_for_complete()
            out["load_wall_s"] = time.perf_counter() - started
            out["load_driven_s"] = clock.now() - sb.world.start
            out["load_calls"] = {feed: sum(1 for r in sb.requests if r.is_api and feed_of(r.path) == feed)
                                 for feed in ("tasks", "orders")}
            out["load_statuses"] = sorted({r.status for r in sb.requests if r.status is not None})
            out["loaded"] = {"tasks": len(tasks.tasks), "orders": orders.count}
            out["max_in_60s"] = sb.max_calls_in_window(60.0)
            if idle_hour:
                out["idle"] = await drive_hour(app, pilot, clock, sb, (tasks, orders))
    return out


async def drive_hour(app, pilot, clock, sb, panes) -> dict:
    """One hour of driven time: fire each pane's timer when its poll is due, as Textual would.

    The hour starts at the first poll due after the first sync (steady state): a feed that
    polls every 120 s makes exactly 30 polls in it.
    """
    clock.advance(min(pane.poller.seconds_until_next() for pane in panes))
    start = clock.now()
    end = start + HOUR
    first = len(sb.requests)
    ticks = {pane.poller.name: 0 for pane in panes}
    while True:
        due = min(pane.poller.seconds_until_next() for pane in panes)
        if clock.now() + due >= end:
            clock.advance(end - clock.now())
            break
        clock.advance(due)
        for pane in panes:
            if pane.poller.seconds_until_next() == 0:
                ticks[pane.poller.name] += 1
                pane._tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
    hour = [r for r in sb.requests[first:] if r.is_api and start <= r.time < end]
    calls = {feed: sum(1 for r in hour if feed_of(r.path) == feed) for feed in ("tasks", "orders")}
    return {"calls": calls, "polls": ticks, "statuses": sorted({r.status for r in hour if r.status is not None})}


def report(results: list[dict]) -> list[str]:
    print()
    lines = []
    for r in results:
        n = r["n"]
        minimum = math.ceil(n / 1000)
        calls = r["load_calls"]
        total = calls["tasks"] + calls["orders"]
        print(f"N={n:>7,}: sandbox generated in {r['generation_s']:.1f} s; loaded {r['loaded']['tasks']:,} tasks and "
              f"{r['loaded']['orders']:,} orders in {r['load_wall_s']:.1f} s wall ({r['load_driven_s']:.0f} s driven); "
              f"calls: tasks {calls['tasks']}, orders {calls['orders']} (minimum {minimum} each); "
              f"max {r['max_in_60s']} in any 60 s; statuses {r['load_statuses']}")
        ratio = total / (2 * minimum)
        budget_ok = r["max_in_60s"] <= 100 and 429 not in r["load_statuses"]
        ok = total <= 2 * minimum and budget_ok
        why = ""
        if total > 2 * minimum:
            why = " (a full last page: the client asks once more to see the end)"
        lines.append(f"economy load {n // 1000}k tasks + {n // 1000}k orders: {total} calls vs minimum {2 * minimum} "
                     f"-> {ratio:.2f}x{why}; max {r['max_in_60s']}/60 s  [target = minimum, budget <=100/60 s] "
                     f"{'OK' if ok else 'MISSED'}")
    for r in results:
        if "idle" not in r:
            continue
        idle = r["idle"]
        calls = idle["calls"]
        total = calls["tasks"] + calls["orders"]
        reference = 2 * int(HOUR / INTERVAL)
        print(f"N={r['n']:>7,}: idle hour: calls tasks {calls['tasks']}, orders {calls['orders']}; timer ticks "
              f"{idle['polls']}; statuses {idle['statuses']}")
        ok = calls["tasks"] <= HOUR / INTERVAL and calls["orders"] <= HOUR / INTERVAL
        lines.append(f"economy idle 1 h (N={r['n'] // 1000}k): {total} calls ({calls['tasks']} tasks + {calls['orders']} orders) "
                     f"vs 1 per poll per feed {reference} -> {total / reference:.2f}x  [target <=30 per feed] "
                     f"{'OK' if ok else 'MISSED'}")
    for line in lines:
        print(line)
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only")
    parser.add_argument("--sizes", default=None, help="comma-separated N (default 1000,10000,100000)")
    args = parser.parse_args(argv)
    private_home()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([1_000] if args.quick else [1_000, 10_000, 100_000])
    results = []
    for n in sizes:
        results.append(asyncio.run(run(n, idle_hour=n in (sizes[0], sizes[-1]))))
    return report(results)


if __name__ == "__main__":
    main()

"""24 hours of the whole app on driven time, against a sandbox that sells and misbehaves at random.

The real app (pilot, panes, pollers, client, budget) polls a sandbox whose orders and tasks
keep arriving; at random moments the sandbox answers with 429s, 5xx, dropped connections,
broken bodies, slow answers and cut-off bodies, orders arrive sharing a timestamp with one
already shown, and the user marks tasks done and creates new ones. Time only moves when the
test moves it, so a day takes seconds.

At the end (and during, for the budget):
- every order the sandbox created is in the feed exactly once (and was delivered once);
- every task of the sandbox is in the task pane, with the server's completed state;
- no task the user saved was lost or duplicated;
- the sandbox never saw more than 100 calls in any 60 s;
- background polls of each feed were never closer than the poll interval (from the
  sandbox's request log, and from the app's side);
- memory stayed flat (RSS from /proc/self/statm, printed at start and end).

The seed is printed; rerun a failure with SOAK_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import resource
import time

import pytest
from textual.widgets import Input

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Fault, Sandbox
from tests.fault_harness import ORDERS, TASKS, assert_healthy, assert_no_dump, panes, rig, settle, started

DAY = 86400.0
INTERVAL = 120.0  # Keap's floor: one background poll per 120 s per feed
RSS_GROWTH_LIMIT = 150 * 2**20  # generous: a leak of a row per poll over 720 polls would still show


def rss() -> int:
    """Resident set size in bytes (Linux), without psutil."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def random_fault(rng: random.Random, r) -> str:
    path = rng.choice([ORDERS, ORDERS, TASKS])
    times = rng.choice([1, 1, 2, 3])
    kind = rng.choice(["429", "429", "status", "status", "drop", "malformed", "wrong_shape", "latency",
                       "cut", "patch-cut"] * 3 + ["timeout"])
    if kind == "cut":
        r.transport.cut_body(path, method="GET", times=times)
    elif kind == "patch-cut":  # a toggle reaches Keap but its answer is lost: the next sync repairs it
        r.transport.cut_body(TASKS + "/", method="PATCH", times=1)
    elif kind == "429":
        r.sb.faults.add(Fault("429", path=path, method="GET", times=times,
                              retry_after=rng.choice([None, 1, 5, 30, 90])))
    elif kind == "status":
        r.sb.faults.add(Fault("status", path=path, method="GET", times=rng.choice([1, 2, 8]),
                              status=rng.choice([500, 502, 503])))
    elif kind == "latency":
        r.sb.faults.add(Fault("latency", path=path, method="GET", times=times, delay=rng.uniform(1, 45)))
    elif kind == "timeout":
        r.sb.faults.add(Fault("timeout", path=path, method="GET", times=1, delay=1.5))  # real seconds
    else:
        r.sb.faults.add(Fault(kind, path=path, method="GET", times=times))
    return kind


def poll_spacing(sb, path: str) -> list[tuple[float, float]]:
    """(gap, time) between a successful poll and the next request of the same feed, if too short."""
    gets = sorted((q for q in sb.requests if q.method == "GET" and q.path.rstrip("/") == path), key=lambda q: q.time)
    short = []
    for before, after in zip(gets, gets[1:]):
        if before.status == 200 and before.fault is None and after.time - before.time < INTERVAL - 1e-6:
            short.append((after.time - before.time, before.time))
    return short


@pytest.mark.soak
async def test_a_day_of_the_whole_app_against_a_misbehaving_keap():
    seed = int(os.environ.get("SOAK_SEED", random.randrange(1 << 30)))
    print(f"\nsoak seed: {seed} (rerun with SOAK_SEED={seed})")
    rng = random.Random(seed)
    real_start = time.monotonic()
    clock = FakeClock()
    sb = Sandbox(seed=seed, clock=clock, n_tasks=25, n_orders=60,
                 order_every=rng.uniform(300, 900), task_every=rng.uniform(1800, 5400))
    r = rig(sb, poll_interval=INTERVAL, read_timeout=1.0)
    faults: dict[str, int] = {}
    async with r.app.run_test(size=(100, 30)) as pilot:
        await started(r.app, pilot)
        tasks, orders = panes(r.app)
        delivered: list[int] = []
        add_orders = orders.add_orders

        def recording(batch, *, new, **built):
            delivered.extend(o.id for o in batch)
            return add_orders(batch, new=new, **built)

        orders.add_orders = recording
        delivered.extend(orders.table.index.visible)  # the first sync, before we listened
        poll_starts: dict[str, list[float]] = {"orders": [], "tasks": []}
        for name, pane in (("orders", orders), ("tasks", tasks)):
            real_poll = pane.poller._poll

            async def timed(manual, _real=real_poll, _name=name):
                poll_starts[_name].append(clock.monotonic())
                return await _real(manual)

            pane.poller._poll = timed
        rss_start = rss()
        rss_mid = None
        start = clock.now()
        last_toggle = last_create = start
        steps = 0
        while clock.now() - start < DAY:
            steps += 1
            # the next thing to happen: a random event, or a feed's timer coming due (as Textual's would)
            due = min(pane.poller.seconds_until_next() for pane in (orders, tasks))
            clock.advance(min(rng.choice([rng.uniform(10, 120), rng.uniform(60, 400)]), max(due, 0.001)))
            roll = rng.random()
            if roll < 0.05:
                kind = random_fault(rng, r)
                faults[kind] = faults.get(kind, 0) + 1
            elif roll < 0.17:
                sb.add_order()
            elif roll < 0.22 and orders.count:
                newest = max(sb.orders.values(), key=lambda o: o["creation_date"])
                sb.add_order(creation_date=newest["creation_date"])  # a late twin of a shown order
            elif roll < 0.24:
                sb.add_task()
            for pane in (orders, tasks):  # the chained timers: fire when due, sometimes too early
                if pane.poller.seconds_until_next() <= 0 or rng.random() < 0.1:
                    pane._tick()
            await settle(r.app, pilot)
            if clock.now() - last_toggle > 3 * 3600 and type(r.app.screen).__name__ == "MainScreen":
                last_toggle = clock.now()
                key = rng.choice(sorted(tasks.tasks))
                tasks.table.move_cursor_to_key(key)
                tasks.table.focus()
                await pilot.press("x")
                await settle(r.app, pilot)
            if clock.now() - last_create > 8 * 3600 and type(r.app.screen).__name__ == "MainScreen":
                last_create = clock.now()
                title = f"Soak task {len(r.saved_titles) + 1}"
                tasks.table.focus()
                await pilot.press("n")
                await settle(r.app, pilot)
                r.app.screen.query_one("#title", Input).value = title
                r.app.screen.action_save()
                await settle(r.app, pilot)
                assert type(r.app.screen).__name__ == "MainScreen", "saving a task failed with no fault on POST"
                r.saved_titles.append(title)
            assert r.app.is_running and r.app._exception is None
            if rss_mid is None and clock.now() - start >= DAY / 2:
                rss_mid = rss()  # after the warm-up: the second half must not keep growing
        # the day is over: the weather clears, one last look at both feeds, then time stands still
        sb.faults.clear()
        r.transport.cuts.clear()
        for _ in range(4):
            for pane in (orders, tasks):
                clock.advance(pane.poller.seconds_until_next() + 1)
                pane._tick()
                await settle(r.app, pilot)
            if orders.poller.last_error is None and tasks.poller.last_error is None:
                break
        rss_end = rss()
        elapsed = time.monotonic() - real_start
        print(f"soak: {steps} steps, {len(sb.orders)} orders, {len(sb.tasks)} tasks, "
              f"{len(sb.requests)} requests, faults {faults}, {elapsed:.1f} s real")
        print(f"soak RSS: start {rss_start / 2**20:.1f} MiB, at 12 h {rss_mid / 2**20:.1f} MiB, "
              f"end {rss_end / 2**20:.1f} MiB, growth {(rss_end - rss_start) / 2**20:+.1f} MiB "
              f"({(rss_end - rss_mid) / 2**20:+.1f} MiB in the second half)")

        assert orders.poller.last_error is None and tasks.poller.last_error is None
        assert len(delivered) == len(set(delivered)), (
            f"delivered twice: {sorted({i for i in delivered if delivered.count(i) > 1})[:10]}")
        assert_healthy(r)  # every order once, saved tasks kept, budget kept, no traceback
        assert set(tasks.tasks) == set(sb.tasks), "a task of the sandbox is missing from the pane"
        wrong = [k for k, t in sb.tasks.items() if tasks.tasks[k].is_completed is not bool(t.get("completed"))]
        assert not wrong, f"the pane shows the wrong completed state for {wrong[:10]}"
        for path in (ORDERS, TASKS):
            short = poll_spacing(sb, path)
            assert not short, f"{path}: polls closer than {INTERVAL:g} s: {short[:5]}"
        for name, starts in poll_starts.items():
            gaps = [b - a for a, b in zip(starts, starts[1:])]
            print(f"soak {name}: {len(starts)} polls, closest {min(gaps):.1f} s apart")
            assert len(starts) > 500, f"{name}: only {len(starts)} polls in a day"
            assert min(gaps) >= INTERVAL - 1e-6, f"{name}: two polls {min(gaps):.1f} s apart"
        assert sum(faults.values()) >= 20, "the soak injected too few faults to mean much"
        assert rss_end - rss_start < RSS_GROWTH_LIMIT
        assert rss_end - rss_mid < RSS_GROWTH_LIMIT / 4, "memory still growing after the first 12 hours"
        assert_no_dump(r.app)

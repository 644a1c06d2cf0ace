"""Figure 4 -- sync: the cursor key's time to frame while 100,000 orders load, against idle.

    python -m benchmarks.bench_sync [--quick] [--orders N]

The app runs as a user's profile would (API key, SQLite cache in a temp dir), headless under
`run_test`, against the sandbox on a real loopback socket IN ANOTHER PROCESS: a real Keap
does its filtering and JSON encoding on its own machines, so the sandbox's work must not
land on the app's event loop (in --demo it does; see RESULTS.md).

Time is a FakeClock shared by both processes through an 8-byte memory-mapped file: the app
writes it whenever it advances (the call budget "waits" by advancing it), the sandbox reads
it. So the budget is honoured on the sandbox's own quota (100 calls per rolling 60 s: the
101st orders page waits a driven minute) without a real minute passing.

The orders pane gets 1,000 rows at once (`OrdersPane.add_orders`, synthetic orders with ids
the sandbox does not use) so the cursor has somewhere to go while the first sync runs; the
sync then brings every order of the sandbox (the first sync's baseline: 30 days, all of them).

Measured, for each cursor key ("down", "up" in turn) on the focused orders table, sent from
a separate thread like a terminal's input thread (so keys also arrive while the loop is busy),
paced 10-30 ms after the previous key's frame like key repeat: wall time from sending the key
to the first frame the app composes (`App._display`, wrapped) with the cursor moved. Textual
composes frames on its own update timer (60 fps), exactly as in a terminal. The same keys are
then timed with the app idle (sync done). A heartbeat task (5 ms sleeps) records the stalls
of the event loop. Judged: median and p90 within 2x idle, and no key over 250 ms (a freeze).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import mmap
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from infusion_tui.clock import Clock, FakeClock

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
API_KEY = "sandbox-key"
PREFILL = 1_000
FREEZE = 0.25  # a key that waits longer than this reads as a frozen app


# --- a FakeClock shared between processes -----------------------------------------------------


class SharedFakeClock(FakeClock):
    """A FakeClock that publishes its time to a memory-mapped file on every advance."""

    def __init__(self, path: Path, start: float = 1_800_000_000.0) -> None:
        path.write_bytes(b"\0" * 8)
        self._file = open(path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), 8)
        super().__init__(start)
        self._publish()

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self._publish()

    def _publish(self) -> None:
        struct.pack_into("d", self._map, 0, self._now)


class FollowerClock(Clock):
    """The sandbox's side: reads the time the app's SharedFakeClock published."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")
        self._map = mmap.mmap(self._file.fileno(), 8, access=mmap.ACCESS_READ)

    def now(self) -> float:
        return struct.unpack_from("d", self._map, 0)[0]

    def monotonic(self) -> float:
        return self.now() - 1_000.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def serve(clock_file: str, n_orders: int) -> None:
    """The sandbox process: serve until stdin closes; answer `stats` with what it received."""
    from infusion_tui.sandbox import Sandbox

    sb = Sandbox(seed=7, api_key=API_KEY, clock=FollowerClock(Path(clock_file)), n_orders=n_orders)
    print("URL", sb.start(0), flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            orders = [r for r in sb.requests if r.path.rstrip("/").endswith("/orders")]
            print(json.dumps({
                "calls": sb.calls(),
                "orders_calls": len(orders),
                "max_in_60s": sb.max_calls_in_window(60.0),
                "statuses": sorted({r.status for r in sb.requests if r.status is not None}),
            }), flush=True)
    sb.stop()


class SandboxProcess:
    def __init__(self, clock_file: Path, n_orders: int) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        command = [sys.executable, "-m", "benchmarks.bench_sync", "--serve", str(clock_file), str(n_orders)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("URL "):
            raise RuntimeError("the sandbox process did not start")
        self.url = line.split()[1]

    def stats(self) -> dict:
        self.process.stdin.write("stats\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return json.loads(self.process.stdout.readline())  # type: ignore[union-attr]

    def stop(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- frames, keys and stalls (bench_live uses these too) --------------------------------------


class FrameSpy:
    """Wraps `App._display`: every composed frame of the main screen, with a probe's value.

    Waitable from the app's loop (`until`) and from another thread (`wait_from_thread`).
    """

    def __init__(self, app: Any, probe: Any) -> None:
        self.frames: list[tuple[float, Any]] = []
        self.event = asyncio.Event()
        self.condition = threading.Condition()
        display = app._display

        def spy(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and type(screen).__name__ == "MainScreen":
                with self.condition:
                    self.frames.append((time.perf_counter(), probe()))
                    self.condition.notify_all()
                self.event.set()

        app._display = spy

    def _match(self, seen: int, start: float, done: Any) -> float | None:
        for stamp, value in self.frames[seen:]:
            if stamp >= start and done(value):
                return stamp - start
        return None

    async def until(self, start: float, done: Any, timeout: float = 30.0) -> float:
        """Seconds from `start` to the first frame after it whose probe value passes `done`."""
        seen = 0
        deadline = time.perf_counter() + timeout
        while True:
            found = self._match(seen, start, done)
            if found is not None:
                return found
            seen = len(self.frames)
            self.event.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no matching frame")
            try:
                await asyncio.wait_for(self.event.wait(), left)
            except TimeoutError:
                pass

    def wait_from_thread(self, start: float, done: Any, timeout: float) -> float | None:
        seen = 0
        deadline = time.perf_counter() + timeout
        with self.condition:
            while True:
                found = self._match(seen, start, done)
                if found is not None:
                    return found
                seen = len(self.frames)
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.condition.wait(left)


class KeyPresser(threading.Thread):
    """A user at the terminal: "down" and "up" in turn, 10-30 ms after the previous key's
    frame, sent from its own thread as a terminal's input thread does -- so a key can arrive
    while the app's loop is busy, and then waits for it, as it would for a user.

    Each sample: seconds from sending the key to the first composed frame whose cursor is
    no longer on the row it was on when the key was sent.
    """

    def __init__(self, app: Any, table: Any, spy: FrameSpy) -> None:
        super().__init__(daemon=True, name="key-presser")
        self.app, self.table, self.spy = app, table, spy
        self.loop = asyncio.get_running_loop()
        self.samples: list[float] = []
        self._halt = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        from textual import events

        rng = random.Random(1)
        keys = ["down", "up"]
        while not self._halt.is_set():
            key = keys[len(self.samples) % 2]
            before = self.table.cursor_key
            start = time.perf_counter()
            self.loop.call_soon_threadsafe(self.app.post_message, events.Key(key, None))
            took = self.spy.wait_from_thread(start, lambda cursor: cursor != before, timeout=120.0)
            if took is None:
                self.failure = f"no frame showed the cursor moved by {key!r} within 120 s"
                return
            self.samples.append(took)
            time.sleep(rng.uniform(0.01, 0.03))

    async def finish(self) -> list[float]:
        """Stop after the key in flight (waiting on the loop: its frame needs the loop)."""
        self._halt.set()
        while self.is_alive():
            await asyncio.sleep(0.005)
        if self.failure:
            raise RuntimeError(self.failure)
        return self.samples


class Heartbeat:
    """Gaps between 5 ms sleeps of a task on the app's loop: how long the loop was blocked."""

    def __init__(self) -> None:
        self.stalls: list[float] = []  # every gap over 5 ms beyond the sleep itself
        self._task = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            if now - last - 0.005 > 0.005:
                self.stalls.append(now - last - 0.005)
            last = now

    def take(self) -> dict[str, float]:
        """Longest stall, and the stalls over 50 ms (count, seconds); then start afresh."""
        stalls, self.stalls = self.stalls, []
        long = [s for s in stalls if s > 0.05]
        return {"max": max(stalls, default=0.0), "over_50ms": len(long), "over_50ms_s": sum(long)}

    def stop(self) -> None:
        self._task.cancel()


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def ms(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def show(figure: dict[str, float]) -> str:
    return (f"median {ms(figure['median'])}, p90 {ms(figure['p90'])}, "
            f"min {ms(figure['min'])}, max {ms(figure['max'])} ({figure['n']} keys)")


# --- the benchmark ----------------------------------------------------------------------------


def synthetic_orders(n: int, now: float, first_id: int = 1) -> list:
    """Orders shaped by the sandbox's own generator; ids from `first_id` (keep clear of the
    sandbox's own, 5001 upwards)."""
    from infusion_tui.keap.models import Order, decode
    from infusion_tui.sandbox.order_data import make_orders
    from infusion_tui.sandbox.people import make_contacts

    rng = random.Random("bench-prefill")
    raw = make_orders(rng, n, now, make_contacts(random.Random("bench-contacts")), first_id=first_id)
    return [decode(json.dumps(order), Order) for order in raw.values()]


async def measure(n_orders: int, idle_keys: int) -> dict:
    from infusion_tui.connection import Connector
    from infusion_tui.credentials import Credential
    from infusion_tui.settings import load_settings
    from infusion_tui.store import Store
    from infusion_tui.ui.app import InfusionApp

    out: dict[str, Any] = {"orders": n_orders}
    with tempfile.TemporaryDirectory(prefix="infusion-bench-sync-") as tmp:
        clock = SharedFakeClock(Path(tmp) / "clock")
        started = time.perf_counter()
        server = SandboxProcess(Path(tmp) / "clock", n_orders)
        out["sandbox_generation_s"] = time.perf_counter() - started
        try:
            settings = dataclasses.replace(load_settings({}, {}), base_url=server.url)
            connector = Connector(settings, Credential.from_api_key(API_KEY), clock=clock,
                                  open_store=lambda _s: Store(Path(tmp) / "profile.sqlite3"))
            prefill = synthetic_orders(PREFILL, clock.now())
            app = InfusionApp(settings, connector)
            async with app.run_test(size=SIZE) as pilot:
                while type(app.screen).__name__ != "MainScreen":
                    await pilot.pause(0.01)
                screen = app.screen
                pane = screen.query_one("OrdersPane")
                table = pane.table
                spy = FrameSpy(app, lambda: table.cursor_key)
                heart = Heartbeat()
                sync_start = time.perf_counter()
                pane.add_orders(prefill, new=False)
                table.focus()
                table.move_cursor_to_key(table.index.visible[5])
                await pilot.pause()
                target = n_orders + PREFILL
                presser = KeyPresser(app, table, spy)
                presser.start()
                while pane.count < target or pane.poller.busy:
                    await asyncio.sleep(0.01)
                    if time.perf_counter() - sync_start > 1800:
                        raise RuntimeError("the sync did not finish in 30 minutes")
                during = await presser.finish()
                out["sync_wall_s"] = time.perf_counter() - sync_start
                out["stall_during"] = heart.take()
                out["loaded"] = pane.count - PREFILL
                out["fake_minutes"] = (clock.now() - 1_800_000_000.0) / 60
                out["calls_made"] = screen.session.client.calls_made
                await app.workers.wait_for_complete()
                await asyncio.sleep(1.0)  # let the GC and the store settle before "idle"
                heart.take()
                presser = KeyPresser(app, table, spy)
                presser.start()
                while len(presser.samples) < idle_keys and presser.is_alive():
                    await asyncio.sleep(0.01)
                idle = await presser.finish()
                out["stall_idle"] = heart.take()
                heart.stop()
                out["during"] = summarize(during)
                out["idle"] = summarize(idle)
            out["server"] = server.stats()
        finally:
            server.stop()
    return out


def report(out: dict) -> list[str]:
    server = out["server"]
    print()
    print(f"sandbox process: {out['orders']:,} orders generated in {out['sandbox_generation_s']:.1f} s")
    print(f"sync: {out['loaded']:,} orders in {out['sync_wall_s']:.1f} s wall, {out['fake_minutes']:.1f} driven minutes; "
          f"{out['calls_made']} calls by the client, {server['calls']} API calls at the sandbox "
          f"({server['orders_calls']} for orders), at most {server['max_in_60s']} in any 60 s, statuses {server['statuses']}")
    for name, key in (("while syncing", "during"), ("when idle", "idle")):
        stall = out[f"stall_{key}"]
        print(f"cursor key to frame {name + ':':14} {show(out[key])}")
        print(f"{'':20}event loop: longest stall {ms(stall['max'])}, {stall['over_50ms']} stalls over 50 ms "
              f"({ms(stall['over_50ms_s'])} in all)")
    during, idle = out["during"], out["idle"]
    ratio = during["median"] / idle["median"]
    tail = during["p90"] / idle["p90"]
    label = f"{out['orders'] // 1000}k" if out["orders"] >= 1000 else str(out["orders"])
    budget_ok = server["max_in_60s"] <= 100 and 429 not in server["statuses"]
    # "Within 2x idle" for the typical key (median) and the slow tenth (p90), and no key
    # waiting long enough to be seen as a freeze (250 ms).
    ok = ratio <= 2 and tail <= 2 and during["max"] <= FREEZE and budget_ok
    line = (f"sync {label} orders: cursor key {ms(during['median'])} vs idle {ms(idle['median'])} -> {ratio:.2f}x, "
            f"p90 {ms(during['p90'])} vs {ms(idle['p90'])} -> {tail:.2f}x, max {ms(during['max'])} vs "
            f"{ms(idle['max'])}; {server['orders_calls']} orders calls, max {server['max_in_60s']}/60 s  "
            f"[target <=2x idle (median and p90), no key >{FREEZE * 1000:.0f} ms, budget honoured] "
            f"{'OK' if ok else 'MISSED'}")
    print(line)
    return [line]


def private_home() -> None:
    """Point HOME and the XDG dirs at a temp dir: settings, themes and caches stay out of the real home."""
    import atexit
    import shutil

    home = Path(tempfile.mkdtemp(prefix="infusion-bench-home-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["HOME"] = str(home)
    for name, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                      ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        os.environ[name] = str(home / sub)


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 orders")
    parser.add_argument("--orders", type=int, default=None, help="orders at the sandbox (default 100,000)")
    parser.add_argument("--serve", nargs=2, metavar=("CLOCK_FILE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return []
    private_home()
    n = args.orders or (5_000 if args.quick else 100_000)
    return report(asyncio.run(measure(n, idle_keys=20 if args.quick else 60)))


if __name__ == "__main__":
    main()

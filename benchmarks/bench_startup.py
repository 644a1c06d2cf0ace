"""Figure 1 -- start-up: process start to the first frame that shows task rows, in a real terminal.

    python -m benchmarks.bench_startup [--quick] [--runs N] [--big-cache N]
    python -m benchmarks.bench_startup --profile     # import times, timeline, pyinstrument

Every start runs in its own tmux session (120x40) on a private tmux server. The session's
shell blocks on a FIFO; the clock starts when the benchmark writes to it, so the time is
measured from the `exec` of the program (python start-up, imports, app, first sync, frame),
not from tmux's own session set-up. The benchmark then polls `tmux capture-pane -p` (every
~2 ms) until a known task title is on screen, and also notes the first capture showing any
text at all ("first frame"). Then it presses q and waits for the program to end.

What starts (interleaved, one after the other in each round, so drift hits all alike):
- bare:       a Textual app with a Header, a Footer and a DataTable of 5 rows (the reference)
- --demo:     `infusion-tui --demo` (in-process sandbox, no store: rows come from the first sync)
- cold:       `infusion-tui` with KEAP_API_KEY against a sandbox on a loopback socket
              (`infusion-tui sandbox`, a separate process), with an EMPTY local cache
- warm:       the same, with the profile's cache (SQLite) filled by an earlier run: the rows
              should be painted from the cache, in the very first frame
- big:        (not with --quick) warm, from a cache holding 100,000 orders: 3 starts
"cold"/"warm" are about the app's local cache, not the OS: one untimed start of each kind
runs first (not with --quick), so .pyc files and the page cache are warm for every timed start.
Timed starts are ended with SIGHUP (tmux kill-session); the one that fills the cache quits
with q.

The "first frame" rule is also checked in-process (`frames_in_process`): the app runs
headless with `App._display` wrapped, and the first frame of the main screen is inspected
for task rows (a terminal poll could miss a frame that lasted less than a poll).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
POLL = 0.002  # seconds between two captures
TIMEOUT = 30.0

BARE_APP = '''\
"""The reference: a bare Textual app with a Header, a Footer and a DataTable (5 rows)."""
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Title", "Type", "Priority", "Due")
        table.add_rows([(f"Bare task {i}", "Call", "High", "tomorrow 09:00") for i in range(1, 6)])


if __name__ == "__main__":
    Bare().run()
'''


# --- statistics and formatting (kept local: common.py belongs to the table benchmark) --------


def summarize(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def secs(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


# --- tmux -----------------------------------------------------------------------------------


class Tmux:
    """A private tmux server (its own socket), so nothing else's sessions are touched."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"infusion-bench-{os.getpid()}"
        self.env = env
        # A session that lives for the whole benchmark: the server is up before the first run.
        self.run("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 86400")
        self.run("set-option", "-g", "remain-on-exit", "on")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env, capture_output=True, text=True, check=check,
        )

    def capture(self, target: str) -> str:
        return self.run("capture-pane", "-p", "-t", target, check=False).stdout

    def dead(self, target: str) -> bool:
        out = self.run("display-message", "-p", "-t", target, "#{pane_dead}", check=False)
        return out.returncode != 0 or out.stdout.strip() == "1"

    def close(self) -> None:
        self.run("kill-server", check=False)


class Start:
    """One start of a command in a fresh tmux session, timed from its exec."""

    counter = 0

    def __init__(self, tmux: Tmux, workdir: Path, command: list[str], env: dict[str, str]) -> None:
        Start.counter += 1
        self.tmux = tmux
        self.name = f"run{Start.counter}"
        self.fifo = workdir / f"go-{Start.counter}"
        os.mkfifo(self.fifo)
        shell = f"read _ < {shlex.quote(str(self.fifo))}; exec {shlex.join(command)}"
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        tmux.run("new-session", "-d", "-s", self.name, "-x", str(SIZE[0]), "-y", str(SIZE[1]),
                 *flags, "sh", "-c", shell)

    def measure(self, markers: tuple[str, ...]) -> dict:
        """Release the program; return seconds to the first text and to the first task row."""
        with open(self.fifo, "w") as go:  # blocks until the session's shell waits on it
            start = time.perf_counter()
            go.write("\n")
        first = rows = None
        first_had_rows = False
        screen = ""
        while True:
            screen = self.tmux.capture(self.name)
            now = time.perf_counter() - start
            seen = any(marker in screen for marker in markers)
            if first is None and screen.strip():
                first, first_had_rows = now, seen
            if seen:
                rows = now
                break
            if now > TIMEOUT or (now > 1 and self.tmux.dead(self.name)):
                break
            time.sleep(POLL)
        if rows is None:
            raise RuntimeError(f"no task row on screen after {now:.1f} s; the screen showed:\n{screen}")
        return {"first": first, "rows": rows, "first_had_rows": first_had_rows, "screen": screen}

    def quit(self, gently: bool, timeout: float = 5.0) -> None:
        """q and wait for the exit (gently), or end the session at once (SIGHUP)."""
        if gently:
            self.tmux.run("send-keys", "-t", self.name, "q", check=False)
            deadline = time.monotonic() + timeout
            while not self.tmux.dead(self.name) and time.monotonic() < deadline:
                time.sleep(0.02)
        self.tmux.run("kill-session", "-t", self.name, check=False)
        self.fifo.unlink(missing_ok=True)


# --- the scenarios --------------------------------------------------------------------------


def task_markers() -> tuple[str, ...]:
    """The beginnings of the demo sandbox's task titles (seed 7): what a task row shows."""
    from infusion_tui.connection import DEMO_SEED
    from infusion_tui.sandbox import Sandbox

    titles = {task["title"] for task in Sandbox(seed=DEMO_SEED).tasks.values() if task.get("title")}
    return tuple(sorted({title[:12] for title in titles if len(title) >= 12}))


class LoopbackSandbox:
    """`infusion-tui sandbox` in its own process, on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "infusion_tui.sandbox", "--port", "0", "--seed", "7"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.url = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "base URL" in line:
                self.url = line.split()[-1]
                break
        if not self.url:
            raise RuntimeError("the loopback sandbox did not start")

    def stop(self) -> None:
        self.process.terminate()  # SIGINT may be ignored when started from a background job
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cached_tasks(data_home: Path) -> int:
    files = list(data_home.rglob("*.sqlite3"))
    if not files:
        return 0
    with sqlite3.connect(files[0]) as db:
        return db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]


def fill_big_cache(data_home: Path, n_orders: int) -> float:
    """A profile cache holding `n_orders` orders (and the demo's tasks), as a first sync of a
    big account leaves it: written through `Store.commit_feed`, the poller's own call."""
    import json

    from infusion_tui.keap.models import Order, Task, decode
    from infusion_tui.live.cursor import Cursor
    from infusion_tui.sandbox import Sandbox
    from infusion_tui.store import Store

    started = time.perf_counter()
    sb = Sandbox(seed=7, n_orders=n_orders)
    orders = [decode(json.dumps(o), Order) for o in sb.orders.values()]
    tasks = [decode(json.dumps(t), Task) for t in sb.tasks.values()]
    folder = data_home / "infusion-tui"
    folder.mkdir(parents=True, exist_ok=True)
    with Store(folder / "default.sqlite3") as store:
        store.commit_feed("orders", Cursor().advanced((o.creation_date, o.id) for o in orders),
                          orders=orders, synced_at=time.time())
        store.commit_feed("tasks", Cursor().advanced((t.modification_date or t.creation_date, t.id) for t in tasks),
                          tasks=tasks, replace_tasks=True, synced_at=time.time())
    return time.perf_counter() - started


def run(quick: bool, runs: int | None, big_cache: int = 0) -> dict:
    runs = runs or (1 if quick else 10)
    work = Path(tempfile.mkdtemp(prefix="infusion-bench-startup-"))
    home = work / "home"
    home.mkdir()
    bare = work / "bare.py"
    bare.write_text(BARE_APP)
    python = sys.executable
    app = str(Path(python).with_name("infusion-tui"))
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring
    }
    tmux = Tmux(base_env)
    sandbox = LoopbackSandbox(dict(os.environ, **base_env))
    markers = task_markers()
    bare_markers = ("Bare task 1",)
    profile_env = {"KEAP_API_KEY": "sandbox-key", "INFUSION_TUI_BASE_URL": sandbox.url}
    warm_data = work / "warm-data"
    big_data = work / "big-data"
    cold_count = 0

    def start(kind: str, gently: bool = False) -> dict:
        nonlocal cold_count
        if kind == "bare":
            command, env, wanted = [python, str(bare)], {}, bare_markers
        elif kind == "demo":
            command, env, wanted = [app, "--demo"], {}, markers
        elif kind == "cold":
            cold_count += 1
            fresh = work / f"cold-data-{cold_count}"  # an empty cache every time
            command, env, wanted = [app], {**profile_env, "XDG_DATA_HOME": str(fresh)}, markers
        elif kind == "warm":
            command, env, wanted = [app], {**profile_env, "XDG_DATA_HOME": str(warm_data)}, markers
        else:  # "big": a warm start whose cache holds `big_cache` orders
            command, env, wanted = [app], {**profile_env, "XDG_DATA_HOME": str(big_data)}, markers
        launch = Start(tmux, work, command, env)
        try:
            return launch.measure(wanted)
        finally:
            launch.quit(gently)

    kinds = ["bare", "demo", "cold", "warm"]
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    try:
        # Untimed: fill the warm profile's cache (the first sync saves it), and warm .pyc files
        # and the page cache for every kind.
        start("warm", gently=True)
        if not cached_tasks(warm_data):
            raise RuntimeError("the first profile run did not fill the local cache")
        if not quick:
            for kind in kinds:
                start(kind)
        for round_ in range(runs):
            for kind in kinds:
                results[kind].append(start(kind))
            print(f"  round {round_ + 1}/{runs}: " + "  ".join(
                f"{kind} {secs(results[kind][-1]['rows'])}" for kind in kinds), file=sys.stderr, flush=True)
        cache_tasks = cached_tasks(warm_data)
        if big_cache:
            print(f"  filling a cache with {big_cache:,} orders …", file=sys.stderr, flush=True)
            fill_seconds = fill_big_cache(big_data, big_cache)
            results["big"] = [start("big") for _ in range(3)]
    finally:
        sandbox.stop()
        tmux.close()
        shutil.rmtree(work, ignore_errors=True)
    out: dict = {"runs": runs, "cached_tasks": cache_tasks, "big_cache": big_cache}
    if big_cache:
        out["big_fill_s"] = fill_seconds
    for kind, samples in results.items():
        out[kind] = {
            "rows": summarize([s["rows"] for s in samples]),
            "first": summarize([s["first"] for s in samples]),
            "rows_in_first_frame": sum(s["first_had_rows"] for s in samples),
        }
    return out


# --- the first frame, in-process ------------------------------------------------------------


async def frames_in_process() -> dict[str, dict]:
    """Which frame first shows task rows: demo (no store) and a profile with a filled cache.

    Runs the real app headless, wrapping `App._display` (called with every composed frame),
    and reads each frame's text back from the compositor.
    """
    import dataclasses

    from infusion_tui.clock import FakeClock
    from infusion_tui.connection import Connector
    from infusion_tui.credentials import Credential
    from infusion_tui.sandbox import Sandbox
    from infusion_tui.settings import load_settings
    from infusion_tui.store import Store
    from infusion_tui.ui.app import InfusionApp

    markers = task_markers()
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:

        async def frames(app: InfusionApp, stop_when_rows: bool = True) -> dict:
            seen: list[tuple[str, bool]] = []
            display = app._display

            def spy(screen, renderable) -> None:
                display(screen, renderable)
                if renderable is None or type(screen).__name__ != "MainScreen":
                    return
                text = "\n".join(strip.text for strip in screen._compositor.render_strips())
                seen.append((type(screen).__name__, any(m in text for m in markers)))

            app._display = spy  # type: ignore[method-assign]
            async with app.run_test(size=SIZE) as pilot:
                for _ in range(400):
                    await pilot.pause(0.01)
                    if any(rows for _, rows in seen):
                        break
            first_rows = next((i for i, (_, rows) in enumerate(seen) if rows), None)
            return {"main_frames_before_rows": first_rows, "first_main_frame_has_rows": bool(seen and seen[0][1])}

        demo = load_settings({"demo": True}, {})
        out["demo"] = await frames(InfusionApp(demo, Connector(demo, clock=FakeClock())))

        clock = FakeClock()
        sb = Sandbox(seed=7, clock=clock)
        settings = dataclasses.replace(load_settings({}, {}), base_url="http://127.0.0.1:9/crm/rest/v1")
        path = Path(tmp) / "cache.sqlite3"

        def connector() -> Connector:
            return Connector(settings, Credential.from_api_key(sb.api_key or ""), transport=sb.transport(),
                             clock=clock, open_store=lambda _settings: Store(path))

        out["cold"] = await frames(InfusionApp(settings, connector()))
        for _ in range(100):  # the poller saves the baseline in a thread
            if path.exists():
                with Store(path) as store:
                    if store.load_tasks():
                        break
            await asyncio.sleep(0.02)
        out["warm"] = await frames(InfusionApp(settings, connector()))
    return out


# --- report ---------------------------------------------------------------------------------


def report(results: dict, frames: dict[str, dict]) -> list[str]:
    bare = results["bare"]["rows"]["median"]
    runs = results["runs"]
    print()
    print(f"{'':6} {'rows on screen: median [min..max]':>36}   {'first text: median':>20}   rows in first frame")
    for kind in [k for k in ("bare", "demo", "cold", "warm", "big") if k in results]:
        r = results[kind]
        rows, first = r["rows"], r["first"]
        print(f"{kind:6} {secs(rows['median']):>14} [{secs(rows['min'])}..{secs(rows['max'])}]"
              f" {rows['median'] / bare:5.2f}x   {secs(first['median']):>20}   {r['rows_in_first_frame']}/{rows['n']}")
    print("\nin-process frame check (first frame of the main screen shows task rows): "
          + ", ".join(f"{k}: {'yes' if v['first_main_frame_has_rows'] else 'no'}"
                      f" ({v['main_frames_before_rows']} frames before rows)" for k, v in frames.items()))
    print(f"warm cache: {results['cached_tasks']} tasks in the profile's SQLite file")
    if "big" in results:
        print(f"big cache: {results['big_cache']:,} orders, written in {results['big_fill_s']:.1f} s")
    print()

    lines = []
    demo = results["demo"]["rows"]["median"]
    ratio = demo / bare
    lines.append(f"startup --demo: {secs(demo)} vs bare {secs(bare)} -> {ratio:.2f}x  "
                 f"[target <=1.3x] {'OK' if ratio <= 1.3 else 'MISSED'}")
    warm = results["warm"]
    ratio = warm["rows"]["median"] / bare
    in_first = warm["rows_in_first_frame"] == runs and frames["warm"]["first_main_frame_has_rows"]
    lines.append(f"startup warm (cache): {secs(warm['rows']['median'])} vs bare {secs(bare)} -> {ratio:.2f}x, "
                 f"rows in the first frame {warm['rows_in_first_frame']}/{runs} (in-process: "
                 f"{'yes' if frames['warm']['first_main_frame_has_rows'] else 'no'})  "
                 f"[target rows in first frame] {'OK' if in_first else 'MISSED'}")
    cold = results["cold"]["rows"]["median"]
    lines.append(f"startup cold profile (empty cache, loopback sandbox): {secs(cold)} vs bare {secs(bare)} "
                 f"-> {cold / bare:.2f}x  (no target)")
    if "big" in results:
        big = results["big"]
        lines.append(f"startup warm, {results['big_cache']:,} orders cached: {secs(big['rows']['median'])} "
                     f"[{secs(big['rows']['min'])}..{secs(big['rows']['max'])}] vs bare {secs(bare)} -> "
                     f"{big['rows']['median'] / bare:.1f}x, rows in the first frame {big['rows_in_first_frame']}/"
                     f"{big['rows']['n']}  (no target; the first frame waits for the whole cache)")
    for line in lines:
        print(line)
    return lines


# --- profiling: where the start-up time goes ------------------------------------------------


def probe(demo: bool) -> None:
    """Start the real app headless (`--demo`, or a profile through KEAP_API_KEY and
    INFUSION_TUI_BASE_URL from the environment), print a timeline, exit at the first frame that
    shows task rows. Run under `-X importtime` or pyinstrument by `--profile`."""
    began = time.perf_counter()
    marks: list[tuple[float, str]] = []

    def mark(what: str) -> None:
        marks.append((time.perf_counter() - began, what))

    from infusion_tui import cli  # the entry point's own first import

    mark("infusion_tui.cli imported")
    from infusion_tui.connection import Connector
    from infusion_tui.credentials import credential_from_env
    from infusion_tui.live import poller
    from infusion_tui.ui.app import InfusionApp

    mark("infusion_tui.ui.app (textual) imported")
    settings = cli.load_settings({"demo": demo or None}, os.environ)
    connector = Connector(settings) if demo else Connector(settings, credential_from_env(os.environ))
    app = InfusionApp(settings, connector)
    opened = Connector.open
    polled = poller.Poller._poll

    async def open_(self):  # type: ignore[no-untyped-def]
        mark("connect worker starts")
        session = await opened(self)
        mark("session open (client, store or sandbox)")
        return session

    async def poll_(self, manual):  # type: ignore[no-untyped-def]
        mark(f"{self.name}: first poll starts")
        result = await polled(self, manual)
        mark(f"{self.name}: first poll done")
        return result

    Connector.open = open_  # type: ignore[method-assign]
    poller.Poller._poll = poll_  # type: ignore[method-assign]
    display = app._display
    state = {"main": False}

    def spy(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        display(screen, renderable)
        if renderable is None or type(screen).__name__ != "MainScreen":
            return
        rows = bool(screen.query_one("TasksPane").table.index.visible)
        if not state["main"]:
            state["main"] = True
            mark(f"first frame of the main screen ({'with' if rows else 'without'} task rows)")
        if rows:
            mark("frame with task rows")
            app.exit()

    app._display = spy  # type: ignore[method-assign]
    app.run(headless=True, size=SIZE)
    for stamp, what in marks:
        print(f"{stamp * 1000:8.0f} ms  {what}")


def importtime(code: list[str], env: dict[str, str], runs: int) -> tuple[float, dict[str, float], dict[str, float]]:
    """(total ms, self ms by top-level package, self ms by module) of the median run of `runs`
    (one whole run, so the parts add up; other processes make single modules noisy)."""
    import re

    measured = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", *code], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        seen: dict[str, float] = {}
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| *(\S+)", line)
            if match:
                seen[match[3]] = int(match[1]) / 1000
        measured.append((sum(seen.values()), seen))
    measured.sort(key=lambda run: run[0])
    total, by_module = measured[len(measured) // 2]
    by_package: dict[str, float] = {}
    for name, ms in by_module.items():
        top = name.split(".")[0]
        by_package[top] = by_package.get(top, 0.0) + ms
    return total, by_package, by_module


def profile(runs: int = 5) -> None:
    """Import costs (min of `runs`) and a pyinstrument profile of a headless --demo start."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as home:
        env.update(HOME=home, XDG_CONFIG_HOME=f"{home}/c", XDG_DATA_HOME=f"{home}/d",
                   XDG_CACHE_HOME=f"{home}/k", XDG_STATE_HOME=f"{home}/s")
        for title, code in [
            ('python -X importtime -c "import infusion_tui.cli"', ["-c", "import infusion_tui.cli"]),
            ("python -X importtime -m benchmarks.bench_startup --probe --demo (everything up to the rows)",
             ["-m", "benchmarks.bench_startup", "--probe", "--demo"]),
        ]:
            total, packages, modules = importtime(code, env, runs)
            print(f"\n{title}: {total:.0f} ms of imports (self times; the median of {runs} runs)")
            print("  by package: " + ", ".join(f"{name} {ms:.0f}" for name, ms in
                                                sorted(packages.items(), key=lambda kv: -kv[1])[:14]))
            print("  top modules: " + ", ".join(f"{name} {ms:.1f}" for name, ms in
                                                 sorted(modules.items(), key=lambda kv: -kv[1])[:14]))
        print("\ntimeline of a headless --demo start (3 runs):")
        for _ in range(3):
            done = subprocess.run([sys.executable, "-m", "benchmarks.bench_startup", "--probe", "--demo"],
                                  env=env, cwd=ROOT, capture_output=True, text=True)
            print(done.stdout)
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            print("pyinstrument is not installed: no profile (pip install pyinstrument)")
            return
        done = subprocess.run([sys.executable, "-m", "pyinstrument", "-r", "text", "-i", "0.0005",
                               "-m", "benchmarks.bench_startup", "--probe", "--demo"],
                              env=env, cwd=ROOT, capture_output=True, text=True)
        print("pyinstrument, headless --demo start to the first frame with task rows:")
        print(done.stdout)


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 start of each kind, no separate warm-up")
    parser.add_argument("--runs", type=int, default=None, help="timed starts of each kind (default 10)")
    parser.add_argument("--big-cache", type=int, default=None, metavar="N",
                        help="also start warm from a cache of N orders (default 100,000; 0 with --quick)")
    parser.add_argument("--profile", action="store_true", help="import times and a pyinstrument profile instead")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.demo)
        return []
    if args.profile:
        profile()
        return []
    if shutil.which("tmux") is None:
        raise SystemExit("bench_startup needs tmux")
    big = args.big_cache if args.big_cache is not None else (0 if args.quick else 100_000)
    results = run(args.quick, args.runs, big)
    frames = asyncio.run(frames_in_process())
    return report(results, frames)


if __name__ == "__main__":
    main()

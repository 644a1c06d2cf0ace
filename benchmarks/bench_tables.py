"""Table panes at scale: LineTable against Textual's stock DataTable.

    python -m benchmarks.bench_tables [--quick]

Rows are synthetic orders (time, id, contact, company, total, paid/due, status) from a seeded
generator, newest first, the way the orders feed receives them. Every (table, size) pair runs
in its own subprocess, so memory figures are not polluted by an earlier size.

What is timed (see `benchmarks/common.py` for the "settled frame"):
- load:    hand the rows to the pane (`replace_rows(rows, presorted=True)`, or `add_rows`)
           until the settled frame. Rows are built before timing: that is the poller's work
           (decoding, making cells literal), reported separately as "prepare". Also shown:
           the same load settled by `pilot.pause()` (Textual's idle wait, 20 ms steps: the
           prototype's method, with a floor that hides small differences).
- load, shuffled input (LineTable): the same rows in random order, so the pane must sort.
- cursor:  one "down" key (scrolling one line) in the middle of the table until the frame.
- filter:  one keystroke in the filter Input (a letter not typed before: a full scan) until
           the frame shows the filtered rows. DataTable has no filter: the usual way is
           clear() + add_rows(matches), measured the same way. Big LineTable scans run in a
           worker, so this includes the worker's completion.
- cursor during filter (1M): "down" keys sent while the filter scan runs; time per key until
           the cursor line is drawn. Shows that typing never blocks the cursor.
- memory:  resident memory growth from the empty running app to the loaded one, including the
           row data the pane needs (both tables keep their cells; peak RSS also shown).
Each timing is repeated, and each LineTable size runs in 3 processes taken round-robin, so
a busy spell on a shared machine hits every size alike. Targets are judged on median CPU
time (wall time shown too): nothing on the timed path sleeps, so CPU time is the work done,
and it is less disturbed by other processes than wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from benchmarks.common import ms, peak_rss_mb, rss_mb, settle, size_label, stats, timed
from infusion_tui.table_index import make_row
from infusion_tui.ui.widgets.line_table import Column, LineTable

COLUMNS = [
    Column("time", "Time", width=16, priority=6),
    Column("id", "Order", width=8, justify="right", priority=10),
    Column("name", "Contact", min_width=10, priority=9),
    Column("company", "Company", min_width=10, priority=3),
    Column("total", "Total", width=10, justify="right", priority=8),
    Column("paid", "Paid / due", width=18, justify="right", priority=2),
    Column("status", "Status", width=8, priority=5),
]
FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Ken", "Radia", "Tim", "Margaret"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Thompson", "Perlman"]
COMPANY = ["Analytical Engines", "Globex", "Initech", "Umbrella", "Stark Industries", "Acme"]
STATUS = ["paid", "unpaid", "partial", "refunded"]
FILTER_LETTERS = "gkxvb"  # one fresh letter per repetition: never a cached narrowing
SIZE = (120, 40)


def order_cells(rng: random.Random, i: int, n: int) -> tuple[tuple[str, ...], int, float]:
    minute = 29_000_000 - i  # newest first
    total = rng.randrange(100, 500_000) / 100
    paid = total if rng.random() < 0.7 else round(total * rng.random(), 2)
    cells = (
        time.strftime("%Y-%m-%d %H:%M", time.gmtime(minute * 60)),
        str(n - i),
        f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        rng.choice(COMPANY),
        f"${total:,.2f}",
        f"${paid:,.2f} / ${total - paid:,.2f}",
        rng.choice(STATUS),
    )
    return cells, minute, total


def make_data(kind: str, n: int) -> object:
    rng = random.Random(1234)
    if kind == "line":
        rows = []
        for i in range(n):
            cells, minute, total = order_cells(rng, i, n)
            rows.append(make_row(n - i, cells, (minute, total)))
        return rows
    cells = [order_cells(rng, i, n)[0] for i in range(n)]
    return cells, ["\x1f".join(c).lower() for c in cells]


class BenchApp(App[None]):
    """A filter box above one table, like a feed pane."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.data: object = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter", id="filter")
        if self.kind == "line":
            yield LineTable(COLUMNS, sort_names=("time", "total"), id="table")
        else:
            yield DataTable(cursor_type="row", id="table")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        if self.kind == "line":
            self.table.set_sort("time", reverse=True)
        else:
            self.table.add_columns(*(c.label for c in COLUMNS))

    @property
    def table(self):
        return self.query_one("#table")

    def load(self, rows: object, presorted: bool = True) -> None:
        if self.kind == "line":
            self.table.replace_rows(rows, presorted=presorted)
        else:
            self.table.clear()
            self.table.add_rows(rows)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.kind == "line":
            self.table.set_filter(event.value)
            return
        cells, hays = self.data
        terms = event.value.lower().split()
        self.table.clear()
        self.table.add_rows([c for c, h in zip(cells, hays) if all(t in h for t in terms)])


def key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


async def child(kind: str, n: int, reps: int) -> dict:
    """One table, one size, one process: raw samples of every figure, as (wall, cpu) pairs."""
    app = BenchApp(kind)
    out: dict = {"kind": kind, "n": n}
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await settle(pilot, table)
        rss_empty = rss_mb()
        start = time.perf_counter()
        data = make_data(kind, n)
        out["prepare_s"] = time.perf_counter() - start
        rows = data if kind == "line" else data[0]
        app.data = data
        slow = kind == "datatable" and n >= 100_000  # ~20 s per load: fewer repetitions
        load_reps = 3 if slow else reps
        filter_reps = 2 if slow else 3 if n >= 1_000_000 else len(FILTER_LETTERS)

        async def reload(action=lambda: app.load(rows)) -> tuple[float, float]:
            app.load([])
            await settle(pilot, table)
            return await timed(action, pilot, table)

        out["load"] = [await timed(lambda: app.load(rows), pilot, table)]
        out["rss_mb"] = rss_mb() - rss_empty
        out["load"] += [await reload() for _ in range(load_reps - 1)]
        if n:
            shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert str(n) in shown, "the settled frame must show the newest order"
        if not slow:  # the prototype's method: Textual's own idle wait (20 ms steps)
            out["load_idle"] = []
            for _ in range(3):
                app.load([])
                await settle(pilot, table)
                start = time.perf_counter()
                app.load(rows)
                await pilot.pause()
                out["load_idle"].append((time.perf_counter() - start,) * 2)

        if kind == "line" and n:
            out["load_shuffled"] = []
            for _ in range(2 if n < 1_000_000 else 1):
                batch = rows[:]
                random.Random(5).shuffle(batch)
                out["load_shuffled"].append(await reload(lambda: app.load(batch, presorted=False)))
            del batch
            await reload()

        if n:
            table.focus()
            if kind == "line":
                table.move_cursor_to_key(n - n // 2)
            else:
                table.move_cursor(row=n // 2, animate=False)
            await settle(pilot, table)
            down = lambda: app.post_message(key("down"))  # noqa: E731
            for _ in range(5):  # warm up: first frames after a jump fill caches
                await timed(down, pilot, table)
            out["cursor"] = [await timed(down, pilot, table) for _ in range(40)]

            app.query_one(Input).focus()
            await settle(pilot, table)
            out["filter"], matched = [], []
            for letter in FILTER_LETTERS[:filter_reps]:
                out["filter"].append(await timed(lambda: app.post_message(key(letter)), pilot, table))
                matched.append(table.row_count if kind == "datatable" else len(table.index.visible))
                app.query_one(Input).value = ""
                await settle(pilot, table)
            out["filter_match_pct"] = 100 * sum(matched) / len(matched) / n

        if kind == "line" and n > LineTable.ASYNC_FILTER_ROWS:
            out["cursor_during_filter"] = await cursor_while_filtering(app, pilot, table)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def cursor_while_filtering(app: BenchApp, pilot, table: LineTable) -> list[tuple[float, float]]:
    """Send "down" keys while a full filter scan runs in its worker; time each to its frame."""
    table.focus()
    await settle(pilot, table)
    samples = []
    for letter in "mw":
        table.set_filter(letter)
        await asyncio.sleep(0)
        while any(w.is_running for w in app.workers):
            expected = table.cursor_index + 1
            start = time.perf_counter()
            app.post_message(key("down"))
            while table.cursor_index < expected and any(w.is_running for w in app.workers):
                await asyncio.sleep(0)
            if table.cursor_index >= expected:
                app.screen._on_timer_update()  # draw the moved cursor now
                samples.append((time.perf_counter() - start,) * 2)
        table.set_filter("")
        await settle(pilot, table)
    return samples


FIGURES = ("load", "load_idle", "load_shuffled", "cursor", "filter", "cursor_during_filter")


def run_child(kind: str, n: int, reps: int) -> dict:
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "benchmarks.bench_tables", "--child", kind, str(n), "--reps", str(reps)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child {kind} {n} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def merge(runs: list[dict]) -> dict:
    """Rounds of one (table, size) pooled: samples joined, memory and prepare by median."""
    merged = {key: statistics.median(r[key] for r in runs) for key in ("rss_mb", "prepare_s")}
    merged["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    for figure in FIGURES:
        samples = [tuple(s) for r in runs for s in r.get(figure, [])]
        if samples:
            merged[figure] = stats(samples)
    return merged


def show(label: str, figure: dict | None) -> str:
    if not figure:
        return f"{label} -"
    text = f"{label} {ms(figure['median'])} [{ms(figure['min'])}..{ms(figure['max'])}]"
    return text if figure["cpu"] == figure["median"] else f"{text} cpu {ms(figure['cpu'])}"


def summary_lines(results: dict[tuple[str, int], dict], quick: bool) -> list[str]:
    """One line per target, judged on median CPU time (steady on a shared machine; wall
    time is shown too). In quick mode 10k stands in for 100k and 1M."""
    line = {n: r for (kind, n), r in results.items() if kind == "line"}
    stock = {n: r for (kind, n), r in results.items() if kind == "datatable"}
    big = [10_000] if quick else [100_000, 1_000_000]
    mid = big[0]
    out = []

    def add(text: str, ok: bool, target: str) -> None:
        out.append(f"{text}  [target {target}] {'OK' if ok else 'MISSED'}")

    def versus(what: str, a: dict, b: dict, b_name: str) -> tuple[str, float]:
        cpu, wall = a["cpu"] / b["cpu"], a["median"] / b["median"]
        text = f"{what}: {ms(a['cpu'])} vs {b_name} {ms(b['cpu'])} -> {cpu:.2f}x (wall {ms(a['median'])} vs {ms(b['median'])}: {wall:.2f}x)"
        return text, cpu

    for n in big:
        text, ratio = versus(f"load {size_label(n)}", line[n]["load"], line[0]["load"], "0 rows")
        add(text, ratio <= 1.5, "<=1.5x")
    for n in big:
        a, b = line[n]["load_idle"]["median"], line[0]["load_idle"]["median"]
        add(f"load {size_label(n)} by pilot.pause(): {ms(a)} vs 0 rows {ms(b)} -> {a / b:.2f}x", a / b <= 1.5, "<=1.5x")
    if mid in stock:
        ours, theirs = line[mid]["load"]["median"], stock[mid]["load"]["median"]
        add(f"load {size_label(mid)}: {ms(ours)} vs DataTable {ms(theirs)} -> {theirs / ours:.0f}x faster (wall)", theirs / ours >= 100, ">=100x")
    text, ratio = versus(f"filter keystroke {size_label(mid)}", line[mid]["filter"], line[1_000]["filter"], "1k")
    add(text, ratio <= 4, "<=4x")
    if 1_000_000 in line:
        f_big = line[1_000_000]["filter"]
        add(f"filter keystroke 1M: {ms(f_big['median'])} wall, max {ms(f_big['max'])} (cpu {ms(f_big['cpu'])})", f_big["median"] <= 0.25, "<=250 ms")
        during = line[1_000_000].get("cursor_during_filter")
        if during:
            add(f"cursor key during a 1M filter scan: median {ms(during['median'])}, max {ms(during['max'])} wall ({during['n']} keys)", during["max"] <= 0.05, "never blocked: <=50 ms")
    if mid in stock:
        theirs = stock[mid]["filter"]["median"]
        out.append(f"filter keystroke {size_label(mid)}: {ms(line[mid]['filter']['median'])} vs DataTable rebuild {ms(theirs)} -> {theirs / line[mid]['filter']['median']:.0f}x faster (wall)  (no target)")
    text, ratio = versus(f"cursor key {size_label(big[-1])}", line[big[-1]]["cursor"], line[1_000]["cursor"], "1k")
    add(text, ratio <= 1.2, "<=1.2x")
    for n in big:
        text = f"memory {size_label(n)}: +{line[n]['rss_mb']:.0f} MB"
        if n in stock:
            text += f" vs DataTable +{stock[n]['rss_mb']:.0f} MB"
        out.append(f"{text} (rows included; peak RSS {line[n]['peak_rss_mb']:.0f} MB)  (no target)")
    return out


def report(results: dict[tuple[str, int], dict], quick: bool) -> None:
    print()
    for (kind, n), r in results.items():
        name = "LineTable" if kind == "line" else "DataTable"
        parts = [
            f"{name:9} {size_label(n):>4}",
            show("load", r["load"]),
            show("cursor", r.get("cursor")),
            show("filter", r.get("filter")),
            f"mem +{r['rss_mb']:.0f} MB (peak {r['peak_rss_mb']:.0f})",
            f"prepare {ms(r['prepare_s'])}",
        ]
        print("  ".join(parts))
        if "load_idle" in r:
            print(f"{'':15}{show('load, settled by pilot.pause() (idle wait)', r['load_idle'])}")
        if "load_shuffled" in r:
            print(f"{'':15}{show('load, shuffled input (sorted by the pane)', r['load_shuffled'])}")
        if "cursor_during_filter" in r:
            print(f"{'':15}{show('cursor key during a filter scan', r['cursor_during_filter'])}")
    print()
    for line in summary_lines(results, quick):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 10,000 rows")
    parser.add_argument("--reps", type=int, default=5, help="load repetitions per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per LineTable size")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        print(json.dumps(asyncio.run(child(kind, n, args.reps))))
        return
    sizes = [0, 1_000, 10_000] if args.quick else [0, 1_000, 10_000, 100_000, 1_000_000]
    runs: dict[tuple[str, int], list[dict]] = {}
    # LineTable sizes round-robin, so a busy spell on the machine hits every size alike
    plan = [("line", n) for _ in range(args.rounds) for n in sizes]
    plan += [("datatable", n) for n in sizes if n <= 100_000]
    for step, (kind, n) in enumerate(plan, 1):
        print(f"[{step}/{len(plan)}] {kind} {size_label(n)} …", file=sys.stderr, flush=True)
        runs.setdefault((kind, n), []).append(run_child(kind, n, args.reps))
    results = {key: merge(value) for key, value in runs.items()}
    report(results, args.quick)


if __name__ == "__main__":
    main()

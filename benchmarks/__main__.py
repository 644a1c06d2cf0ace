"""Run every benchmark: `python -m benchmarks [--quick]`.

Each figure runs in its own process (memory and imports of one never colour another), its
output streamed as it comes; at the end, the summary lines of every figure, once more, in
order. Exit status: non-zero only if a benchmark failed to run; a missed target is a
result, reported as MISSED, not an error.

    figure 1      start-up            benchmarks.bench_startup   (needs tmux)
    figures 2, 3  tables: load, type  benchmarks.bench_tables
    figure 4      sync                benchmarks.bench_sync
    figure 5      live                benchmarks.bench_live
    figure 6      API economy         benchmarks.bench_economy

--quick: small sizes and 1-2 repetitions (for CI).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    ("1", "start-up", "benchmarks.bench_startup"),
    ("2-3", "tables", "benchmarks.bench_tables"),
    ("4", "sync", "benchmarks.bench_sync"),
    ("5", "live", "benchmarks.bench_live"),
    ("6", "economy", "benchmarks.bench_economy"),
]


def is_summary(line: str) -> bool:
    return "[target" in line or "(no target)" in line or "SKIPPED" in line


def arguments(module: str, quick: bool, env: dict[str, str]) -> list[str]:
    args = ["--quick"] if quick else []
    if quick and module == "benchmarks.bench_tables":
        # Its --quick still times 7 repetitions; CI wants 1-2 (if this version knows --reps).
        usage = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, env=env,
                               capture_output=True, text=True).stdout
        if "--reps" in usage:
            args += ["--reps", "2"]
    return args


def run_figure(module: str, args: list[str], env: dict[str, str]) -> tuple[int, list[str], float]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True, bufsize=1)
    summary = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if is_summary(line):
            summary.append(line.rstrip("\n"))
    return process.wait(), summary, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 1-2 repetitions (CI)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated: startup,tables,sync,live,economy")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p))
    print(f"python -m benchmarks{' --quick' if args.quick else ''}: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    failed = []
    summaries: list[tuple[str, str, list[str], float]] = []
    for number, name, module in FIGURES:
        if only is not None and name not in only:
            continue
        print(f"\n== figure {number}: {name} ({module}) ==", flush=True)
        if module == "benchmarks.bench_startup" and shutil.which("tmux") is None:
            line = "startup --demo: SKIPPED (tmux is not installed; it measures in a real terminal)"
            print(line)
            summaries.append((number, name, [line], 0.0))
            continue
        code, summary, seconds = run_figure(module, arguments(module, args.quick, env), env)
        if code:
            failed.append(module)
            summary.append(f"{name}: FAILED (exit {code})")
        summaries.append((number, name, summary, seconds))
    print("\n== summary ==")
    for number, name, summary, seconds in summaries:
        print(f"-- figure {number}: {name} ({seconds:.0f} s)")
        for line in summary:
            print(line)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

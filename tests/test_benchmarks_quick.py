"""`python -m benchmarks --quick` runs every benchmark to the end and reports every figure.

No timing is asserted here (CI machines differ): only that each benchmark ran and printed its
summary line(s). The figures themselves, and whether targets are met, are in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The beginning of at least one summary line per figure.
FIGURES = {
    "1 start-up": ("startup --demo",),
    "2 tables: load": ("load ",),
    "3 tables: typing": ("filter keystroke",),
    "4 sync": ("sync ",),
    "5 live": ("live new order",),
    "6 API economy": ("economy load", "economy idle"),
}


@pytest.mark.timeout(900)
def test_quick_benchmarks_run_and_report_every_figure():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert "== summary ==" in done.stdout
    summary = done.stdout.split("== summary ==", 1)[1].splitlines()
    for figure, starts in FIGURES.items():
        for start in starts:
            assert any(line.startswith(start) for line in summary), f"no summary line for figure {figure} ({start!r})"
    assert not [line for line in summary if "FAILED" in line]

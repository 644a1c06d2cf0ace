"""Benchmarks: run as modules, e.g. `python -m benchmarks.bench_tables --quick`."""

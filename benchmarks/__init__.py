"""Benchmark scripts (run as files: `python benchmarks/read_bench.py`); a package so that they share `machine`."""

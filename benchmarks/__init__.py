"""Benchmark commands and their helpers.

Installed as a Django app only when ENCORE_BENCHMARKS=1 (as `make bench` sets it),
so the product never loads them; no product module imports from here.
"""

"""Benchmarks run by `make bench`; see docs/benchmarks.md for the method and the figures."""

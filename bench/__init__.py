"""Benchmark tooling: a seeded generator of realistic Group NDJSON and the benchmark runner."""

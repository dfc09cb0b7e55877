"""Benchmarks: each module measures one thing and reports figures."""

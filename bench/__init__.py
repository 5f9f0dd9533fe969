"""Benchmarks. Each reports ratios against a ceiling or a baseline measured in the same run."""

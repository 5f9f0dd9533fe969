"""Simulators of Avito's partner API and amoCRM API v4, traffic and invariant checks.

Product code never imports this package; only the demo, tests and benchmarks wire it in.
"""

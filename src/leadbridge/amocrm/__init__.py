"""Adapter for amoCRM API v4 (also Kommo: only the host differs)."""

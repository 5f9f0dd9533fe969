"""Adapter for Avito's partner API (our written contract: docs/avito-partner-api.md)."""

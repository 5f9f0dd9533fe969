"""Passwords, roles and encryption of secrets at rest: no I/O here."""

"""The one error of settings, in a module of its own so that every settings module can raise it."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """Settings that cannot work together; the message names the setting to fix."""

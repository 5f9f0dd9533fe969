"""The simulators are served the same way as the bridge's own web app."""

from leadbridge.web.server import serve

__all__ = ["serve"]

"""The one-line reason for an HTTP channel's request that got no answer at all."""

from __future__ import annotations

import httpx

from leadbridge.channels import ChannelError
from leadbridge.channels.redaction import one_line


def unreachable(label: str, host: str, error: httpx.HTTPError, timeout_s: float) -> ChannelError:
    """Name the host, never the URL: its path may hold the bot token or a webhook's token."""
    if isinstance(error, httpx.TimeoutException):
        return ChannelError(f"{label}: {host} did not answer within {timeout_s:g} s")
    detail = one_line(str(error)) or type(error).__name__
    return ChannelError(f"{label}: cannot reach {host} ({detail})")

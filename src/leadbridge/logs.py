"""JSON logs through structlog, with personal data and secrets masked on the way out.

Masking is a processor at the end of the chain, so a careless `log.info(phone=...)` anywhere
still never writes a phone number or a token.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = re.compile(r"phone|name|token|secret|password|authorization|code", re.I)
SAFE_KEYS = frozenset({"event", "level", "timestamp", "logger", "stage", "source"})
PHONE = re.compile(r"(?<!\d)(?:\+?7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
MASK = "***"


def mask_sensitive(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key not in SAFE_KEYS and SENSITIVE_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = PHONE.sub(MASK, value)
    return event


def configure(level: str = "INFO", *, json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_sensitive,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_current_stderr,
        cache_logger_on_first_use=False,
    )


@contextlib.contextmanager
def correlated(**ids: Any) -> Iterator[str]:
    """Bind a fresh correlation id (and any lead ids given) to every log line written inside;
    contextvars keep concurrent flows and requests apart."""
    correlation_id = uuid.uuid4().hex
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id, **ids):
        yield correlation_id


def _current_stderr(*_names: Any) -> structlog.PrintLogger:
    """Whatever `sys.stderr` is when a logger is made, not when logging was configured: a stream
    swapped out since (a test's capture, a daemon's redirect) may be closed by now."""
    return structlog.PrintLogger(sys.stderr)

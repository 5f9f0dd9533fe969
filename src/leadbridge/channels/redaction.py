"""Keep a channel's secrets out of log lines and error text.

The Telegram bot token is part of every Bot API URL, and a webhook URL may carry a token of its
own. httpx logs each request's URL at INFO ("HTTP Request: POST https://…"): harmless while
nobody routes the stdlib `httpx` logger anywhere, a leak the day someone runs with
`logging.basicConfig(level=INFO)`. A filter on that logger masks every registered secret before
any handler sees the record, whoever configured the handlers.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_secrets: set[str] = set()
_WHITESPACE = re.compile(r"\s+")
# A reply from a far server (an SMTP 550 naming the mailbox) may quote an address: personal data.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            text = record.getMessage()
            masked = mask(text)
            if masked != text:
                record.msg, record.args = masked, None
        return True


_FILTER = _MaskSecrets()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_FILTER)


def hide_in_http_logs(secret: str) -> None:
    """From now on `secret` shows as *** in every httpx log line (and in `mask`)."""
    if len(secret) >= 4:  # a shorter "secret" would mask ordinary text everywhere
        _secrets.add(secret)


def mask(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):  # a longer one may contain another
        text = text.replace(secret, MASK)
    return text


def one_line(text: str, *, limit: int = 300) -> str:
    """A far side's reply fit for `ChannelError`: one line, secrets and addresses masked."""
    flat = _EMAIL.sub("<address>", mask(_WHITESPACE.sub(" ", text).strip()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

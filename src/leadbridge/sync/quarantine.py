"""Quarantine: an event that can never be processed is set aside with its reason.

It is stored raw, marked processed so that it neither blocks the events behind it nor counts in
the backlog, counted in `leadbridge_events_quarantined_total`, and listed on the dashboard's
«Карантин» page for a person to look at.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import structlog
from sqlalchemy.exc import InterfaceError, OperationalError

from leadbridge.amocrm.client import AmoApiError, AmoBlocked
from leadbridge.amocrm.tokens import AmoAuthError
from leadbridge.domain.retry import is_transient
from leadbridge.metrics import QUARANTINED
from leadbridge.store import inbox
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)
KEY_PREFIX = "quarantine:"


def readable(raw: bytes) -> str:
    """The body as text a database accepts: undecodable bytes and NUL (refused by PostgreSQL's
    text) become U+FFFD, so that even garbage can be kept for a person to see."""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def quarantine_raw(
    db: Database, *, source: str, channel: str, raw: bytes, reason: str
) -> bool:
    """Store a raw event refused before it could be interpreted; False when the same body was
    quarantined before (a redelivery). Keyed by the body's hash, never by the lead id it claims:
    a corrected delivery of the same lead must not be taken for a duplicate of this one."""
    async with db.transaction() as session:
        stored = await inbox.add_if_new(
            session,
            source=source,
            event_key=KEY_PREFIX + hashlib.sha256(raw).hexdigest(),
            channel=channel,
            body=readable(raw),
            quarantine_reason=reason,
            now=datetime.now(UTC),
        )
    if stored is not None:
        counted(source, reason, stored)
    return stored is not None


def counted(source: str, reason: str, event_id: int) -> None:
    QUARANTINED.labels(source=source).inc()
    log.warning("inbox.quarantined", source=source, event_id=event_id, reason=reason)


def is_passing(error: BaseException) -> bool:
    """A failure that is nobody's event's fault and will pass: a partner or the database down,
    refusing for now or for the whole account. It stops a flow's step (to be retried), and never
    counts against the event that met it."""
    if isinstance(error, httpx.TransportError | TimeoutError | OperationalError | InterfaceError):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return is_transient(error.response.status_code)
    if isinstance(error, AmoBlocked | AmoAuthError):
        return True
    if isinstance(error, AmoApiError):
        # 0: gave up after retries; 401/403: the account's token or rights, not this event.
        return error.status in (0, 401, 403) or is_transient(error.status)
    return False

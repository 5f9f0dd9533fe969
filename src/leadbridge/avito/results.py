"""What Avito's answers mean for the relay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    ALREADY_APPLIED = "already_applied"  # sent before (the answer was lost): counts as sent
    FORBIDDEN = "forbidden"  # Avito's state machine refused the transition
    RETRYABLE = "retryable"  # timeout, 5xx, 429: try again later, same order
    PERMANENT = "permanent"  # the request itself is wrong: a person must look


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    lead_id: str
    status: str
    occurred_at: datetime
    idempotency_key: str
    price_kopecks: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    idempotency_key: str
    outcome: Outcome
    detail: str
    current_status: str | None = None
    # The request may have been applied though no verdict came back (timeout, reset, 5xx, a
    # body we cannot read): read Avito's status back before sending it again.
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class FeedPage:
    leads: list[tuple[int, dict[str, object]]]
    last_id: int | None
    # Rows of the page that are not an id and a lead object, with why: kept for quarantine.
    unreadable: list[tuple[object, str]] = field(default_factory=list)


ITEM_OUTCOMES = {
    "success": Outcome.OK,
    "already_applied": Outcome.ALREADY_APPLIED,
    "forbidden": Outcome.FORBIDDEN,
    "not_found": Outcome.PERMANENT,
    "invalid": Outcome.PERMANENT,
}

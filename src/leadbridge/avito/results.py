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
    # What in Avito's answer our mapping did not expect, as (kind, name): a contract drift
    # for a person to see (`sync/contract_drift.py`); the kinds are DriftKind's values.
    drift: tuple[str, str] | None = None


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


# How the relay's record of an answer begins when Avito refused the request's form rather than
# the lead's state: an unknown status, a missing field, a moved endpoint. Such a refusal is
# fixed in the mapping, after which `leadbridge avito quarantine replay` sends them again.
ENDPOINT_GONE = "endpoint gone"
CONTRACT_REFUSALS = ("invalid", "HTTP 400", "HTTP 422", ENDPOINT_GONE)

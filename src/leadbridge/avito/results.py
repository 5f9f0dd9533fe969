"""What Avito's answers mean for the relay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import httpx

from leadbridge.domain.contract_drift import DriftKind

# What in Avito's answer our mapping did not expect: the kind, the name a person fixes the
# mapping by (a field, the unknown value, the endpoint: never personal data) and the raw part
# of the answer it was seen in, masked when it is noted (`store/drift_notes.py`).
AnswerDrift = tuple[DriftKind, str, object]


class Outcome(StrEnum):
    OK = "ok"
    ALREADY_APPLIED = "already_applied"  # sent before (the answer was lost): counts as sent
    FORBIDDEN = "forbidden"  # Avito's state machine refused the transition
    # Refused because the seller cancelled the request on Avito: nothing will ever be applied to
    # it, so the status is given up (skipped), not parked for a person.
    WITHDRAWN = "withdrawn"
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
    drifts: tuple[AnswerDrift, ...] = ()
    # The row of Avito's answer this verdict was read from, as it came: the sample a drift the
    # caller finds in it shows (a `currentStatus` that is none of ours).
    answer: object = None


@dataclass(frozen=True, slots=True)
class StatusReading:
    """Avito's answer to a status read-back: the lead's status in our terms (None before its
    first), and the body it came in, the sample a drift the caller finds in it shows."""

    status: str | None
    answer: object


class UnreadableAnswer(ValueError):
    """An answer whose shape our mapping does not recognise: nothing in it can be trusted."""

    def __init__(self, message: str, drift: AnswerDrift) -> None:
        super().__init__(message)
        self.drifts = (drift,)


class ErrorAnswer(httpx.HTTPStatusError):
    """A non-2xx answer, with what its error body showed that we do not know (its code)."""

    def __init__(self, response: httpx.Response, drifts: tuple[AnswerDrift, ...]) -> None:
        message = f"HTTP {response.status_code} from {response.request.url.path}"
        super().__init__(message, request=response.request, response=response)
        self.drifts = drifts


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
# The codes of an error body that the contract documents (docs/avito-partner-api.md §9): the
# HTTP status, repeated. Any 5xx is Avito's trouble and known as such; another code is drift.
KNOWN_ERROR_CODES = frozenset({400, 401, 403, 404, 410, 429})


# How the relay's record of an answer begins when Avito refused the request's form rather than
# the lead's state: an unknown status, a missing field, a moved endpoint. Such a refusal is
# fixed in the mapping, after which `leadbridge avito quarantine replay` sends them again.
ENDPOINT_GONE = "endpoint gone"
CONTRACT_REFUSALS = ("invalid", "HTTP 400", "HTTP 422", ENDPOINT_GONE)

"""What an answer to a status apply means for each status sent: Avito's verdicts classified, a
moved endpoint or a lost answer told apart from a refusal, never a crash on an unexpected body."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from leadbridge.avito.results import (
    ENDPOINT_GONE,
    ITEM_OUTCOMES,
    ApplyResult,
    Outcome,
    StatusUpdate,
)
from leadbridge.domain.retry import is_transient


def classify_answer(updates: Sequence[StatusUpdate], response: httpx.Response) -> list[ApplyResult]:
    if response.status_code == 429:
        return same_for_all(updates, Outcome.RETRYABLE, "429 too many requests")
    if response.status_code >= 500:  # a gateway may answer 5xx for a request that was done
        detail = f"HTTP {response.status_code}"
        return same_for_all(updates, Outcome.RETRYABLE, detail, ambiguous=True)
    if response.status_code in (404, 410):
        # The path is gone (Avito moved the method to a new version): no status is at fault, so
        # they wait, retried, until the mapping's [endpoints] follows the move.
        detail = f"{ENDPOINT_GONE}: HTTP {response.status_code}: {response.text[:200]}"
        gone = ("endpoint_gone", f"POST {response.request.url.path}")
        return same_for_all(updates, Outcome.RETRYABLE, detail, drift=gone)
    if response.status_code != 200:
        return same_for_all(
            updates, Outcome.PERMANENT, f"HTTP {response.status_code}: {response.text[:200]}"
        )
    return _verdicts(updates, response)


def token_outcome(error: httpx.HTTPStatusError) -> Outcome:
    status = error.response.status_code
    return Outcome.RETRYABLE if is_transient(status) else Outcome.PERMANENT


def same_for_all(
    updates: Sequence[StatusUpdate],
    outcome: Outcome,
    detail: str,
    *,
    ambiguous: bool = False,
    drift: tuple[str, str] | None = None,
) -> list[ApplyResult]:
    return [
        ApplyResult(update.idempotency_key, outcome, detail, ambiguous=ambiguous, drift=drift)
        for update in updates
    ]


def _verdicts(updates: Sequence[StatusUpdate], response: httpx.Response) -> list[ApplyResult]:
    try:
        rows = response.json().get("result") or []
    except ValueError:
        return same_for_all(updates, Outcome.RETRYABLE, "unreadable answer", ambiguous=True)
    by_key = {str(row.get("idempotencyKey")): row for row in rows if isinstance(row, dict)}
    results = []
    for update in updates:
        row = by_key.get(update.idempotency_key)
        if row is None:
            missing = ApplyResult(
                update.idempotency_key, Outcome.RETRYABLE, "missing in answer", ambiguous=True
            )
            results.append(missing)
            continue
        verdict = str(row.get("result"))
        # An answer we do not know yet is a person's to read, not a reason to resend blindly.
        outcome = ITEM_OUTCOMES.get(verdict, Outcome.PERMANENT)
        detail = verdict if not row.get("message") else f"{verdict}: {row['message']}"
        current = row.get("currentStatus")
        drift = None if verdict in ITEM_OUTCOMES else ("unknown_answer", f"result {verdict}")
        results.append(
            ApplyResult(
                update.idempotency_key,
                outcome,
                detail,
                str(current) if current else None,
                drift=drift,
            )
        )
    return results

"""What an answer to a status apply means for each status sent: Avito's verdicts classified, a
moved endpoint or a lost answer told apart from a refusal, never a crash on an unexpected body.

Rows are read where the mapping's `[answers]` says. What our mapping does not expect travels
with the results as drift for the relay to note: an answer or a row of unknown shape (its
statuses wait, retried and read back first, since they may have been applied), a verdict or an
error code the contract does not document (classified as before: an unknown verdict is a
person's to read, an error answer goes by its HTTP status).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from leadbridge.avito.answer_bodies import (
    error_code_drifts,
    read_json,
    read_object,
    unreadable,
)
from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.avito.results import (
    ENDPOINT_GONE,
    ITEM_OUTCOMES,
    AnswerDrift,
    ApplyResult,
    Outcome,
    StatusUpdate,
    UnreadableAnswer,
)
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.retry import is_transient


def classify_answer(
    updates: Sequence[StatusUpdate], response: httpx.Response, shape: AnswerShape
) -> list[ApplyResult]:
    if response.status_code == 200:
        return _verdicts(updates, response, shape)
    drifts = error_code_drifts(response, shape)
    if response.status_code == 429:
        return same_for_all(updates, Outcome.RETRYABLE, "429 too many requests", drifts=drifts)
    if response.status_code >= 500:  # a gateway may answer 5xx for a request that was done
        detail = f"HTTP {response.status_code}"
        return same_for_all(updates, Outcome.RETRYABLE, detail, ambiguous=True, drifts=drifts)
    if response.status_code in (404, 410):
        # The path is gone (Avito moved the method to a new version): no status is at fault, so
        # they wait, retried, until the mapping's [endpoints] follows the move.
        detail = f"{ENDPOINT_GONE}: HTTP {response.status_code}: {response.text[:200]}"
        gone = (DriftKind.ENDPOINT_GONE, _where(response), _sample(response))
        return same_for_all(updates, Outcome.RETRYABLE, detail, drifts=(gone, *drifts))
    detail = f"HTTP {response.status_code}: {response.text[:200]}"
    return same_for_all(updates, Outcome.PERMANENT, detail, drifts=drifts)


def token_outcome(error: httpx.HTTPStatusError) -> Outcome:
    status = error.response.status_code
    return Outcome.RETRYABLE if is_transient(status) else Outcome.PERMANENT


def same_for_all(
    updates: Sequence[StatusUpdate],
    outcome: Outcome,
    detail: str,
    *,
    ambiguous: bool = False,
    drifts: tuple[AnswerDrift, ...] = (),
) -> list[ApplyResult]:
    return [
        ApplyResult(update.idempotency_key, outcome, detail, ambiguous=ambiguous, drifts=drifts)
        for update in updates
    ]


def _verdicts(
    updates: Sequence[StatusUpdate], response: httpx.Response, shape: AnswerShape
) -> list[ApplyResult]:
    where = _where(response)
    try:
        by_key, drifts = _rows_by_key(response, shape, where)
    except UnreadableAnswer as error:
        detail = f"unreadable answer: {error}"
        return same_for_all(updates, Outcome.RETRYABLE, detail, ambiguous=True, drifts=error.drifts)
    results = []
    for update in updates:
        row = by_key.get(update.idempotency_key)
        if row is None:
            key, detail = update.idempotency_key, "missing in answer"
            missing = ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True, drifts=drifts)
            results.append(missing)
        else:
            results.append(_verdict(update, row, shape, where))
    return results


def _rows_by_key(
    response: httpx.Response, shape: AnswerShape, where: str
) -> tuple[dict[str, Mapping[str, Any]], tuple[AnswerDrift, ...]]:
    """The answer's rows by the key they answer; a row that names none is drift, and the
    items it may have answered count as missing from the answer."""
    body = read_object(response, where)
    rows = body.get(shape.rows)
    if not isinstance(rows, list):
        raise unreadable(where, shape.rows, body, "not a list of rows")
    by_key: dict[str, Mapping[str, Any]] = {}
    drifts: list[AnswerDrift] = []
    for row in rows:
        key = row.get(shape.row_key) if isinstance(row, Mapping) else None
        if isinstance(key, str):
            by_key[key] = row
        else:
            name = f"{where}: {shape.rows}[].{shape.row_key}"
            drifts.append((DriftKind.UNKNOWN_ANSWER, name, row))
    return by_key, tuple(drifts[:1])  # one sample says it; a hundred say no more


def _verdict(
    update: StatusUpdate, row: Mapping[str, Any], shape: AnswerShape, where: str
) -> ApplyResult:
    key = update.idempotency_key
    verdict = row.get(shape.row_result)
    if not isinstance(verdict, str) or not verdict:
        # Without a verdict the item may or may not be applied: wait, and read it back first.
        drift = unreadable(where, f"{shape.rows}[].{shape.row_result}", row, "no verdict")
        detail = f"unreadable answer: {drift}"
        return ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True, drifts=drift.drifts)
    drifts: list[AnswerDrift] = []
    if verdict not in ITEM_OUTCOMES:
        # A verdict we do not know yet is a person's to read, not a reason to resend blindly.
        drifts.append((DriftKind.UNKNOWN_ERROR_CODE, verdict, row))
    current = row.get(shape.row_status)
    if current is not None and (not isinstance(current, str) or not current):
        status_field = f"{shape.rows}[].{shape.row_status}"
        drifts.extend(unreadable(where, status_field, row, "not a status name").drifts)
        current = None
    message = row.get(shape.row_message)
    detail = f"{verdict}: {message}" if message else verdict
    outcome = ITEM_OUTCOMES.get(verdict, Outcome.PERMANENT)
    if outcome not in (Outcome.OK, Outcome.ALREADY_APPLIED) and _withdrawn(row, shape):
        outcome = Outcome.WITHDRAWN
    return ApplyResult(key, outcome, detail, current, drifts=tuple(drifts), answer=row)


def _withdrawn(row: Mapping[str, Any], shape: AnswerShape) -> bool:
    """A refusal whose code says the seller withdrew the request (whatever the verdict: a
    state machine's `forbidden` today, maybe a verdict of its own tomorrow)."""
    return row.get(shape.row_error_code) == shape.withdrawn_code


def _where(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _sample(response: httpx.Response) -> object:
    try:
        return read_json(response, _where(response))
    except UnreadableAnswer as error:
        return error.drifts[0][2]

"""Batch status apply: each item checked and applied on its own, in array order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadbridge.sandbox.avito.clock import parse_rfc3339, rfc3339, utc_now
from leadbridge.sandbox.avito.seller_changes import WITHDRAWN_CODE, WITHDRAWN_MESSAGE
from leadbridge.sandbox.avito.state import (
    ForbiddenAttempt,
    HistoryEntry,
    InvalidCause,
    LeadBook,
    LeadRecord,
    is_integer_id,
)
from leadbridge.sandbox.avito.transitions import StatusDictionary


@dataclass(frozen=True)
class StatusItem:
    lead_id: str
    status: str
    occurred_at: str
    idempotency_key: str
    price: int | None
    reason: str | None
    comment: str | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class ApplyRules:
    """What an apply call checks against, and what happens after each success."""

    statuses: StatusDictionary
    optional_fields: frozenset[str] = frozenset()  # accepted on top of the documented ones
    after_success: Callable[[LeadRecord], None] | None = field(default=None, compare=False)
    aliases: Mapping[str, str] = field(default_factory=dict)  # recorded status → its name now
    retired_statuses: frozenset[str] = frozenset()  # renamed away: unknown, and counted apart
    # Status → the reason codes it accepts; None while reason codes are not required.
    reason_codes: Mapping[str, Sequence[str]] | None = None
    integer_lead_ids: bool = False  # `leadId` may be a JSON integer as well as a string


class InvalidItemError(ValueError):
    """The item is malformed or lacks what its status requires."""

    def __init__(self, message: str, cause: InvalidCause | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidItemError(f"{key} must be a non-empty string")
    return value


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidItemError(f"{key} must be a non-empty string when given")
    return value


def _price(raw: Mapping[str, Any]) -> int | None:
    price = raw.get("price")
    if price is None:
        return None
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise InvalidItemError("price must be a positive integer number of kopecks")
    return price


def _lead_id(raw: Mapping[str, Any], integers_allowed: bool) -> str:
    """The lead id as text, which is how leads are looked up whatever type the payload uses."""
    value = raw.get("leadId")
    if not integers_allowed:
        return _text(raw, "leadId")
    if is_integer_id(value):
        return str(value)
    if not isinstance(value, str) or not value:
        raise InvalidItemError("leadId must be a non-empty string or an integer")
    return value


def _reason_code(raw: Mapping[str, Any], optional_fields: frozenset[str]) -> str | None:
    if "reasonCode" not in optional_fields:
        return None
    try:
        return _optional_text(raw, "reasonCode")
    except InvalidItemError as error:
        raise InvalidItemError(str(error), "reason_code") from error


def parse_item(
    raw: Mapping[str, Any],
    optional_fields: frozenset[str] = frozenset(),
    *,
    integer_lead_ids: bool = False,
) -> StatusItem:
    """The item, or InvalidItemError. Fields outside the contract and `optional_fields` are
    ignored, as a server that has not learned them yet would."""
    occurred_at = _text(raw, "occurredAt")
    if parse_rfc3339(occurred_at) is None:
        raise InvalidItemError("occurredAt must be an RFC 3339 date-time with an offset")
    return StatusItem(
        lead_id=_lead_id(raw, integer_lead_ids),
        status=_text(raw, "status"),
        occurred_at=occurred_at,
        idempotency_key=_text(raw, "idempotencyKey"),
        price=_price(raw),
        reason=_optional_text(raw, "reason"),
        comment=_optional_text(raw, "comment") if "comment" in optional_fields else None,
        reason_code=_reason_code(raw, optional_fields),
    )


def _check_requirements(item: StatusItem, rules: ApplyRules) -> None:
    statuses = rules.statuses
    if not statuses.is_known(item.status):
        cause: InvalidCause | None = (
            "renamed_status" if item.status in rules.retired_statuses else None
        )
        raise InvalidItemError(f"unknown status {item.status!r}", cause)
    if item.status in statuses.requires_price and item.price is None:
        raise InvalidItemError(f"status {item.status!r} requires price")
    if item.status in statuses.requires_reason:
        _check_reason(item, rules.reason_codes)


def _check_reason(item: StatusItem, reason_codes: Mapping[str, Sequence[str]] | None) -> None:
    """Free-text `reason` is required until reason codes are; then a valid `reasonCode` is,
    and `reason` becomes optional."""
    if reason_codes is None:
        if item.reason is None:
            raise InvalidItemError(f"status {item.status!r} requires reason")
        return
    valid = reason_codes.get(item.status, ())
    codes = ", ".join(valid) or "none"
    if item.reason_code is None:
        message = f"status {item.status!r} requires reasonCode; valid: {codes}"
        raise InvalidItemError(message, "reason_code")
    if item.reason_code not in valid:
        message = (
            f"reasonCode {item.reason_code!r} is not valid for status {item.status!r}; "
            f"valid: {codes}"
        )
        raise InvalidItemError(message, "reason_code")


def _answer(
    raw: Mapping[str, Any],
    result: str,
    current: str | None,
    message: str | None = None,
    record: LeadRecord | None = None,
) -> dict[str, Any]:
    # The lead's id as Avito writes it once the lead is known (an integer id stays an
    # integer, even when the item sent its decimal string); the item's own otherwise.
    answer: dict[str, Any] = {
        "leadId": record.wire_id if record is not None else raw.get("leadId"),
        "idempotencyKey": raw.get("idempotencyKey"),
        "result": result,
        "currentStatus": current,
    }
    if message is not None:
        answer["message"] = message
    return answer


def _invalid(
    book: LeadBook,
    raw: Mapping[str, Any],
    error: InvalidItemError,
    record: LeadRecord | None = None,
    current: str | None = None,
) -> dict[str, Any]:
    book.count_invalid(error.cause)
    return _answer(raw, "invalid", current, str(error), record)


def _apply_one(book: LeadBook, rules: ApplyRules, raw: Mapping[str, Any]) -> dict[str, Any]:
    try:
        item = parse_item(raw, rules.optional_fields, integer_lead_ids=rules.integer_lead_ids)
    except InvalidItemError as error:
        return _invalid(book, raw, error)
    record = book.get(item.lead_id)
    current = record.status_as(rules.aliases) if record is not None else None
    if item.idempotency_key in book.applied_keys:
        book.already_applied_total += 1
        return _answer(raw, "already_applied", current, record=record)
    if record is None:
        return _answer(raw, "not_found", None, f"lead {item.lead_id!r} not found")
    try:
        _check_requirements(item, rules)
    except InvalidItemError as error:
        return _invalid(book, raw, error, record, current)
    if record.withdrawn or not rules.statuses.allows(current, item.status):
        return _forbid(book, rules.statuses, record, item, raw, current=current)
    _record(book, rules, record, item)
    if rules.after_success is not None:
        rules.after_success(record)
    return _answer(raw, "success", record.status_as(rules.aliases), record=record)


def _forbid(
    book: LeadBook,
    statuses: StatusDictionary,
    record: LeadRecord,
    item: StatusItem,
    raw: Mapping[str, Any],
    *,
    current: str | None,
) -> dict[str, Any]:
    book.forbidden_total += 1
    record.forbidden.append(ForbiddenAttempt(item.status, current, rfc3339(utc_now())))
    if record.withdrawn:
        # The seller cancelled on Avito: the state machine refuses everything, and says why.
        book.withdrawn_refused_total += 1
        answer = _answer(raw, "forbidden", current, WITHDRAWN_MESSAGE, record)
        return {**answer, "errorCode": WITHDRAWN_CODE}
    allowed = ", ".join(statuses.allowed_after(current)) or "none"
    message = f"transition {current} -> {item.status} is forbidden; allowed: {allowed}"
    return _answer(raw, "forbidden", current, message, record)


def _record(book: LeadBook, rules: ApplyRules, record: LeadRecord, item: StatusItem) -> None:
    # A reason code is kept only where it was checked: on the statuses that take one.
    takes_code = rules.reason_codes is not None and item.status in rules.reason_codes
    entry = HistoryEntry(
        status=item.status,
        occurred_at=item.occurred_at,
        applied_at=rfc3339(utc_now()),
        idempotency_key=item.idempotency_key,
        price=item.price,
        reason=item.reason,
        comment=item.comment,
        reason_code=item.reason_code if takes_code else None,
    )
    record.history.append(entry)
    book.applied_keys[item.idempotency_key] = record.lead_id


def apply_items(
    book: LeadBook, rules: ApplyRules, items: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    return [_apply_one(book, rules, raw) for raw in items]

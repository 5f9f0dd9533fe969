"""How a value found in Avito's payload is read as the mapping's `transform` says: each reader
returns the value in our terms, or None when it cannot be read (a required field is then refused,
another left empty). Limits are not checked here but by the payload parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers

TOO_BIG = 10**33  # what an amount in rubles beyond 10^30 becomes: refused, whatever it was


def normalize_phone(value: Any) -> str | None:
    """E.164 (+79161234567) or None; Russian numbers written as 8XXXXXXXXXX are understood."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _as_id(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _as_text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON number too big
        return None


def _rubles_to_kopecks(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        rubles = Decimal(value) if isinstance(value, int) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not rubles.is_finite():
        return None
    if rubles.adjusted() > 30:  # far beyond any limit; not worth a number of a million digits
        return TOO_BIG if rubles > 0 else -TOO_BIG
    return int((rubles * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _as_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list | tuple):
        return None
    return tuple(str(item) for item in value if item)


def _as_groups(value: Any) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(value, Mapping):
        return None
    return {
        str(group): tuple(str(item) for item in items)
        for group, items in value.items()
        if isinstance(items, list) and items
    }


READERS: dict[str, Callable[[Any], Any]] = {
    "str": _as_text,
    "id": _as_id,
    "phone": normalize_phone,
    "int": _as_int,
    "rubles_to_kopecks": _rubles_to_kopecks,
    "datetime": _as_datetime,
    "list": _as_list,
    "groups": _as_groups,
}

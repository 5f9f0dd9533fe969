"""Avito's lead payload → the domain's BuyoutRequest.

Tolerant by design: Avito adds fields and enum values without notice. Unknown fields are kept
(`unknown_fields`, and the raw payload is stored whole), unknown enum values pass through as
text, and only a missing id, device model or buyout price rejects the payload — or a value
that cannot be true and that storing would choke on: a price beyond `MAX_PRICE_KOPECKS`, an
integer id beyond 64 bits, a text longer than its column.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller

KNOWN_DEVICE = frozenset(
    {
        "category",
        "vendor",
        "model",
        "memory",
        "color",
        "ram",
        "batteryHealth",
        "imei",
        "kit",
        "condition",
        "deviceHistory",
        "screenCondition",
        "caseCondition",
        "defects",
    }
)
KNOWN_TOP_LEVEL = frozenset(
    {
        "id",
        "itemId",
        "itemUrl",
        "offerType",
        "createdAt",
        "device",
        "seller",
        "location",
        "buyoutPrice",
        "sellerPrice",
    }
)


# 10 million rubles: no used phone or tablet is bought out for more (a new top iPad Pro is a
# fraction of it), so a larger price is a broken payload, not a deal. Far inside a signed 64-bit
# integer, which the kopecks are stored in.
MAX_PRICE_KOPECKS = 10_000_000 * 100
MAX_ID = 2**63 - 1  # ids are stored and sent as signed 64-bit integers
# The lengths of the columns these fields are stored in (PostgreSQL refuses anything longer).
MAX_TEXT = {"id": 64, "offerType": 32, "device.model": 128, "seller.name": 256, "city": 128}


class PayloadError(ValueError):
    """The payload lacks what a deal cannot be made without, or holds a value that cannot be."""


def parse_lead(raw: Mapping[str, Any]) -> BuyoutRequest:
    if not isinstance(raw, Mapping):
        raise PayloadError("lead payload must be a JSON object")
    lead_id = raw.get("id")
    if isinstance(lead_id, bool) or not isinstance(lead_id, str | int) or str(lead_id) == "":
        raise PayloadError("lead payload has no id")
    device = _mapping(raw.get("device"), "device")
    seller = _mapping(raw.get("seller") or {}, "seller")
    location = _mapping(raw.get("location") or {}, "location")
    city = _text(location.get("city"))
    if city is not None:
        _fits("city", city)
    return BuyoutRequest(
        avito_lead_id=_fits("id", str(lead_id)),
        offer_type=_fits("offerType", str(raw.get("offerType") or "buyout")),
        created_at=_timestamp(raw.get("createdAt")),
        device=_device(device),
        seller=Seller(
            name=_fits("seller.name", str(seller.get("name") or "")),
            phone=normalize_phone(seller.get("phone")),
            avito_user_id=_bounded(seller.get("userId"), "seller.userId", MAX_ID),
        ),
        city=city,
        item_id=_bounded(raw.get("itemId"), "itemId", MAX_ID),
        item_url=_text(raw.get("itemUrl")),
        buyout_price_kopecks=_kopecks(raw.get("buyoutPrice"), "buyoutPrice"),
        seller_price_kopecks=_bounded(raw.get("sellerPrice"), "sellerPrice", MAX_PRICE_KOPECKS),
        unknown_fields=_unknown_fields(raw, device),
    )


def _unknown_fields(raw: Mapping[str, Any], device: Mapping[str, Any]) -> dict[str, Any]:
    """Fields we do not read yet; unknown device fields are kept under "device"."""
    unknown = {key: value for key, value in raw.items() if key not in KNOWN_TOP_LEVEL}
    device_extras = {key: value for key, value in device.items() if key not in KNOWN_DEVICE}
    if device_extras:
        unknown["device"] = device_extras
    return unknown


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


def _device(raw: Mapping[str, Any]) -> DeviceCard:
    model = _text(raw.get("model"))
    if not model:
        raise PayloadError("lead payload has no device model")
    _fits("device.model", model)
    raw_defects = raw.get("defects")
    defects: Mapping[str, Any] = raw_defects if isinstance(raw_defects, Mapping) else {}
    return DeviceCard(
        category=str(raw.get("category") or "phone"),
        vendor=str(raw.get("vendor") or "Apple"),
        model=model,
        memory=_text(raw.get("memory")),
        color=_text(raw.get("color")),
        ram=_text(raw.get("ram")),
        battery_health=_bounded(raw.get("batteryHealth"), "device.batteryHealth", MAX_ID),
        imei=_text(raw.get("imei")),
        kit=tuple(str(item) for item in raw.get("kit") or () if item),
        condition=_text(raw.get("condition")),
        device_history=_text(raw.get("deviceHistory")),
        screen_condition=_text(raw.get("screenCondition")),
        case_condition=_text(raw.get("caseCondition")),
        defects={
            str(group): tuple(str(item) for item in items)
            for group, items in defects.items()
            if isinstance(items, list) and items
        },
    )


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"lead payload field {name!r} must be an object")
    return value


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON number too big
        return None


def _bounded(value: Any, name: str, high: int) -> int | None:
    """An optional whole number: None when absent or not a number (tolerated, as an unknown
    value is), a PayloadError when it is a number outside 0..`high`."""
    number = _int_or_none(value)
    if number is not None and not 0 <= number <= high:
        raise PayloadError(f"lead payload field {name!r} is {_shown(value)}: allowed 0…{high}")
    return number


def _kopecks(value: Any, name: str) -> int:
    amount = _int_or_none(value)
    if amount is None or not 0 <= amount <= MAX_PRICE_KOPECKS:
        raise PayloadError(
            f"lead payload field {name!r} is {_shown(value)}: must be a whole number of kopecks "
            f"from 0 to {MAX_PRICE_KOPECKS} (10 million rubles)"
        )
    return amount


def _fits(name: str, value: str) -> str:
    """A text no longer than the column it is stored in."""
    if len(value) > MAX_TEXT[name]:
        raise PayloadError(
            f"lead payload field {name!r} is {len(value)} characters long: at most "
            f"{MAX_TEXT[name]} are allowed"
        )
    return value


def _shown(value: Any) -> str:
    """The offending value for a message, cut short: it may be a number of a thousand digits."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = str(value) if isinstance(value, int) else repr(value)
    return text if len(text) <= 40 else f"{text[:37]}… ({len(text)} characters)"


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return datetime.now(UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)

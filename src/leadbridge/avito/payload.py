"""Avito's lead payload → the domain's BuyoutRequest.

Tolerant by design: Avito adds fields and enum values without notice. Unknown fields are kept
(`unknown_fields`, and the raw payload is stored whole), unknown enum values pass through as
text, and only a missing id, device model or buyout price rejects the payload.
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


class PayloadError(ValueError):
    """The payload lacks what a deal cannot be made without."""


def parse_lead(raw: Mapping[str, Any]) -> BuyoutRequest:
    if not isinstance(raw, Mapping):
        raise PayloadError("lead payload must be a JSON object")
    lead_id = raw.get("id")
    if not isinstance(lead_id, str | int) or str(lead_id) == "":
        raise PayloadError("lead payload has no id")
    device = _mapping(raw.get("device"), "device")
    seller = _mapping(raw.get("seller") or {}, "seller")
    location = _mapping(raw.get("location") or {}, "location")
    return BuyoutRequest(
        avito_lead_id=str(lead_id),
        offer_type=str(raw.get("offerType") or "buyout"),
        created_at=_timestamp(raw.get("createdAt")),
        device=_device(device),
        seller=Seller(
            name=str(seller.get("name") or ""),
            phone=normalize_phone(seller.get("phone")),
            avito_user_id=_int_or_none(seller.get("userId")),
        ),
        city=_text(location.get("city")),
        item_id=_int_or_none(raw.get("itemId")),
        item_url=_text(raw.get("itemUrl")),
        buyout_price_kopecks=_kopecks(raw.get("buyoutPrice"), "buyoutPrice"),
        seller_price_kopecks=_int_or_none(raw.get("sellerPrice")),
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
    raw_defects = raw.get("defects")
    defects: Mapping[str, Any] = raw_defects if isinstance(raw_defects, Mapping) else {}
    return DeviceCard(
        category=str(raw.get("category") or "phone"),
        vendor=str(raw.get("vendor") or "Apple"),
        model=model,
        memory=_text(raw.get("memory")),
        color=_text(raw.get("color")),
        ram=_text(raw.get("ram")),
        battery_health=_int_or_none(raw.get("batteryHealth")),
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
    except (TypeError, ValueError):
        return None


def _kopecks(value: Any, name: str) -> int:
    amount = _int_or_none(value)
    if amount is None or amount < 0:
        raise PayloadError(f"lead payload field {name!r} must be a non-negative integer (kopecks)")
    return amount


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return datetime.now(UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)

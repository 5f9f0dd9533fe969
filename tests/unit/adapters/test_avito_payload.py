from __future__ import annotations

from typing import Any

import pytest

from leadbridge.avito.payload import PayloadError, parse_lead
from leadbridge.avito.readers import normalize_phone


def _payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "b-000001",
        "itemId": 42,
        "itemUrl": "https://www.avito.ru/moskva/telefony/iphone_42",
        "offerType": "trade_in",
        "createdAt": "2026-11-23T10:00:00Z",
        "device": {
            "category": "phone",
            "vendor": "Apple",
            "model": "iPhone 13 Pro",
            "memory": "256 ГБ",
            "color": "графитовый",
            "batteryHealth": 87,
            "imei": "356938035643809",
            "kit": ["Коробка"],
            "defects": {"camera": ["пятна на фото"], "battery": []},
        },
        "seller": {"userId": 7, "name": "Иван", "phone": "8 (916) 123-45-67"},
        "location": {"city": "Казань"},
        "buyoutPrice": 4_500_000,
        "sellerPrice": 5_200_000,
    }
    payload.update(overrides)
    return payload


def test_full_payload_becomes_a_buyout_request() -> None:
    request = parse_lead(_payload())

    assert request.avito_lead_id == "b-000001"
    assert request.offer_type == "trade_in"
    assert request.device.model == "iPhone 13 Pro"
    assert request.device.battery_health == 87
    assert request.device.defect_list == ["пятна на фото"]
    assert request.seller.phone == "+79161234567"
    assert request.city == "Казань"
    assert request.buyout_price_kopecks == 4_500_000
    assert request.created_at.tzinfo is not None


def test_unknown_fields_and_enum_values_are_kept_not_fatal() -> None:
    request = parse_lead(
        _payload(promo={"code": "X"}, device={**_payload()["device"], "color": "космический"})
    )
    assert request.unknown_fields == {"promo": {"code": "X"}}
    assert request.device.color == "космический"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": ""}, "no id"),
        ({"device": {"vendor": "Apple"}}, "model"),
        ({"device": "iPhone"}, "device"),
        ({"buyoutPrice": -1}, "buyoutPrice"),
        ({"buyoutPrice": "много"}, "buyoutPrice"),
    ],
)
def test_payload_without_essentials_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_lead(_payload(**overrides))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 916 123-45-67", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("not a phone", None),
        ("", None),
        (None, None),
    ],
)
def test_phones_are_normalised_to_e164(raw: str | None, expected: str | None) -> None:
    assert normalize_phone(raw) == expected

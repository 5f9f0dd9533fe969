"""A stored lead → its `/leads/complex` element and its card note, built in the amoCRM adapter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadbridge.amocrm.deal_card import card_note, note_text
from leadbridge.amocrm.deal_fields import DEAL_FIELDS
from leadbridge.amocrm.deal_payload import DealPlacement, complex_item
from leadbridge.store.tables import Lead

REQUESTED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACCOUNT = "https://shop.amocrm.ru"
FIELD_IDS = {field.key: 1000 + index for index, field in enumerate(DEAL_FIELDS)}
ENUM_IDS = {"category:Телефон": 51, "kit:Коробка": 61, "kit:Чехол": 62}
PLACEMENT = DealPlacement(pipeline_id=7, status_id=70, field_ids=FIELD_IDS, enum_ids=ENUM_IDS)


def lead(**changes: Any) -> Lead:
    device = {
        "category": "phone",
        "model": "iPhone 13",
        "memory": "128 ГБ",
        "color": "синий",
        "condition": "хорошее",
        "device_history": "не ремонтировался",
        "screen_condition": "царапины",
        "battery_health": 87,
        "defects": {"body": ["скол"], "battery": ["вздут"]},
        "imei": "356789012345678",
        "kit": ["Коробка", "Провод зарядки", "Чехол"],
    }
    values: dict[str, Any] = {
        "id": 42,
        "avito_lead_id": "av-42",
        "offer_type": "trade_in",
        "device": device,
        "model": "iPhone 13",
        "seller_name": "Анна",
        "seller_phone": "+79001112233",
        "city": "Казань",
        "item_url": "https://avito.example/42",
        "buyout_price_kopecks": 4_100_050,
        "seller_price_kopecks": 4_500_000,
        "avito_created_at": REQUESTED,
        "amo_lead_id": 9001,
        **changes,
    }
    return Lead(**values)


def field(key: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"field_id": FIELD_IDS[key], "values": list(values)}


def test_the_element_carries_name_price_stage_fields_tags_and_a_new_contact() -> None:
    item = complex_item(lead(), PLACEMENT, contact_id=None)

    assert item == {
        "name": "Выкуп: iPhone 13 128 ГБ, Казань",
        "price": 41_000,  # whole rubles
        "pipeline_id": 7,
        "status_id": 70,
        "request_id": "42",
        "custom_fields_values": [
            field("avito_lead_id", {"value": "av-42"}),
            field("offer_type", {"value": True}),
            field("category", {"enum_id": 51}),
            field("model", {"value": "iPhone 13"}),
            field("memory", {"value": "128 ГБ"}),
            field("color", {"value": "синий"}),
            field("condition", {"value": "хорошее, не ремонтировался"}),
            field("screen", {"value": "царапины"}),
            field("battery", {"value": "87"}),
            field("defects", {"value": "скол; вздут"}),
            field("imei", {"value": "356789012345678"}),
            field("kit", {"enum_id": 61}, {"enum_id": 62}),  # an option amoCRM lacks is left out
            field("city", {"value": "Казань"}),
            field("buyout_price", {"value": "41000.50"}),
            field("seller_price", {"value": "45000"}),
            field("item_url", {"value": "https://avito.example/42"}),
            field("requested_at", {"value": int(REQUESTED.timestamp())}),
        ],
        "_embedded": {
            "tags": [{"name": "avito"}, {"name": "iPhone 13"}, {"name": "Казань"}],
            "contacts": [
                {
                    "first_name": "Анна",
                    "custom_fields_values": [
                        {
                            "field_code": "PHONE",
                            "values": [{"value": "+79001112233", "enum_code": "MOB"}],
                        }
                    ],
                }
            ],
        },
    }


def test_a_known_contact_is_linked_by_id_and_empty_facts_stay_out() -> None:
    bare = lead(
        device={"model": "Galaxy S21"},
        city=None,
        seller_price_kopecks=None,
        item_url=None,
        offer_type="buyout",
    )

    item = complex_item(bare, PLACEMENT, contact_id=555)

    assert item["name"] == "Выкуп: Galaxy S21"
    assert item["_embedded"] == {
        "tags": [{"name": "avito"}, {"name": "Galaxy S21"}],
        "contacts": [{"id": 555}],
    }
    keys = {field_id: key for key, field_id in FIELD_IDS.items()}
    sent = [keys[value["field_id"]] for value in item["custom_fields_values"]]
    assert sent == ["avito_lead_id", "offer_type", "model", "buyout_price", "requested_at"]


def test_fields_amocrm_does_not_have_are_not_sent() -> None:
    placement = DealPlacement(7, 70, field_ids={"model": 5}, enum_ids={})

    item = complex_item(lead(), placement, contact_id=None)

    assert item["custom_fields_values"] == [{"field_id": 5, "values": [{"value": "iPhone 13"}]}]


def test_a_seller_without_name_or_phone_is_still_a_contact() -> None:
    item = complex_item(lead(seller_name="", seller_phone=None), PLACEMENT, contact_id=None)

    assert item["_embedded"]["contacts"] == [{"first_name": "Продавец Авито"}]


def test_the_card_note_goes_on_the_deal_with_the_card_text() -> None:
    note = card_note(lead(), ACCOUNT)

    text = note_text(lead(), ACCOUNT)
    assert note == {"entity_id": 9001, "note_type": "common", "params": {"text": text}}
    assert text.splitlines() == [
        "Заявка Авито av-42 (трейд-ин)",
        "Устройство: iPhone 13, 128 ГБ, синий",
        "Состояние: хорошее, не ремонтировался",
        "Экран: царапины",
        "Корпус: —",
        "Аккумулятор: 87%",
        "Дефекты: скол; вздут",
        "IMEI: 356789012345678",
        "Комплект: Коробка, Провод зарядки, Чехол",
        "Город: Казань",
        "Цена выкупа: 41000.50 ₽",
        "Цена продавца: 45000 ₽",
        "Объявление: https://avito.example/42",
    ]


def test_the_routed_user_is_the_deals_responsible_and_none_leaves_it_to_amocrm() -> None:
    assert complex_item(lead(), PLACEMENT, None, 5000002)["responsible_user_id"] == 5000002
    assert "responsible_user_id" not in complex_item(lead(), PLACEMENT, contact_id=None)


REPEAT = {
    "repeat_amo_lead_id": 123,
    # 21:30 UTC on 30 November is already 1 December in Moscow, the card's zone.
    "repeat_requested_at": datetime(2026, 11, 30, 21, 30, tzinfo=UTC),
    "repeat_match": "phone",
}


def test_a_repeat_sellers_deal_is_tagged_and_its_note_links_the_earlier_deal() -> None:
    repeat = lead(**REPEAT)

    tags = complex_item(repeat, PLACEMENT, contact_id=None)["_embedded"]["tags"]
    lines = note_text(repeat, ACCOUNT + "/").splitlines()

    assert tags == [
        {"name": "avito"},
        {"name": "iPhone 13"},
        {"name": "Казань"},
        {"name": "повтор"},
    ]
    assert lines[:2] == [
        "Заявка Авито av-42 (трейд-ин)",
        "Повторное обращение: сделка №123 от 01.12.2026 (тот же телефон)"
        " — https://shop.amocrm.ru/leads/detail/123",
    ]
    assert lines[2:] == note_text(lead(), ACCOUNT).splitlines()[1:]  # the card as before


def test_the_note_says_what_matched() -> None:
    by_imei = note_text(lead(**{**REPEAT, "repeat_match": "imei"}), ACCOUNT).splitlines()[1]
    by_both = note_text(lead(**{**REPEAT, "repeat_match": "both"}), ACCOUNT).splitlines()[1]

    assert "(тот же IMEI)" in by_imei
    assert "(тот же телефон и IMEI)" in by_both

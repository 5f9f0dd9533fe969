import re
from datetime import UTC, datetime

from leadbridge.sandbox.avito import LeadFactory, catalog
from leadbridge.sandbox.avito.imei import is_valid_imei, luhn_check_digit
from leadbridge.sandbox.avito.people import CITIES

FIXED = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def make_many(seed: int, count: int = 400) -> list[dict]:
    factory = LeadFactory(seed, now=lambda: FIXED)
    return [factory.make() for _ in range(count)]


def test_same_seed_gives_same_leads() -> None:
    assert make_many(7, 50) == make_many(7, 50)


def test_other_seed_gives_other_leads() -> None:
    assert make_many(7, 20) != make_many(8, 20)


def test_ids_are_sequential_strings() -> None:
    assert [lead["id"] for lead in make_many(1, 3)] == ["b-000001", "b-000002", "b-000003"]


def test_luhn_check_digit_of_known_imei() -> None:
    assert luhn_check_digit("49015420323751") == 8
    assert is_valid_imei("490154203237518")
    assert not is_valid_imei("490154203237517")


def test_device_card_fits_the_catalog() -> None:
    for lead in make_many(3):
        device = lead["device"]
        model = catalog.MODELS_BY_NAME[device["model"]]
        assert device["vendor"] == "Apple"
        assert device["category"] == model.category
        assert device["memory"] in model.memories
        assert device["color"] in model.colors
        assert device["ram"] in (model.ram, None)
        assert device["imei"] is None or is_valid_imei(device["imei"])
        assert set(device["kit"]) <= set(catalog.KIT_ITEMS)
        assert device["condition"] in catalog.CONDITIONS
        assert device["deviceHistory"] in catalog.DEVICE_HISTORIES
        assert device["screenCondition"] in catalog.SCREEN_CONDITIONS
        assert device["caseCondition"] in catalog.CASE_CONDITIONS
        assert device["batteryHealth"] is None or 0 < device["batteryHealth"] <= 100
        for group, values in device["defects"].items():
            assert set(values) <= set(catalog.DEFECTS[group])


def test_prices_are_kopecks_and_offer_is_below_asking() -> None:
    for lead in make_many(4):
        assert isinstance(lead["buyoutPrice"], int)
        assert isinstance(lead["sellerPrice"], int)
        assert 0 < lead["buyoutPrice"] < lead["sellerPrice"]
        assert lead["sellerPrice"] % 100 == 0


def test_newer_and_bigger_devices_cost_more_on_average() -> None:
    leads = make_many(5, 1500)

    def mean_offer(prefix: str) -> float:
        offers = [x["buyoutPrice"] for x in leads if x["device"]["model"] == prefix]
        return sum(offers) / len(offers)

    assert mean_offer("iPhone 16 Pro Max") > mean_offer("iPhone 13") > mean_offer("iPhone 11")


def test_seller_location_and_envelope_fields() -> None:
    leads = make_many(6)
    for lead in leads:
        assert re.fullmatch(r"\+79\d{9}", lead["seller"]["phone"])
        assert re.search(r"[А-Яа-яЁё]", lead["seller"]["name"])
        assert lead["location"]["city"] in CITIES
        assert lead["offerType"] in ("buyout", "trade_in")
        assert lead["createdAt"] == "2026-05-04T09:30:00.000Z"
        assert lead["itemUrl"].endswith(f"_{lead['itemId']}")
    assert len({lead["location"]["city"] for lead in leads}) >= 12


def test_models_span_iphone_11_to_16_and_ipads() -> None:
    models = {lead["device"]["model"] for lead in make_many(2, 2000)}
    for name in ("iPhone 11", "iPhone 12 mini", "iPhone 14 Plus", "iPhone 16 Pro Max"):
        assert name in models
    assert any(name.startswith("iPad") for name in models)


def test_some_leads_carry_defects_and_sensor_defects_match_biometry() -> None:
    leads = make_many(9)
    with_defects = [x for x in leads if any(x["device"]["defects"].values())]
    assert 0 < len(with_defects) < len(leads)
    for lead in with_defects:
        model = catalog.MODELS_BY_NAME[lead["device"]["model"]]
        biometry = {"Сканер лица", "Сканер отпечатка"} & set(lead["device"]["defects"]["sensors"])
        assert biometry <= {model.biometry}

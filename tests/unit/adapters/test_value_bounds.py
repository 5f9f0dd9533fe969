"""Numbers that cannot be are refused by both parsers, naming the field and what was found;
the largest values that can be still pass."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from leadbridge.amocrm.webhook import (
    MAX_ID,
    WebhookFormatError,
    WebhookValueError,
    parse_webhook,
)
from leadbridge.avito.payload import MAX_PRICE_KOPECKS, PayloadError, parse_lead
from leadbridge.sandbox.avito import LeadFactory

POISON_ID = "99999999999999999999999"


def _status(**item: str) -> str:
    return urlencode(
        {"account[id]": "31000001"}
        | {f"leads[status][0][{key}]": value for key, value in item.items()}
    )


def test_a_lead_id_beyond_64_bits_is_refused_naming_field_and_value() -> None:
    with pytest.raises(WebhookValueError) as refused:
        parse_webhook(_status(id=POISON_ID, status_id="7"))
    assert refused.value.field == "leads[status][0][id]"
    assert refused.value.found == POISON_ID
    assert POISON_ID in str(refused.value)
    assert isinstance(refused.value, WebhookFormatError)  # what the endpoint already refuses


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", "0"),
        ("id", "-5"),
        ("id", str(MAX_ID + 1)),
        ("status_id", POISON_ID),
        ("pipeline_id", POISON_ID),
        ("old_status_id", POISON_ID),
        ("old_pipeline_id", "-1"),
        ("price", "92233720368547759"),
        ("price", "-1"),
        ("last_modified", "99999999999999"),
    ],
)
def test_every_number_of_a_status_change_is_checked(key: str, value: str) -> None:
    item = {"id": "5", "status_id": "7", key: value}
    with pytest.raises(WebhookValueError, match=rf"leads\[status\]\[0\]\[{key}\] is {value}"):
        parse_webhook(_status(**item))


def test_an_account_id_beyond_64_bits_is_refused() -> None:
    with pytest.raises(WebhookValueError, match=r"account\[id\]"):
        parse_webhook(urlencode({"account[id]": POISON_ID}))


def test_the_largest_possible_values_still_pass() -> None:
    hook = parse_webhook(
        _status(
            id=str(MAX_ID),
            status_id="142",
            price=str(MAX_ID // 100),
            last_modified="1764500000",
            old_status_id="1",
        )
    )
    (change,) = hook.status_changes
    assert (change.amo_lead_id, change.price, change.old_status_id) == (MAX_ID, MAX_ID // 100, 1)


def test_a_value_that_is_no_number_is_still_tolerated_as_before() -> None:
    hook = parse_webhook(_status(id="5", status_id="7", price="", pipeline_id="abc"))
    (change,) = hook.status_changes
    assert (change.price, change.pipeline_id) == (None, None)


def _lead(**overrides: Any) -> dict[str, Any]:
    return {**LeadFactory(seed=1).make(), **overrides}


def test_a_buyout_price_of_ten_to_the_thirtieth_is_refused_naming_field_and_value() -> None:
    with pytest.raises(PayloadError) as refused:
        parse_lead(_lead(buyoutPrice=10**30))
    assert "'buyoutPrice' is 1000000000000000000000000000000" in str(refused.value)
    assert str(MAX_PRICE_KOPECKS) in str(refused.value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"buyoutPrice": MAX_PRICE_KOPECKS + 1}, "buyoutPrice"),
        ({"buyoutPrice": 1e30}, "buyoutPrice"),
        ({"buyoutPrice": float("inf")}, "buyoutPrice"),
        ({"buyoutPrice": 10**4000}, "buyoutPrice"),
        ({"sellerPrice": 10**30}, "sellerPrice"),
        ({"sellerPrice": -1}, "sellerPrice"),
        ({"itemId": 2**63}, "itemId"),
        ({"seller": {"name": "Иван", "userId": -7}}, "seller.userId"),
        ({"id": "x" * 65}, "'id'"),
        ({"offerType": "t" * 33}, "offerType"),
        ({"location": {"city": "г" * 129}}, "city"),
    ],
)
def test_out_of_range_values_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError, match=field):
        parse_lead(_lead(**overrides))


def test_a_number_of_thousands_of_digits_is_named_without_being_printed() -> None:
    with pytest.raises(PayloadError) as refused:
        parse_lead(_lead(buyoutPrice=10**4000))
    assert len(str(refused.value)) < 200


def test_the_largest_price_still_passes() -> None:
    lead = parse_lead(_lead(buyoutPrice=MAX_PRICE_KOPECKS, sellerPrice=MAX_PRICE_KOPECKS))
    assert lead.buyout_price_kopecks == MAX_PRICE_KOPECKS

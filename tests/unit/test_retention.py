"""The retention rule: which payload fields identify a seller, and what is left of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from leadbridge.avito.mapping_in_force import default_mapping
from leadbridge.domain.retention import (
    REDACTED_BODY,
    closed_at,
    cutoff,
    personal_paths,
    redacted,
    redacted_body,
    redacted_device,
)

MOMENT = datetime(2022, 3, 1, tzinfo=UTC)


def test_the_default_mapping_clears_the_seller_the_listing_and_the_imei() -> None:
    sources = [(f.name, s.path) for f in default_mapping().fields for s in f.sources]
    assert personal_paths(sources) == {("seller",), ("itemId",), ("itemUrl",), ("device", "imei")}


def test_a_flat_seller_field_is_cleared_alone() -> None:
    paths = personal_paths([("seller_phone", ("phone",)), ("city", ("location", "city"))])
    assert paths == {("phone",)}


def test_only_present_paths_are_cleared_and_the_original_is_left_alone() -> None:
    payload = {"seller": {"name": "Анна"}, "device": "iPhone", "price": 10}
    paths = {("seller",), ("device", "imei"), ("itemUrl",)}
    assert redacted(payload, paths) == {"seller": None, "device": "iPhone", "price": 10}
    assert payload["seller"] == {"name": "Анна"}


def test_a_body_that_is_no_json_object_is_replaced_whole_by_json() -> None:
    assert redacted_body("not json", {("seller",)}) == REDACTED_BODY
    assert redacted_body("[1, 2]", {("seller",)}) == REDACTED_BODY
    assert json.loads(REDACTED_BODY)
    body = redacted_body('{"seller": {"phone": "+7999"}, "id": "a"}', {("seller",)})
    assert json.loads(body) == {"seller": None, "id": "a"}


def test_the_device_keeps_everything_but_its_imei() -> None:
    assert redacted_device({"model": "X", "imei": "35"}) == {"model": "X", "imei": None}
    assert redacted_device({"model": "X"}) == {"model": "X"}


def test_a_deal_is_closed_by_amocrms_won_or_lost_status_only() -> None:
    assert closed_at(142, MOMENT) == MOMENT
    assert closed_at(143, MOMENT) == MOMENT
    assert closed_at(7001, MOMENT) is None
    assert cutoff(MOMENT, 10) == MOMENT - timedelta(days=10)

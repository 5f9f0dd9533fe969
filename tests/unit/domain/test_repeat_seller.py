"""Repeat sellers: which earlier deal a request repeats, by phone or IMEI, within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadbridge.domain.repeat_seller import (
    EarlierDeal,
    Match,
    Repeat,
    Request,
    find_repeats,
    normalised_imei,
    window_start,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAYS_30 = timedelta(days=30)
PHONE, OTHER_PHONE = "+79001112233", "+79004445566"
IMEI, OTHER_IMEI = "356789012345678", "353971100000017"


def request(phone: str | None = PHONE, imei: str | None = None, at: datetime = NOW) -> Request:
    return Request(lead_id=100, phone=phone, imei=imei, requested_at=at)


def deal(
    lead_id: int = 1,
    *,
    phone: str | None = PHONE,
    imei: str | None = None,
    days_before: float = 1,
) -> EarlierDeal:
    at = NOW - timedelta(days=days_before)
    return EarlierDeal(lead_id, amo_lead_id=9000 + lead_id, phone=phone, imei=imei, requested_at=at)


def test_the_same_phone_within_the_window_repeats_the_earlier_deal() -> None:
    earlier = deal(days_before=29)

    found = find_repeats([request()], [earlier], DAYS_30)

    assert found == {100: Repeat(9001, earlier.requested_at, Match.PHONE)}


def test_the_window_includes_its_first_moment_and_nothing_before() -> None:
    on_edge = find_repeats([request()], [deal(days_before=30)], DAYS_30)
    outside = find_repeats([request()], [deal(days_before=30.001)], DAYS_30)

    assert 100 in on_edge
    assert outside == {}


def test_a_different_phone_and_imei_is_no_repeat() -> None:
    earlier = deal(phone=OTHER_PHONE, imei=OTHER_IMEI)

    assert find_repeats([request(imei=IMEI)], [earlier], DAYS_30) == {}


def test_the_same_imei_from_another_phone_is_a_repeat_and_both_say_so() -> None:
    by_imei = find_repeats([request(imei=IMEI)], [deal(phone=OTHER_PHONE, imei=IMEI)], DAYS_30)
    by_both = find_repeats([request(imei=IMEI)], [deal(imei=IMEI)], DAYS_30)

    assert by_imei[100].match is Match.IMEI
    assert by_both[100].match is Match.BOTH


def test_missing_phones_and_imeis_never_match_each_other() -> None:
    earlier = deal(phone=None, imei=None)

    assert find_repeats([request(phone=None)], [earlier], DAYS_30) == {}


def test_the_most_recent_earlier_deal_is_linked() -> None:
    older, newer = deal(1, days_before=20), deal(2, days_before=3)

    found = find_repeats([request()], [newer, older], DAYS_30)

    assert found[100].amo_lead_id == 9002


def test_a_later_request_and_the_request_itself_are_not_earlier_deals() -> None:
    later = deal(1, days_before=-1)  # Avito's feed brought them out of order
    itself = EarlierDeal(100, 9100, PHONE, None, NOW)

    assert find_repeats([request()], [later, itself], DAYS_30) == {}


def test_a_window_of_zero_days_finds_nothing_and_reads_nothing() -> None:
    assert find_repeats([request()], [deal()], timedelta(0)) == {}
    assert window_start([request()], timedelta(0)) is None
    assert window_start([], DAYS_30) is None


def test_the_store_reads_from_the_earliest_requests_window() -> None:
    first, second = request(at=NOW - timedelta(days=2)), request(at=NOW)

    assert window_start([second, first], DAYS_30) == NOW - timedelta(days=32)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("356789012345678", "356789012345678"),
        ("35-678901-234567-8", "356789012345678"),
        (" 3567 8901 2345 6789 ", "3567890123456789"),  # an IMEISV
        ("12345", None),
        ("нет", None),
        ("000000000000000", None),
        ("", None),
        (None, None),
    ],
)
def test_an_imei_is_its_digits_when_it_can_be_one(written: str | None, key: str | None) -> None:
    assert normalised_imei(written) == key

"""Avito's settlement answer read line by line: money strict, one bad line quarantined with a
readable reason while the others are read, surprises listed as contract drift."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.avito.settlement import KNOWN_FIELDS, read_settlement, shown
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.settlement_quarantine import WHOLE_ANSWER, QuarantinedLine
from leadbridge.store.settlement_answers import identities


def line(lead_id: str = "b-1", **fields: Any) -> dict[str, Any]:
    base = {
        "lineId": f"{lead_id}:commission",
        "leadId": lead_id,
        "type": "commission",
        "amount": 150_000,
        "basePrice": 3_000_000,
        "occurredAt": "2026-05-04T12:00:00+03:00",
    }
    return {key: value for key, value in {**base, **fields}.items() if value is not ...}


def between_good_ones(bad: object) -> dict[str, Any]:
    return {"result": [line("b-1"), bad, line("b-3")]}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (line("b-2", amount=1500.0), "amount: нужны целые копейки, найдено 1500.0"),
        (line("b-2", amount="150000"), 'amount: нужны целые копейки, найдено "150000"'),
        (line("b-2", amount=True), "amount: нужны целые копейки, найдено true"),
        (line("b-2", amount=None), "amount: пусто"),
        (line("b-2", amount=2**63), f"amount: сумма вне допустимого, найдено {2**63}"),
        (line("b-2", basePrice=30000.5), "basePrice: нужны целые копейки, найдено 30000.5"),
        (
            line("b-2", occurredAt="2026-05-04T12:00:00"),
            'occurredAt: нет смещения от UTC, найдено "2026-05-04T12:00:00"',
        ),
        (
            line("b-2", occurredAt=20260504),
            "occurredAt: нужны дата и время ISO 8601, найдено 20260504",
        ),
        (line("b-2", leadId=None), "leadId: нужен текст, найдено null"),
        (line("b-2", leadId=10**5000), "leadId: нужен текст, найдено …"),  # Python won't print it
        (line("b-2", type=""), 'type: нужно от 1 до 32 символов, найдено ""'),
        (
            line("b-2", amount=..., sum=150_000),
            "amount: поля нет (в строке есть неизвестные поля: sum)",
        ),
    ],
)
def test_a_line_that_needs_guessing_is_quarantined_and_the_others_are_read(
    bad: dict[str, Any], reason: str
) -> None:
    reading = read_settlement(between_good_ones(bad))

    assert [row.lead_id for row in reading.rows] == ["b-1", "b-3"]
    [quarantined] = reading.quarantined
    assert quarantined.reason == reason
    assert quarantined.position == 1
    assert reading.answer_read


def test_a_quarantined_line_is_known_by_its_line_id_or_its_place() -> None:
    reading = read_settlement({"result": [line("b-1"), "x", line("b-3", lineId=7.5, amount=1.5)]})

    assert reading.quarantined == [
        QuarantinedLine("строка №2", "", "", 'строка: нужен объект, найдено "x"', 1),
        QuarantinedLine(
            "строка №3",
            "b-3",
            "commission",
            "lineId: нужен текст, найдено 7.5; amount: нужны целые копейки, найдено 1.5",
            2,
        ),
    ]


def test_every_problem_of_a_line_is_named_and_noted_as_drift() -> None:
    reading = read_settlement({"result": [line(amount=1.5, occurredAt=None)]})

    assert reading.quarantined[0].reason == (
        "amount: нужны целые копейки, найдено 1.5; "
        "occurredAt: нужны дата и время ISO 8601, найдено null"
    )
    assert [drift[:2] for drift in reading.drifts] == [
        (DriftKind.QUARANTINED, "settlement.amount"),
        (DriftKind.QUARANTINED, "settlement.occurredAt"),
    ]


def test_a_repeated_lead_and_type_is_quarantined_not_silently_merged() -> None:
    reading = read_settlement({"result": [line("b-1"), line("b-1", amount=99, lineId="other")]})

    assert [row.amount_kopecks for row in reading.rows] == [150_000]
    assert [(item.key, item.reason) for item in reading.quarantined] == [
        ("other", "leadId, type: повторяют строку №1")
    ]
    assert reading.drifts[0][:2] == (DriftKind.QUARANTINED, "settlement line repeated")


def test_a_new_row_type_and_new_fields_pass_through_as_drift() -> None:
    reading = read_settlement({"result": [line(type="dispute", amount=-5_000, disputeId="d-7")]})

    [row] = reading.rows
    assert (row.type, row.amount_kopecks, row.unknown_fields) == (
        "dispute",
        -5_000,
        {"disputeId": "d-7"},
    )
    assert reading.quarantined == []
    assert [drift[:2] for drift in reading.drifts] == [
        (DriftKind.UNKNOWN_FIELD, "settlement.disputeId"),
        (DriftKind.UNKNOWN_ENUM_VALUE, "settlement.type=dispute"),
    ]


def test_one_drift_per_kind_and_name_in_an_answer_with_the_first_line_as_sample() -> None:
    reading = read_settlement({"result": [line("b-1", amount=1.5), line("b-2", amount=2.5)]})

    assert reading.drifts == [(DriftKind.QUARANTINED, "settlement.amount", line("b-1", amount=1.5))]


@pytest.mark.parametrize("body", [{"rows": []}, [], "<html>", None, {"result": {"0": line()}}])
def test_an_answer_without_a_list_of_lines_is_quarantined_whole(body: object) -> None:
    reading = read_settlement(body)

    assert (reading.rows, reading.answer_read) == ([], False)
    [whole] = reading.quarantined
    assert (whole.key, whole.position) == (WHOLE_ANSWER, 0)
    assert whole.reason.startswith("ответ: нужен объект со списком result, найдено ")
    assert [drift[:2] for drift in reading.drifts] == [
        (DriftKind.UNKNOWN_ANSWER, "settlement answer")
    ]


@pytest.mark.parametrize(
    ("value", "seen"),
    [
        ("2026-05-04T12:00:00+03:00", '"2026-05-04T12:00:00+03:00"'),
        ("b-000123", '"b-000123"'),
        (1500.5, "1500.5"),
        ("+79161234567", '"+•••••••••67"'),  # a phone number is personal data
        ("Иван Петров", '"И••••••••••"'),
        (79161234567.0, "7•••••••••7•0"),  # and so is a number shaped like one
    ],
)
def test_what_was_found_is_shown_as_is_unless_it_may_be_personal(value: object, seen: str) -> None:
    assert shown(value) == seen


def test_a_line_is_known_by_its_content_and_identical_lines_by_their_copy() -> None:
    same, reordered = {"a": 1, "b": "x"}, {"b": "x", "a": 1}
    found = identities([same, reordered, {"a": 2}, "\x00\ud800"])

    assert found[0][0] == found[1][0] != found[2][0]
    assert [occurrence for _digest, occurrence, _body in found] == [0, 1, 0, 0]
    assert [json.loads(body) for _digest, _occurrence, body in found] == [
        same,
        reordered,
        {"a": 2},
        "\x00\ud800",
    ]
    assert found[3][2].isascii()  # storable on PostgreSQL, whatever the line holds


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
# Lines near the contract: a good line with some fields replaced by anything JSON can hold.
NEAR_LINES = st.dictionaries(st.sampled_from(sorted(KNOWN_FIELDS)), JSON, max_size=3).map(
    lambda changes: line(**changes)
)


@given(st.lists(NEAR_LINES | JSON, max_size=6))
def test_reading_never_raises_and_accounts_for_every_line(lines: list[Any]) -> None:
    reading = read_settlement({"result": lines})

    assert len(reading.rows) + len(reading.quarantined) == len(lines)
    assert all(item.reason for item in reading.quarantined)
    assert all(type(row.amount_kopecks) is int for row in reading.rows)
    assert all(body.isascii() for _digest, _occurrence, body in identities(lines))

"""The Russian words of the settlement export: what an accountant reads instead of the codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadbridge.domain.commission import FIXED, CommissionRule
from leadbridge.domain.periods import Week
from leadbridge.settlement import export_labels as labels
from leadbridge.settlement.export import csv_rubles
from leadbridge.settlement.export_sheets import period_text


def test_the_period_includes_its_sunday() -> None:
    assert period_text(Week.parse("2026-W48")) == "23.11.2026 – 29.11.2026"
    assert period_text(Week.parse("2026-W53")) == "28.12.2026 – 03.01.2027"  # across a year


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            CommissionRule(date(2000, 1, 1)).label,
            "5 % с 01.01.2000, не меньше 300 ₽, не больше 5\u202f000 ₽",
        ),
        (
            CommissionRule(
                date(2027, 3, 1), kind=FIXED, fixed_kopecks={"phone": 50_000, "tablet": 70_050}
            ).label,
            "фиксированная с 01.03.2027: телефон 500 ₽, планшет 700,50 ₽",
        ),
        (
            "correction: " + CommissionRule(date(2000, 1, 1), percent=Decimal("2.5")).label,
            "исправление: 2,5 % с 01.01.2000, не меньше 300 ₽, не больше 5\u202f000 ₽",
        ),
        ("correction of frozen storno", "исправление замороженной строки: сторно"),
        ("a rule this version does not know", "a rule this version does not know"),
    ],
)
def test_rules_read_in_russian(rule: str, text: str) -> None:
    translate = labels.RuleTexts()
    assert translate(rule) == text
    assert translate(rule) == text  # the second time from what it worked out the first
    assert translate.known() == [text]


def test_unknown_codes_are_written_as_stored() -> None:
    assert [labels.kind("storno"), labels.kind("dispute")] == ["сторно", "dispute"]
    assert [labels.category("tablet"), labels.category("console")] == ["планшет", "console"]
    assert labels.outcome("only_ours") == "Только у нас"


@pytest.mark.parametrize(
    ("kopecks", "text"),
    [(0, "0,00"), (5, "0,05"), (-5, "-0,05"), (1_234_567, "12345,67"), (-61_725, "-617,25")],
)
def test_csv_amounts_have_a_decimal_comma_and_exact_kopecks(kopecks: int, text: str) -> None:
    assert csv_rubles(kopecks) == text

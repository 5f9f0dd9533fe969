from datetime import UTC, date, datetime

from leadbridge.domain.commission import CommissionRule, RuleBook
from leadbridge.domain.settlement import (
    ADJUSTMENT,
    AMOUNT_MISMATCH,
    COMMISSION,
    ONLY_AVITO,
    ONLY_OURS,
    STORNO,
    AvitoLine,
    SettlementEvent,
    adjustments,
    diff_lines,
    line_of,
)

RULES = RuleBook.of([CommissionRule(valid_from=date(2000, 1, 1))])
AT = datetime(2026, 11, 24, 12, tzinfo=UTC)


def event(lead: str, kind: str = COMMISSION, price: int = 3_000_000) -> SettlementEvent:
    return SettlementEvent(lead, kind, AT, "phone", price, AT)


def avito(lead: str, kind: str, amount: int) -> AvitoLine:
    return AvitoLine(f"{lead}:{kind}", lead, kind, amount, AT)


def test_a_storno_is_minus_the_commission_it_reverses() -> None:
    assert line_of(event("b-1"), RULES).amount_kopecks == 150_000
    storno = line_of(event("b-1", STORNO), RULES)
    assert (storno.key, storno.amount_kopecks) == ("b-1:storno", -150_000)


def test_each_discrepancy_lands_in_its_class_and_matches_are_counted() -> None:
    ours = [line_of(event(lead), RULES) for lead in ("b-1", "b-2", "b-3")]
    theirs = [
        avito("b-1", COMMISSION, 150_000),
        avito("b-2", COMMISSION, 140_000),
        avito("b-4", STORNO, -30_000),
    ]
    diff = diff_lines(ours, theirs)
    assert diff.matched == 1
    assert [(d.outcome, d.key, d.our_kopecks, d.avito_kopecks) for d in diff.discrepancies] == [
        (AMOUNT_MISMATCH, "b-2:commission", 150_000, 140_000),
        (ONLY_OURS, "b-3:commission", 150_000, None),
        (ONLY_AVITO, "b-4:storno", None, -30_000),
    ]


def test_adjustments_book_the_difference_to_what_was_frozen() -> None:
    repriced = line_of(event("b-1", price=4_000_000), RULES)  # 200 000 now, 150 000 frozen
    late = line_of(event("b-2"), RULES)  # not frozen at all
    expected = {repriced.key: repriced, late.key: late}
    booked = {"b-1:commission": 150_000, "b-3:commission": 150_000}  # b-3 no longer acknowledged
    lines = list(adjustments(expected, booked, "2026-W49", AT))
    assert [(line.key, line.kind, line.amount_kopecks, line.origin) for line in lines] == [
        ("b-1:commission:adjustment@2026-W49", ADJUSTMENT, 50_000, "b-1:commission"),
        ("b-2:commission:adjustment@2026-W49", ADJUSTMENT, 150_000, "b-2:commission"),
        ("b-3:commission:adjustment@2026-W49", ADJUSTMENT, -150_000, "b-3:commission"),
    ]
    assert (
        list(adjustments(expected, {k: v.amount_kopecks for k, v in expected.items()}, "w", AT))
        == []
    )
    assert diff_lines(lines, []).empty  # adjustments are ours alone: never diffed

"""Each alert rule fires on its own cause and only then, with the count and the cause's start."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadbridge.domain.alert_rules import (
    RULES,
    AmoCrmReading,
    AnswerCounts,
    Backlog,
    Readings,
    Silence,
    Thresholds,
    evaluate,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NONE = Backlog(0, None)
LIMITS = Thresholds(
    parked=timedelta(minutes=15),
    pending=timedelta(minutes=10),
    inbox_lag=timedelta(minutes=5),
    avito_error_share=0.2,
    avito_error_min_requests=20,
    token_expiry=timedelta(days=7),
    reconcile_drift=1,
    quarantined_events=1,
)
CALM = Readings(
    now=NOW,
    amocrm=AmoCrmReading(webhook_ok=True),
    parked=NONE,
    pending=NONE,
    inbox=NONE,
    quarantined=NONE,
    avito_answers=AnswerCounts(100, 0),
    reconciliation=Backlog(0, NOW),
    settlement=("2026-W48", Backlog(0, NOW)),
    silence=Silence(NOW - timedelta(minutes=5), timedelta(minutes=60)),
)


def firing(readings: Readings) -> dict[str, tuple[int, datetime | None]]:
    return {f.rule: (f.count, f.since) for f in evaluate(readings, LIMITS) if f.firing}


def test_all_is_calm_and_every_rule_is_judged_once() -> None:
    findings = evaluate(CALM, LIMITS)
    assert [f.rule for f in findings] == list(RULES)
    assert firing(CALM) == {}


AGO = NOW - timedelta(minutes=20)


@pytest.mark.parametrize(
    ("change", "rule", "count"),
    [
        ({"amocrm": AmoCrmReading(blocked_since=AGO)}, "amocrm_blocked", 1),
        ({"amocrm": AmoCrmReading(auth_error="refresh refused")}, "amocrm_token", 1),
        (
            {"amocrm": AmoCrmReading(webhook_ok=True, token_expires_at=NOW + timedelta(days=6))},
            "amocrm_token",
            1,
        ),
        ({"amocrm": AmoCrmReading(webhook_ok=False, webhook_problem="нет")}, "amocrm_webhook", 1),
        ({"parked": Backlog(3, AGO)}, "parked_statuses", 3),
        ({"pending": Backlog(40, AGO)}, "pending_statuses", 40),
        ({"inbox": Backlog(7, AGO)}, "inbox_lag", 7),
        ({"avito_answers": AnswerCounts(50, 10)}, "avito_errors", 10),
        ({"reconciliation": Backlog(4, AGO)}, "reconcile_drift", 4),
        ({"settlement": ("2026-W48", Backlog(2, AGO))}, "settlement_diff", 2),
        ({"quarantined": Backlog(5, AGO)}, "avito_quarantine", 5),
        (
            {"silence": Silence(NOW - timedelta(minutes=61), timedelta(minutes=60))},
            "avito_silent",
            61,
        ),
    ],
)
def test_each_cause_fires_its_rule_alone(change: dict[str, object], rule: str, count: int) -> None:
    fired = firing(replace(CALM, **change))  # type: ignore[arg-type]
    assert list(fired) == [rule]
    assert fired[rule][0] == count


@pytest.mark.parametrize(
    "change",
    [
        {"parked": Backlog(3, NOW - timedelta(minutes=14))},  # not old enough yet
        {"avito_answers": AnswerCounts(19, 19)},  # too few answers to judge
        {"avito_answers": AnswerCounts(100, 19)},  # under the share
        {"avito_answers": None},  # nothing measured yet
        {"amocrm": AmoCrmReading(webhook_ok=None)},  # webhook not checkable (blocked, no URL)
        {"amocrm": AmoCrmReading(webhook_ok=True, token_expires_at=NOW + timedelta(days=8))},
        {"silence": Silence(NOW - timedelta(hours=5), None)},  # outside working hours
        {"silence": Silence(None, timedelta(minutes=60))},  # no request ever
        {"reconciliation": None},
        {"settlement": None},
    ],
)
def test_what_is_not_yet_a_problem_does_not_fire(change: dict[str, object]) -> None:
    assert firing(replace(CALM, **change)) == {}  # type: ignore[arg-type]


def test_a_backlog_rule_dates_the_incident_from_its_oldest_item() -> None:
    fired = firing(replace(CALM, parked=Backlog(2, AGO)))
    assert fired["parked_statuses"] == (2, AGO)

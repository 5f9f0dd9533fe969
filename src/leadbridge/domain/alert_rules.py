"""The alert rules: what each one watches, how bad it is, and whether it fires now. Pure: the
engine gathers `Readings` (our records, one amoCRM call, the learned request rate) and asks
`evaluate`, which says for every rule whether it fires, how many items, since when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadbridge.domain.alert_message import Severity
from leadbridge.domain.alerts import Finding


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str  # Russian, the message's headline
    page: str  # the dashboard page that shows the items


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("amocrm_blocked", "critical", "amoCRM заблокировал доступ к API", "/"),
        Rule("amocrm_token", "critical", "Токен amoCRM не обновляется или скоро истечёт", "/"),
        Rule("amocrm_webhook", "critical", "Вебхук amoCRM отключён или ведёт не к нам", "/"),
        Rule("parked_statuses", "critical", "Статусы для Авито остановлены", "/outbox"),
        Rule("pending_statuses", "warning", "Статусы для Авито долго не уходят", "/outbox"),
        Rule("inbox_lag", "warning", "Входящие события обрабатываются с задержкой", "/"),
        Rule("avito_errors", "warning", "Авито часто отвечает ошибками", "/loops"),
        Rule("reconcile_drift", "warning", "Сверка нашла расхождения", "/reconciliation"),
        Rule("settlement_diff", "warning", "Расчёт недели с Авито не сходится", "/settlements"),
        Rule("avito_quarantine", "warning", "События Авито в карантине", "/quarantine"),
        Rule("avito_silent", "critical", "От Авито давно нет новых заявок", "/leads"),
    )
}


@dataclass(frozen=True, slots=True)
class Backlog:
    """How many items, and the oldest one's time (None when there are none)."""

    count: int
    oldest: datetime | None

    def older_than(self, now: datetime, limit: timedelta) -> bool:
        return self.count > 0 and self.oldest is not None and now - self.oldest > limit


@dataclass(frozen=True, slots=True)
class Thresholds:
    parked: timedelta
    pending: timedelta
    inbox_lag: timedelta
    avito_error_share: float
    avito_error_min_requests: int
    token_expiry: timedelta
    reconcile_drift: int
    quarantined_events: int


@dataclass(frozen=True, slots=True)
class AmoCrmReading:
    """What the engine's own call to amoCRM showed. `blocked_since`: the block's start as this
    process saw it; `auth_error`: why the token could not be used or renewed; `webhook`: None
    when it could not be checked (blocked, no public URL), else whether ours is subscribed and
    on."""

    blocked_since: datetime | None = None
    auth_error: str | None = None
    webhook_ok: bool | None = None
    webhook_problem: str = ""
    token_expires_at: datetime | None = None  # the long-lived token's, when one is used


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    """Avito's answers to us over the last window: all of them, and the 5xx and 429 ones."""

    total: int
    errors: int


@dataclass(frozen=True, slots=True)
class Silence:
    """The newest request's time, and how long a pause would be unusual right now (None: not
    a time requests are expected, or no history to judge by)."""

    last_request_at: datetime | None
    unusual_after: timedelta | None


@dataclass(frozen=True, slots=True)
class Readings:
    now: datetime
    amocrm: AmoCrmReading
    parked: Backlog
    pending: Backlog
    inbox: Backlog
    quarantined: Backlog
    avito_answers: AnswerCounts | None
    reconciliation: Backlog | None  # oldest: when the run finished
    settlement: tuple[str, Backlog] | None  # (ISO week, differences)
    silence: Silence


def evaluate(readings: Readings, limits: Thresholds) -> list[Finding]:
    """One finding per rule, in the order of `RULES`."""
    now, amo = readings.now, readings.amocrm
    return [
        _amocrm_blocked(amo),
        _amocrm_token(amo, now, limits.token_expiry),
        _amocrm_webhook(amo),
        _backlog("parked_statuses", readings.parked, now, limits.parked, "статусов остановлено"),
        _backlog("pending_statuses", readings.pending, now, limits.pending, "статусов ждут"),
        _backlog("inbox_lag", readings.inbox, now, limits.inbox_lag, "событий ждут обработки"),
        _avito_errors(readings.avito_answers, limits),
        _reconciliation(readings.reconciliation, limits.reconcile_drift),
        _settlement(readings.settlement),
        _quarantine(readings.quarantined, limits.quarantined_events),
        _silence(readings.silence, now),
    ]


def _amocrm_blocked(amo: AmoCrmReading) -> Finding:
    if amo.blocked_since is None:
        return Finding("amocrm_blocked", False)
    detail = "amoCRM отвечает 403 на все запросы; пробный запрос повторяется реже"
    return Finding("amocrm_blocked", True, 1, detail, amo.blocked_since)


def _amocrm_token(amo: AmoCrmReading, now: datetime, warn_before: timedelta) -> Finding:
    if amo.auth_error:
        return Finding("amocrm_token", True, 1, f"токен не работает: {amo.auth_error}")
    expires = amo.token_expires_at
    if expires is not None and expires - now <= warn_before:
        left = max((expires - now).days, 0)
        detail = f"долгосрочный токен истекает {expires:%d.%m.%Y} (осталось дней: {left})"
        return Finding("amocrm_token", True, 1, detail)
    return Finding("amocrm_token", False)


def _amocrm_webhook(amo: AmoCrmReading) -> Finding:
    if amo.webhook_ok is None or amo.webhook_ok:
        return Finding("amocrm_webhook", False)
    return Finding("amocrm_webhook", True, 1, amo.webhook_problem)


def _backlog(rule: str, backlog: Backlog, now: datetime, limit: timedelta, what: str) -> Finding:
    if not backlog.older_than(now, limit):
        return Finding(rule, False)
    minutes = int(limit.total_seconds() // 60)
    detail = f"{backlog.count} {what}; самый старый — дольше {minutes} мин"
    return Finding(rule, True, backlog.count, detail, backlog.oldest)


def _avito_errors(answers: AnswerCounts | None, limits: Thresholds) -> Finding:
    if answers is None or answers.total < limits.avito_error_min_requests:
        return Finding("avito_errors", False)
    share = answers.errors / answers.total
    if share < limits.avito_error_share:
        return Finding("avito_errors", False)
    percent = f"{share * 100:.0f}".replace(".", ",")
    detail = f"{answers.errors} из {answers.total} ответов за 10 мин — 5xx или 429 ({percent} %)"
    return Finding("avito_errors", True, answers.errors, detail)


def _reconciliation(run: Backlog | None, least: int) -> Finding:
    if run is None or run.count < least:
        return Finding("reconcile_drift", False)
    detail = f"последняя сверка оставила человеку расхождений: {run.count}"
    return Finding("reconcile_drift", True, run.count, detail, run.oldest)


def _settlement(check: tuple[str, Backlog] | None) -> Finding:
    if check is None or check[1].count == 0:
        return Finding("settlement_diff", False)
    week, diff = check
    detail = f"неделя {week}: строк не сошлось с отчётом Авито — {diff.count}"
    return Finding("settlement_diff", True, diff.count, detail, diff.oldest)


def _quarantine(events: Backlog, least: int) -> Finding:
    if events.count < least:
        return Finding("avito_quarantine", False)
    detail = f"событий Авито в карантине: {events.count}"
    return Finding("avito_quarantine", True, events.count, detail, events.oldest)


def _silence(silence: Silence, now: datetime) -> Finding:
    last, unusual = silence.last_request_at, silence.unusual_after
    if last is None or unusual is None or now - last <= unusual:
        return Finding("avito_silent", False)
    minutes = int((now - last).total_seconds() // 60)
    usual = int(unusual.total_seconds() // 60)
    detail = f"последняя заявка {minutes} мин назад; обычно пауза не дольше {usual} мин"
    return Finding("avito_silent", True, minutes, detail, last)

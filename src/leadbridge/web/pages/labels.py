"""The one table of Russian names for every code a person reads on the dashboard: Avito statuses,
Avito's answers, outbox states, operator actions, settlement kinds, device categories, limiters.

Codes are what the database, Avito and the settings hold; a page shows the Russian name and, where
an operator may need the code (to search a log, to edit the funnel file), keeps it in a `title`.
A code this version does not know shows as stored rather than not at all.
"""

from __future__ import annotations

from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.security.roles import ADMIN, FINANCE, OPERATOR
from leadbridge.settlement import export_labels
from leadbridge.store import timeline

# Avito's lead statuses: the chain of the default funnel (funnel.toml) and the three endings.
AVITO_STATUS_LABELS = {
    "accepted": "Принят в работу",
    "contacted": "Связались с продавцом",
    "price_agreed": "Цена согласована",
    "pickup_scheduled": "Курьер назначен",
    "device_received": "Устройство получено",
    "bought_out": "Выкуплен",
    "rejected": "Отказ партнёра",
    "cancelled": "Отменён",
    "returned": "Возврат продавцу",
}

OUTBOX_STATE_LABELS: dict[str, str] = {
    OutboxState.PENDING: "в очереди",
    OutboxState.SENDING: "отправляется",
    OutboxState.SENT: "отправлено",
    OutboxState.PARKED: "остановлено, нужен человек",
    OutboxState.SKIPPED: "пропущено",
}

# The filters of `store/lead_search.OUTBOX_FILTERS`: the states a person looks for, and "retrying".
OUTBOX_FILTER_LABELS = {
    OutboxState.PENDING: "в очереди",
    "retrying": "на повторе",
    OutboxState.PARKED: "остановлено",
    OutboxState.SENT: "отправлено",
    OutboxState.SKIPPED: "пропущено",
}

TIMELINE_KINDS = {
    timeline.INBOX: "Авито → заявка",
    timeline.STAGE: "amoCRM: этап",
    timeline.ATTEMPT: "→ Авито: отправка",
    timeline.ACTION: "Оператор",
}

ACTION_LABELS = {
    "retry": "Отправить сейчас",
    "park": "Остановить",
    "unpark": "Возобновить",
    "skip": "Пропустить",
    "replay": "Отправить заново",
}

# What each action will do to what Avito sees, shown before the operator confirms it.
# `{status}` is the status's Russian name.
ACTION_CONSEQUENCES = {
    "retry": "Статус „{status}“ будет отправлен в Авито сейчас, не дожидаясь конца паузы.",
    "park": "Статус „{status}“ и следующие статусы этой заявки не будут отправляться в Авито, "
    "пока их не возобновят.",
    "unpark": "Статус „{status}“ снова будет отправлен в Авито, а за ним — следующие статусы "
    "заявки.",
    "skip": "Статус „{status}“ не будет отправлен в Авито; следующие статусы заявки пойдут "
    "без него.",
    "replay": "Статус „{status}“ будет отправлен в Авито ещё раз.",
}

# What a stage change meant for Avito (`domain/status_path.Verdict`) and how Avito answered a send.
TIMELINE_OUTCOMES = {
    "send": "отправить в Авито",
    "unchanged": "статус Авито тот же",
    "backward": "назад: не отправляется",
    "after_terminal": "после финального: не отправляется",
    "ok": "принято",
    "already_applied": "уже было принято",
    "forbidden": "отказ Авито",
    "withdrawn": "продавец отменил на Авито",
    "retryable": "временная ошибка",
    "permanent": "ошибка запроса",
}

# The `result` of one item in Avito's answer to a status update (`avito/results.ITEM_OUTCOMES`).
AVITO_RESULT_LABELS = {
    "success": "успешно",
    "already_applied": "уже применён",
    "forbidden": "переход запрещён",
    "withdrawn": "продавец отменил на Авито",
    "not_found": "заявка не найдена",
    "invalid": "неверный запрос",
}

TIMELINE_SOURCES = {"webhook": "вебхук", "events": "API событий amoCRM", "feed": "лента заявок"}

# «Изменения API Авито»: what kind of surprise Avito sent or answered. Keyed by str: rows read
# back from the table are plain strings, and a kind unknown to this version shows as stored.
DRIFT_KIND_LABELS: dict[str, str] = {
    DriftKind.UNKNOWN_FIELD: "Неизвестное поле",
    DriftKind.UNKNOWN_ENUM_VALUE: "Неизвестное значение",
    DriftKind.UNKNOWN_STATUS: "Неизвестный статус",
    DriftKind.UNKNOWN_ERROR_CODE: "Неизвестный код ошибки",
    DriftKind.UNKNOWN_ANSWER: "Непонятный ответ",
    DriftKind.ENDPOINT_GONE: "Адрес API больше не работает",
    DriftKind.QUARANTINED: "Событие в карантине",
}

# Settlement lines (`domain/settlement`): a commission, its reversal, a correction of a frozen week.
# The settlement's words are the export's (`settlement/export_labels.py`): one table for the
# page and the XLSX.
SETTLEMENT_KIND_LABELS = export_labels.KINDS
DEVICE_CATEGORY_LABELS = export_labels.CATEGORIES

ROLE_LABELS = {OPERATOR: "оператор", FINANCE: "финансы", ADMIN: "администратор"}

# The rate limiters of the running bridge (`avito/client.method_limits`, and amoCRM's one).
LIMITER_LABELS = {
    "amoCRM": "amoCRM",
    "status_apply": "отправка статусов",
    "leads_get": "чтение заявок",
    "status_get": "чтение статусов",
    "token": "получение токена",
}


def avito_status(code: str | None) -> str:
    if not code:
        return "—"
    return AVITO_STATUS_LABELS.get(code, code)


def outbox_state(code: str | None) -> str:
    if not code:
        return "—"
    return OUTBOX_STATE_LABELS.get(code, code)


def limiter(name: str) -> str:
    """The live status names Avito's limiters "Авито <method>" and amoCRM's "amoCRM"."""
    vendor, _, method = name.rpartition(" ")
    label = LIMITER_LABELS.get(method, method)
    return f"{vendor}: {label}" if vendor else label


def action_change(text: str | None) -> str:
    """An operator action's timeline outcome, "<status>: <state before> → <state after>"
    (`store/timeline._actions`), in Russian."""
    if not text:
        return ""
    status, _, states = text.partition(": ")
    before, _, after = states.partition(" → ")
    if not after:
        return text
    return f"{avito_status(status)}: {outbox_state(before)} → {outbox_state(after)}"


def consequence(action: str, status: str) -> str:
    return ACTION_CONSEQUENCES[action].format(status=avito_status(status))


# A failure the relay recorded rather than a verdict of Avito's: by how its text begins.
FAILURE_LABELS = (
    (("read-back",), "проверено по статусу в Авито"),
    (("endpoint gone",), "адрес API Авито больше не работает"),
    (("http 429", "429"), "превышен лимит запросов к Авито"),
    (("http 5", "5", "transport", "unreadable"), "Авито временно не отвечает"),
    (("http 4", "4"), "Авито отклонил запрос"),
)


def avito_answer(detail: str | None) -> str:
    """A Russian summary of what the relay recorded of Avito's answer to a send: its verdict
    ("success", "forbidden: …"), a read-back, or a failure ("HTTP 503", "transport: …"). The raw
    text stays on the page as a detail, for whoever talks to Avito's support."""
    if not detail:
        return ""
    verdict = detail.partition(":")[0].strip()
    text = detail.lower()
    if verdict not in AVITO_RESULT_LABELS and "transition" in text:
        verdict = "forbidden"  # a refused transition, as an older relay recorded it
    if verdict in AVITO_RESULT_LABELS:
        return AVITO_RESULT_LABELS[verdict]
    found = (label for starts, label in FAILURE_LABELS if text.startswith(starts))
    return next(found, "ошибка при отправке в Авито")

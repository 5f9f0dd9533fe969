"""Russian names of the states and kinds the pages show."""

from __future__ import annotations

from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import timeline

OUTBOX_STATE_LABELS = {
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

# The buttons an item in each state offers; the store checks again under a row lock.
ACTIONS_FOR_STATE = {
    OutboxState.PENDING: ("retry", "park"),
    OutboxState.PARKED: ("unpark", "replay", "skip"),
    OutboxState.SENT: ("replay",),
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
    "retryable": "временная ошибка",
    "permanent": "ошибка запроса",
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

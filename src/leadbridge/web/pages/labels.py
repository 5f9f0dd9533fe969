"""Russian names of the states and kinds the pages show."""

from __future__ import annotations

from leadbridge.store import outbox, timeline

OUTBOX_STATE_LABELS = {
    outbox.PENDING: "в очереди",
    outbox.SENDING: "отправляется",
    outbox.SENT: "отправлено",
    outbox.PARKED: "остановлено, нужен человек",
    outbox.SKIPPED: "пропущено",
}

OUTBOX_FILTER_LABELS = {
    "pending": "в очереди",
    "retrying": "на повторе",
    "parked": "остановлено",
    "sent": "отправлено",
    "skipped": "пропущено",
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
    outbox.PENDING: ("retry", "park"),
    outbox.PARKED: ("unpark", "replay", "skip"),
    outbox.SENT: ("replay",),
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

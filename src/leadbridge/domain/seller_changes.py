"""A seller's change of a request on Avito, as the managers are to learn of it: what changed of
the fields we keep (prices, phone, device), the notes that say so, and what a withdrawal does
to the deal. Pure: the flow (`sync/avito_changes.py`) reads and writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

# The fields of a request we keep and a seller may change, in the order a note lists them, with
# the words a manager reads. Device fields are the stored device card's keys.
PRICE_LABELS = {"buyout_price": "цена", "seller_price": "цена продавца"}
DEVICE_LABELS = {
    "category": "категория",
    "vendor": "производитель",
    "model": "модель",
    "memory": "память",
    "color": "цвет",
    "ram": "оперативная память",
    "battery_health": "аккумулятор",
    "imei": "IMEI",
    "kit": "комплект",
    "condition": "состояние",
    "device_history": "история",
    "screen_condition": "экран",
    "case_condition": "корпус",
    "defects": "дефекты",
}
UPDATE_NOTE_PREFIX = "Продавец изменил заявку на Авито: "
WITHDRAWAL_NOTE = "Продавец отменил заявку на Авито"
# An outbox status given up because of a withdrawal: its reason, in the audit and the outbox.
SKIP_REASON = "продавец отменил на Авито"
URGENT_TASK_TEXT = "Продавец отменил заявку на Авито: связаться и закрыть сделку"
EMPTY = "—"


@dataclass(frozen=True, slots=True)
class KeptFields:
    """What we keep of a request that a seller may change."""

    buyout_price_kopecks: int
    seller_price_kopecks: int | None
    phone: str | None
    device: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FieldChange:
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.label} {self.before} → {self.after}"


def changes_between(old: KeptFields, new: KeptFields) -> tuple[FieldChange, ...]:
    """What the seller changed, in the order a manager reads a card; nothing for a change that
    only repeats what we have (Avito may send an edit of fields we do not keep)."""
    found: list[FieldChange] = []
    prices = (
        ("buyout_price", old.buyout_price_kopecks, new.buyout_price_kopecks),
        ("seller_price", old.seller_price_kopecks, new.seller_price_kopecks),
    )
    for key, before, after in prices:
        if before != after:
            found.append(_money_change(PRICE_LABELS[key], before, after))
    if old.phone != new.phone:
        found.append(FieldChange("телефон", old.phone or EMPTY, new.phone or EMPTY))
    for key, label in DEVICE_LABELS.items():
        before, after = _plain(old.device.get(key)), _plain(new.device.get(key))
        if before != after:
            found.append(FieldChange(label, _shown(key, before), _shown(key, after)))
    return tuple(found)


def update_note(changes: Sequence[FieldChange]) -> str:
    """«Продавец изменил заявку на Авито: цена 41 000 → 39 000 ₽; память 128 ГБ → 256 ГБ»."""
    return UPDATE_NOTE_PREFIX + "; ".join(str(change) for change in changes)


def withdrawal_note(action: WithdrawalAction) -> str:
    """The note says what was done, so that a manager seeing an open deal knows why."""
    done = {
        WithdrawalAction.CLOSE_LOST: "сделка закрыта как нереализованная.",
        WithdrawalAction.URGENT_TASK: "сделка оставлена открытой, поставлена срочная задача.",
        WithdrawalAction.NOTE_ONLY: "сделка уже была закрыта.",
    }
    return f"{WITHDRAWAL_NOTE}: {done[action]}"


class OnWithdrawal(StrEnum):
    """The setting `avito.on_withdrawal`."""

    CLOSE_LOST = "close_lost"
    KEEP_OPEN_WITH_TASK = "keep_open_with_task"


class WithdrawalAction(StrEnum):
    CLOSE_LOST = "close_lost"  # the deal moves to the lost stage with the withdrawal's reason
    URGENT_TASK = "urgent_task"  # the deal stays open; its responsible user gets a task due now
    NOTE_ONLY = "note_only"  # the deal was closed already: a note is all it needs


def withdrawal_action(setting: OnWithdrawal, *, deal_closed: bool) -> WithdrawalAction:
    """A deal a manager already closed (won or lost) is not reopened, moved or given a task."""
    if deal_closed:
        return WithdrawalAction.NOTE_ONLY
    if setting is OnWithdrawal.CLOSE_LOST:
        return WithdrawalAction.CLOSE_LOST
    return WithdrawalAction.URGENT_TASK


def _money_change(label: str, before: int | None, after: int | None) -> FieldChange:
    return FieldChange(label, _rubles(before), _rubles(after) + (" ₽" if after is not None else ""))


def _rubles(kopecks: int | None) -> str:
    """41 000 for 4 100 000 kopecks; 41 000,50 when there are kopecks."""
    if kopecks is None:
        return EMPTY
    rubles = Decimal(kopecks) / 100
    whole = f"{int(rubles):,}".replace(",", " ")
    fraction = kopecks % 100
    return f"{whole},{fraction:02d}" if fraction else whole


def _plain(value: Any) -> Any:
    """Lists and groups compared as sets of texts: the order Avito lists them in means nothing."""
    if isinstance(value, Mapping):
        groups = {str(k): frozenset(map(str, v)) for k, v in value.items() if v}
        return tuple(sorted(groups.items(), key=lambda item: item[0])) or None
    if isinstance(value, list | tuple):
        return tuple(sorted(map(str, value))) or None
    return None if value in (None, "") else value


def _shown(key: str, value: Any) -> str:
    if value is None:
        return EMPTY
    if key == "battery_health":
        return f"{value}%"
    if key == "defects":
        return ", ".join(item for _group, items in value for item in sorted(items))
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)

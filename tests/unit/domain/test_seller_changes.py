"""What a seller's change on Avito tells the managers, and what a withdrawal does to the deal."""

from __future__ import annotations

from typing import Any

from leadbridge.domain.seller_changes import (
    KeptFields,
    OnWithdrawal,
    WithdrawalAction,
    changes_between,
    update_note,
    withdrawal_action,
    withdrawal_note,
)

DEVICE: dict[str, Any] = {
    "model": "iPhone 13 Pro",
    "memory": "128 ГБ",
    "color": "графитовый",
    "battery_health": 87,
    "imei": None,
    "kit": ["Коробка", "Провод зарядки"],
    "defects": {"sensors": ["Сканер лица"], "camera": []},
}


def kept(price: int = 4_100_000, phone: str | None = "+79377835337", **device: Any) -> KeptFields:
    return KeptFields(price, 5_500_000, phone, {**DEVICE, **device})


def test_a_price_a_phone_and_a_device_detail_changed_are_listed_in_a_managers_words() -> None:
    found = changes_between(
        kept(), kept(price=3_900_000, phone="+79161234567", memory="256 ГБ", battery_health=91)
    )

    assert update_note(found) == (
        "Продавец изменил заявку на Авито: цена 41 000 → 39 000 ₽; "
        "телефон +79377835337 → +79161234567; память 128 ГБ → 256 ГБ; аккумулятор 87% → 91%"
    )


def test_nothing_is_listed_when_nothing_we_keep_changed_whatever_the_order_of_lists() -> None:
    same = kept(kit=["Провод зарядки", "Коробка"], defects={"sensors": ["Сканер лица"]})

    assert changes_between(kept(), same) == ()


def test_kopecks_a_value_that_appears_and_one_that_is_gone_are_shown() -> None:
    found = changes_between(kept(imei="353971101234564"), kept(price=4_100_050, imei=None))

    assert [str(change) for change in found] == [
        "цена 41 000 → 41 000,50 ₽",
        "IMEI 353971101234564 → —",
    ]


def test_a_defect_added_is_shown_with_the_others() -> None:
    found = changes_between(
        kept(), kept(defects={"sensors": ["Сканер лица"], "battery": ["Вздут"]})
    )

    assert [str(change) for change in found] == ["дефекты Сканер лица → Вздут, Сканер лица"]


def test_a_withdrawal_closes_the_deal_or_keeps_it_open_with_a_task_as_the_setting_says() -> None:
    close, keep = OnWithdrawal.CLOSE_LOST, OnWithdrawal.KEEP_OPEN_WITH_TASK

    assert withdrawal_action(close, deal_closed=False) is WithdrawalAction.CLOSE_LOST
    assert withdrawal_action(keep, deal_closed=False) is WithdrawalAction.URGENT_TASK


def test_a_deal_closed_already_is_neither_reopened_nor_given_a_task() -> None:
    for setting in OnWithdrawal:
        assert withdrawal_action(setting, deal_closed=True) is WithdrawalAction.NOTE_ONLY


def test_the_withdrawal_note_says_what_was_done_to_the_deal() -> None:
    notes = {action: withdrawal_note(action) for action in WithdrawalAction}

    assert all(note.startswith("Продавец отменил заявку на Авито: ") for note in notes.values())
    assert len(set(notes.values())) == len(notes)

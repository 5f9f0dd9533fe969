"""The device card as a manager reads it: the note added to each deal, and the pieces of text
the deal's custom fields (`amocrm/deal_payload.py`) share with it.

A repeat seller's card (`domain/repeat_seller.py`) says so in its second line, with a link to the
earlier deal: amoCRM shows a URL in a common note as a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from leadbridge.amocrm.answers import Json
from leadbridge.store.tables import Lead

# The dates a card shows are the store chain's: the dashboard's zone too (`web/pages/common.py`).
CARD_TIME_ZONE = ZoneInfo("Europe/Moscow")
MATCHES = {"phone": "тот же телефон", "imei": "тот же IMEI", "both": "тот же телефон и IMEI"}


def card_note(lead: Lead, account_url: str) -> Json:
    """The element of `POST /api/v4/leads/notes` that puts the card on the lead's deal;
    `account_url`: the amoCRM account's address, that deal links start with."""
    return {
        "entity_id": lead.amo_lead_id,
        "note_type": "common",
        "params": {"text": note_text(lead, account_url)},
    }


def note_text(lead: Lead, account_url: str) -> str:
    """The same lead gives the same text: a crashed send is recognised by it."""
    device = lead.device
    kind = "трейд-ин" if lead.offer_type == "trade_in" else "выкуп"
    title = joined(device.get("model"), device.get("memory"), device.get("color"))
    lines = [f"Заявка Авито {lead.avito_lead_id} ({kind})"]
    repeat = repeat_line(lead, account_url)
    if repeat:
        lines.append(repeat)
    lines += [
        f"Устройство: {title or '—'}",
        f"Состояние: {joined(device.get('condition'), device.get('device_history')) or '—'}",
        f"Экран: {device.get('screen_condition') or '—'}",
        f"Корпус: {device.get('case_condition') or '—'}",
        f"Аккумулятор: {device.get('battery_health') or '—'}%",
        f"Дефекты: {'; '.join(defects(device)) or 'нет'}",
        f"IMEI: {device.get('imei') or '—'}",
        f"Комплект: {', '.join(device.get('kit') or []) or '—'}",
        f"Город: {lead.city or '—'}",
        f"Цена выкупа: {rubles(lead.buyout_price_kopecks)} ₽",
    ]
    if lead.seller_price_kopecks:
        lines.append(f"Цена продавца: {rubles(lead.seller_price_kopecks)} ₽")
    if lead.item_url:
        lines.append(f"Объявление: {lead.item_url}")
    return "\n".join(lines)


def repeat_line(lead: Lead, account_url: str) -> str | None:
    """«Повторное обращение: сделка №123 от 01.12.2026 (тот же телефон) — <link>», or None
    when the lead repeats no deal."""
    deal_id, requested_at = lead.repeat_amo_lead_id, lead.repeat_requested_at
    if deal_id is None or requested_at is None:
        return None
    day = requested_at.astimezone(CARD_TIME_ZONE).strftime("%d.%m.%Y")
    match = MATCHES.get(lead.repeat_match or "")
    why = f" ({match})" if match else ""
    link = deal_url(account_url, deal_id)
    return f"Повторное обращение: сделка №{deal_id} от {day}{why} — {link}"


def deal_url(account_url: str, deal_id: int) -> str:
    """The deal's page in amoCRM's interface, on the account's own address."""
    return f"{account_url.rstrip('/')}/leads/detail/{deal_id}"


def rubles(kopecks: int) -> str:
    """Exact decimal rubles for numeric fields: 4500050 → '45000.50'."""
    return str((Decimal(kopecks) / 100).quantize(Decimal("0.01"))).removesuffix(".00")


def defects(device: Mapping[str, Any]) -> list[str]:
    groups = device.get("defects") or {}
    return [str(item) for items in groups.values() for item in items]


def joined(*parts: Any) -> str | None:
    """The parts present, comma-separated; None when none is."""
    text = ", ".join(str(part) for part in parts if part)
    return text or None

"""The device card as a manager reads it: the note added to each deal, and the pieces of text
the deal's custom fields (`amocrm/deal_payload.py`) share with it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from leadbridge.amocrm.answers import Json
from leadbridge.store.tables import Lead


def card_note(lead: Lead) -> Json:
    """The element of `POST /api/v4/leads/notes` that puts the card on the lead's deal."""
    return {
        "entity_id": lead.amo_lead_id,
        "note_type": "common",
        "params": {"text": note_text(lead)},
    }


def note_text(lead: Lead) -> str:
    device = lead.device
    kind = "трейд-ин" if lead.offer_type == "trade_in" else "выкуп"
    title = joined(device.get("model"), device.get("memory"), device.get("color"))
    lines = [
        f"Заявка Авито {lead.avito_lead_id} ({kind})",
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

"""A stored lead → the `/leads/complex` element and the human-readable note."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from leadbridge.amocrm.deal_fields import AVITO_LEAD_ID, DEAL_FIELDS
from leadbridge.store.tables import Lead

CATEGORY_NAMES = {"phone": "Телефон", "tablet": "Планшет"}


def rubles(kopecks: int) -> str:
    """Exact decimal rubles for numeric fields: 4500050 → '45000.50'."""
    return str((Decimal(kopecks) / 100).quantize(Decimal("0.01"))).removesuffix(".00")


def field_values(lead: Lead) -> dict[str, Any]:
    """Our field key → the plain value; None means leave the field empty."""
    device = lead.device
    return {
        AVITO_LEAD_ID: lead.avito_lead_id,
        "offer_type": lead.offer_type == "trade_in",
        "category": CATEGORY_NAMES.get(str(device.get("category"))),
        "model": device.get("model"),
        "memory": device.get("memory"),
        "color": device.get("color"),
        "ram": device.get("ram"),
        "condition": _join(device.get("condition"), device.get("device_history")),
        "screen": device.get("screen_condition"),
        "case": device.get("case_condition"),
        "battery": device.get("battery_health"),
        "defects": "; ".join(_defects(device)) or None,
        "imei": device.get("imei"),
        "kit": list(device.get("kit") or []),
        "city": lead.city,
        "buyout_price": rubles(lead.buyout_price_kopecks),
        "seller_price": rubles(lead.seller_price_kopecks) if lead.seller_price_kopecks else None,
        "item_url": lead.item_url,
        "requested_at": int(lead.avito_created_at.timestamp()),
    }


def custom_fields_values(
    lead: Lead, field_ids: Mapping[str, int], enum_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Values in the exact shape of each field type (reference §6)."""
    result: list[dict[str, Any]] = []
    values = field_values(lead)
    for field in DEAL_FIELDS:
        value = values[field.key]
        if value is None or value == [] or field.key not in field_ids:
            continue
        shaped: list[dict[str, Any]]
        if field.type == "select":
            shaped = [{"enum_id": enum_ids[f"{field.key}:{value}"]}]
        elif field.type == "multiselect":
            known = [item for item in value if f"{field.key}:{item}" in enum_ids]
            shaped = [{"enum_id": enum_ids[f"{field.key}:{item}"]} for item in known]
        elif field.type in ("checkbox", "date"):
            shaped = [{"value": value}]
        else:
            shaped = [{"value": str(value)}]
        if shaped:
            result.append({"field_id": field_ids[field.key], "values": shaped})
    return result


def deal_name(lead: Lead) -> str:
    device = lead.device
    title = " ".join(str(part) for part in (device.get("model"), device.get("memory")) if part)
    return f"Выкуп: {title}" + (f", {lead.city}" if lead.city else "")


def note_text(lead: Lead) -> str:
    device = lead.device
    kind = "трейд-ин" if lead.offer_type == "trade_in" else "выкуп"
    title = _join(device.get("model"), device.get("memory"), device.get("color"))
    lines = [
        f"Заявка Авито {lead.avito_lead_id} ({kind})",
        f"Устройство: {title or '—'}",
        f"Состояние: {_join(device.get('condition'), device.get('device_history')) or '—'}",
        f"Экран: {device.get('screen_condition') or '—'}",
        f"Корпус: {device.get('case_condition') or '—'}",
        f"Аккумулятор: {device.get('battery_health') or '—'}%",
        f"Дефекты: {'; '.join(_defects(device)) or 'нет'}",
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


def _defects(device: Mapping[str, Any]) -> list[str]:
    groups = device.get("defects") or {}
    return [str(item) for items in groups.values() for item in items]


def _join(*parts: Any) -> str | None:
    text = ", ".join(str(part) for part in parts if part)
    return text or None

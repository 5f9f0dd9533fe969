"""A stored lead → its element of `POST /api/v4/leads/complex`: the one place a deal is shaped.

The element holds the deal's name, price (whole rubles: amoCRM keeps no kopecks), pipeline and
first status, our `request_id` (the lead's id, by which the answer's rows are matched), the
device card as custom fields in the shape of each field type (reference §6), tags (by name,
reference §7; «повтор» marks a repeat seller's deal: `domain/repeat_seller.py`), and the
seller's contact: an existing one by id, else a new one with the phone, and the responsible
user routing chose (`sync/routing.py`); without one amoCRM gives the deal to the token's user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadbridge.amocrm.answers import Json
from leadbridge.amocrm.deal_card import defects, joined, rubles
from leadbridge.amocrm.deal_fields import AVITO_LEAD_ID, DEAL_FIELDS
from leadbridge.store.tables import Lead

CATEGORY_NAMES = {"phone": "Телефон", "tablet": "Планшет"}
REPEAT_TAG = "повтор"  # managers filter their deals by it in amoCRM
UNNAMED_SELLER = "Продавец Авито"


@dataclass(frozen=True, slots=True)
class DealPlacement:
    """Where new deals go in amoCRM, and the ids our custom fields and their options have
    there (as provisioned: `sync/provisioning.py`)."""

    pipeline_id: int
    status_id: int
    field_ids: Mapping[str, int]  # our field key → amoCRM field id
    enum_ids: Mapping[str, int]  # "field_key:value" → amoCRM enum id


def complex_item(
    lead: Lead, placement: DealPlacement, contact_id: int | None, responsible: int | None = None
) -> Json:
    """`contact_id`: the seller's contact amoCRM already has, or None to create one;
    `responsible`: the amoCRM user who takes the deal, or None for the token's user."""
    item: Json = {
        "name": deal_name(lead),
        "price": lead.buyout_price_kopecks // 100,
        "pipeline_id": placement.pipeline_id,
        "status_id": placement.status_id,
        "request_id": str(lead.id),
        "custom_fields_values": custom_fields_values(lead, placement.field_ids, placement.enum_ids),
        "_embedded": {"tags": _tags(lead), "contacts": [_contact(lead, contact_id)]},
    }
    if responsible is not None:
        item["responsible_user_id"] = responsible
    return item


def deal_name(lead: Lead) -> str:
    device = lead.device
    title = " ".join(str(part) for part in (device.get("model"), device.get("memory")) if part)
    return f"Выкуп: {title}" + (f", {lead.city}" if lead.city else "")


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
        "condition": joined(device.get("condition"), device.get("device_history")),
        "screen": device.get("screen_condition"),
        "case": device.get("case_condition"),
        "battery": device.get("battery_health"),
        "defects": "; ".join(defects(device)) or None,
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
) -> list[Json]:
    """Values in the exact shape of each field type (reference §6)."""
    result: list[Json] = []
    values = field_values(lead)
    for field in DEAL_FIELDS:
        value = values[field.key]
        if value is None or value == [] or field.key not in field_ids:
            continue
        shaped: list[Json]
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


def _tags(lead: Lead) -> list[Json]:
    tags: list[Json] = [{"name": "avito"}, {"name": str(lead.device.get("model"))}]
    if lead.city:
        tags.append({"name": lead.city})
    if lead.repeat_amo_lead_id is not None:
        tags.append({"name": REPEAT_TAG})
    return tags


def _contact(lead: Lead, contact_id: int | None) -> Json:
    if contact_id is not None:
        return {"id": contact_id}
    contact: Json = {"first_name": lead.seller_name or UNNAMED_SELLER}
    if lead.seller_phone:
        contact["custom_fields_values"] = [
            {"field_code": "PHONE", "values": [{"value": lead.seller_phone, "enum_code": "MOB"}]}
        ]
    return contact

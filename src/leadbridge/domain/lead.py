"""A buyout request as leadbridge understands it, independent of either API's wire format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class DeviceCard:
    category: str
    vendor: str
    model: str
    memory: str | None
    color: str | None
    ram: str | None
    battery_health: int | None
    imei: str | None
    kit: tuple[str, ...]
    condition: str | None
    device_history: str | None
    screen_condition: str | None
    case_condition: str | None
    defects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        parts = [self.model, self.memory, self.color]
        return " ".join(part for part in parts if part)

    @property
    def defect_list(self) -> list[str]:
        return [item for group in self.defects.values() for item in group]


@dataclass(frozen=True, slots=True)
class Seller:
    name: str
    phone: str | None  # E.164 when it could be normalised
    avito_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class BuyoutRequest:
    avito_lead_id: str
    offer_type: str
    created_at: datetime
    device: DeviceCard
    seller: Seller
    city: str | None
    item_id: int | None
    item_url: str | None
    buyout_price_kopecks: int
    seller_price_kopecks: int | None
    unknown_fields: Mapping[str, Any] = field(default_factory=dict)
    # Values of enum fields (our name → the value) that the mapping does not list: kept as sent.
    unknown_values: Mapping[str, str] = field(default_factory=dict)

"""The device card as amoCRM deal custom fields: one field per fact a manager needs."""

from __future__ import annotations

from dataclasses import dataclass

KIT_ITEMS = ("Коробка", "Блок зарядки", "Провод зарядки", "Чехол", "Документы")
CATEGORIES = ("Телефон", "Планшет")
AVITO_LEAD_ID = "avito_lead_id"


@dataclass(frozen=True, slots=True)
class DealField:
    key: str  # ours; stable across renames in amoCRM
    name: str
    type: str
    code: str
    enums: tuple[str, ...] = ()


DEAL_FIELDS: tuple[DealField, ...] = (
    DealField(AVITO_LEAD_ID, "ID заявки Авито", "text", "AVITO_LEAD_ID"),
    DealField("offer_type", "Trade-in", "checkbox", "AVITO_TRADE_IN"),
    DealField("category", "Категория", "select", "DEVICE_CATEGORY", CATEGORIES),
    DealField("model", "Модель", "text", "DEVICE_MODEL"),
    DealField("memory", "Память", "text", "DEVICE_MEMORY"),
    DealField("color", "Цвет", "text", "DEVICE_COLOR"),
    DealField("ram", "Оперативная память", "text", "DEVICE_RAM"),
    DealField("condition", "Состояние", "text", "DEVICE_CONDITION"),
    DealField("screen", "Экран", "text", "DEVICE_SCREEN"),
    DealField("case", "Корпус", "text", "DEVICE_CASE"),
    DealField("battery", "Аккумулятор, %", "numeric", "DEVICE_BATTERY"),
    DealField("defects", "Дефекты", "textarea", "DEVICE_DEFECTS"),
    DealField("imei", "IMEI", "text", "DEVICE_IMEI"),
    DealField("kit", "Комплект", "multiselect", "DEVICE_KIT", KIT_ITEMS),
    DealField("city", "Город", "text", "AVITO_CITY"),
    DealField("buyout_price", "Цена выкупа партнёра, ₽", "numeric", "BUYOUT_PRICE"),
    DealField("seller_price", "Цена продавца, ₽", "numeric", "SELLER_PRICE"),
    DealField("item_url", "Объявление на Авито", "url", "AVITO_ITEM_URL"),
    DealField("requested_at", "Дата заявки", "date", "AVITO_REQUESTED_AT"),
)

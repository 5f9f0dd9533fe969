"""Realistic buyout requests for used Apple phones and tablets, deterministic per seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadbridge.sandbox.avito import catalog, people
from leadbridge.sandbox.avito.catalog import DeviceModel
from leadbridge.sandbox.avito.clock import rfc3339, utc_now
from leadbridge.sandbox.avito.imei import make_imei
from leadbridge.sandbox.avito.pricing import prices

_SCREEN_WEIGHTS = (40, 25, 12, 8, 8, 3, 4)
_CASE_WEIGHTS = (35, 30, 12, 8, 4, 3, 5, 3)
_KIT_ODDS = {"Коробка": 0.6, "Блок зарядки": 0.25, "Провод зарядки": 0.55}
_MODEL_WEIGHTS = tuple(3 if model.category == "phone" else 1 for model in catalog.MODELS)
_BIOMETRY = {"Сканер лица", "Сканер отпечатка"}


class LeadFactory:
    """Makes lead payloads as the partner feed delivers them (see docs/avito-partner-api.md)."""

    def __init__(self, seed: int = 0, *, now: Callable[[], datetime] = utc_now) -> None:
        self._rng = random.Random(seed)
        self._now = now
        self._count = 0

    def make(self) -> dict[str, Any]:
        self._count += 1
        rng = self._rng
        model = rng.choices(catalog.MODELS, weights=_MODEL_WEIGHTS)[0]
        device = self._device(model)
        asking, offer = prices(model, device, rng)
        item_id = rng.randrange(1_000_000_000, 5_000_000_000)
        city = people.city(rng)
        return {
            "id": f"b-{self._count:06d}",
            "itemId": item_id,
            "itemUrl": _item_url(city, device, item_id),
            "offerType": "trade_in" if rng.random() < 0.25 else "buyout",
            "createdAt": rfc3339(self._now()),
            "device": device,
            "seller": {
                "userId": rng.randrange(10_000_000, 400_000_000),
                "name": people.seller_name(rng),
                "phone": people.mobile_phone(rng),
            },
            "location": {"city": city},
            "buyoutPrice": offer,
            "sellerPrice": asking,
        }

    def _device(self, model: DeviceModel) -> dict[str, Any]:
        rng = self._rng
        new = rng.random() < 0.05
        has_imei = rng.random() < (0.85 if model.category == "phone" else 0.3)
        return {
            "category": model.category,
            "vendor": "Apple",
            "model": model.name,
            "memory": rng.choice(model.memories),
            "color": rng.choice(model.colors),
            "ram": model.ram if rng.random() < 0.75 else None,
            "batteryHealth": self._battery(new),
            "imei": make_imei(rng) if has_imei else None,
            "kit": self._kit(new),
            "condition": "Новое" if new else "Б/у",
            "deviceHistory": "Восстановленный" if rng.random() < 0.08 else "Новый",
            "screenCondition": self._grade(catalog.SCREEN_CONDITIONS, _SCREEN_WEIGHTS, new),
            "caseCondition": self._grade(catalog.CASE_CONDITIONS, _CASE_WEIGHTS, new),
            "defects": self._defects(model, new),
        }

    def _battery(self, new: bool) -> int | None:
        if new:
            return 100
        if self._rng.random() < 0.1:
            return None
        return round(self._rng.triangular(72, 100, 88))

    def _kit(self, new: bool) -> list[str]:
        if new:
            return list(catalog.KIT_ITEMS)
        return [item for item, odds in _KIT_ODDS.items() if self._rng.random() < odds]

    def _grade(self, grades: tuple[str, ...], weights: tuple[int, ...], new: bool) -> str:
        return grades[0] if new else self._rng.choices(grades, weights=weights)[0]

    def _defects(self, model: DeviceModel, new: bool) -> dict[str, list[str]]:
        defects: dict[str, list[str]] = {group: [] for group in catalog.DEFECTS}
        if new or self._rng.random() >= 0.2:
            return defects
        for _ in range(self._rng.choice((1, 1, 2))):
            group = self._rng.choice(tuple(catalog.DEFECTS))
            choices = [v for v in catalog.DEFECTS[group] if _fits(model, v)]
            value = self._rng.choice(choices)
            if value not in defects[group]:
                defects[group].append(value)
        return defects


def _fits(model: DeviceModel, defect: str) -> bool:
    return defect not in _BIOMETRY or defect == model.biometry


def _item_url(city: str, device: dict[str, Any], item_id: int) -> str:
    section = "telefony" if device["category"] == "phone" else "planshety_i_elektronnye_knigi"
    title = f"{device['model']} {device['memory']}".lower().replace("гб", "gb").replace("тб", "tb")
    words = "".join(c if c.isalnum() and c.isascii() else " " for c in title).split()
    slug = "_".join(words)
    return f"https://www.avito.ru/{people.CITY_SLUGS[city]}/{section}/{slug}_{item_id}"

"""Plausible prices: what the seller asks and what the partner offers, in kopecks."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from leadbridge.sandbox.avito.catalog import CASE_CONDITIONS, SCREEN_CONDITIONS, DeviceModel

_SCREEN_FACTORS = (1.0, 0.97, 0.93, 0.88, 0.72, 0.7, 0.75)
_CASE_FACTORS = (1.0, 0.97, 0.92, 0.82, 0.85, 0.75, 0.85, 0.93)
_DEFECT_FACTOR = 0.85


def _battery_factor(health: int | None) -> float:
    if health is None:
        return 0.97
    if health < 80:
        return 0.9
    return 0.96 if health < 90 else 1.0


def condition_factor(device: Mapping[str, Any]) -> float:
    """How much of the model's typical used price this particular device is worth."""
    factor = _SCREEN_FACTORS[SCREEN_CONDITIONS.index(device["screenCondition"])]
    factor *= _CASE_FACTORS[CASE_CONDITIONS.index(device["caseCondition"])]
    factor *= _battery_factor(device["batteryHealth"])
    defects = sum(len(group) for group in device["defects"].values())
    factor *= _DEFECT_FACTOR**defects
    if device["condition"] == "Новое":
        factor *= 1.15
    if device["deviceHistory"] == "Восстановленный":
        factor *= 0.9
    if "Коробка" in device["kit"]:
        factor *= 1.02
    return factor


def _round_down(value: float, step: int) -> int:
    return max(step, int(value) // step * step)


def prices(model: DeviceModel, device: Mapping[str, Any], rng: random.Random) -> tuple[int, int]:
    """(asking price, buyout offer) in kopecks; the offer is always below the asking price."""
    worth = model.price_for(device["memory"]) * condition_factor(device)
    asking_rub = _round_down(worth * rng.uniform(0.98, 1.15), 500)
    offer_rub = _round_down(worth * rng.uniform(0.68, 0.82), 100)
    offer_rub = min(offer_rub, asking_rub - 500)
    return asking_rub * 100, max(offer_rub, 100) * 100

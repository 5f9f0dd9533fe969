"""Russian words for the codes a settlement export carries: kinds, device categories, the diff's
outcomes and the commission rule texts.

The one table of these words: the dashboard's week page and its label table
(`web/pages/labels.py`) read them from here, so the page and the XLSX always say the same. A
code this version does not know is written as stored, never dropped.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from leadbridge.domain.settlement import AMOUNT_MISMATCH, ONLY_AVITO, ONLY_OURS
from leadbridge.domain.settlement_quarantine import QUARANTINED

KINDS = {"commission": "комиссия", "storno": "сторно", "adjustment": "корректировка"}
CATEGORIES = {"phone": "телефон", "tablet": "планшет", "laptop": "ноутбук", "watch": "часы"}
OUTCOMES = {
    AMOUNT_MISMATCH: "Сумма не совпадает",
    ONLY_OURS: "Только у нас",
    ONLY_AVITO: "Только у Авито",
    QUARANTINED: "Строка Авито не распознана",
}

# The texts `domain/commission.Rule.label` and `domain/settlement.adjustments` write, in English.
FIXED_RULE = re.compile(r"fixed from (\S+): (.*) kop\.")
PERCENT_RULE = re.compile(r"(\S+)% from (\S+), min (\d+) max (\d+) kop\.")
FROZEN_CORRECTION = re.compile(r"correction of frozen (\w+)")


def kind(code: str) -> str:
    return KINDS.get(code, code)


def category(code: str) -> str:
    return CATEGORIES.get(code, code)


def outcome(code: str) -> str:
    return OUTCOMES.get(code, code)


class RuleTexts:
    """Rule texts in Russian, each worked out once: a week has a handful of distinct rules and a
    million lines, so the regular expressions must not run per line."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __call__(self, rule: str) -> str:
        text = self._known.get(rule)
        if text is None:
            text = self._known[rule] = rule_text(rule)
        return text

    def known(self) -> list[str]:
        return list(self._known.values())


def rule_text(rule: str) -> str:
    if rule.startswith("correction: "):
        return f"исправление: {rule_text(rule.removeprefix('correction: '))}"
    if found := FROZEN_CORRECTION.fullmatch(rule):
        return f"исправление замороженной строки: {kind(found[1])}"
    if found := FIXED_RULE.fullmatch(rule):
        amounts = (part.rpartition(" ") for part in found[2].split(", "))
        each = ", ".join(f"{category(code)} {_rubles_of(kop)}" for code, _, kop in amounts)
        return f"фиксированная с {_date(found[1])}: {each}"
    if found := PERCENT_RULE.fullmatch(rule):
        percent, since, low, high = found.groups()
        bounds = f"не меньше {rubles_text(int(low))}, не больше {rubles_text(int(high))}"
        return f"{percent.replace('.', ',')} % с {_date(since)}, {bounds}"
    return rule


def rubles_text(kopecks: int) -> str:
    """12345600 → "123 456 ₽" (a narrow space between thousands); kopecks only when there are."""
    value = Decimal(kopecks) / 100
    text = f"{value:,.2f}" if kopecks % 100 else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",") + " ₽"


def day_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _rubles_of(kopecks: str) -> str:
    return rubles_text(int(kopecks)) if kopecks.isdigit() else kopecks


def _date(iso: str) -> str:
    try:
        return day_text(date.fromisoformat(iso))
    except ValueError:
        return iso

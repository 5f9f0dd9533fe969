"""What every dashboard page shares: the templates, the navigation, and display formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from leadbridge.security.roles import ADMIN, FINANCE, OPERATOR, permits
from leadbridge.web.auth import install_template_helpers
from leadbridge.web.context import context_of
from leadbridge.web.links import partner_link
from leadbridge.web.pages import labels

# Operators work on Moscow time; the database keeps UTC.
LOCAL_TIME = ZoneInfo("Europe/Moscow")
TEMPLATES = Path(__file__).parent.parent / "templates"


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str
    roles: tuple[str, ...]


# A new page adds one line here; the layout shows the pages the user's role may open.
NAVIGATION: list[NavItem] = [
    NavItem("/", "Обзор", (OPERATOR, FINANCE)),
    NavItem("/leads", "Заявки", (OPERATOR, FINANCE)),
    NavItem("/outbox", "Очередь в Авито", (OPERATOR,)),
    NavItem("/funnel", "Воронка", (OPERATOR, FINANCE, ADMIN)),
    NavItem("/reconciliation", "Сверка", (OPERATOR,)),
    NavItem("/quarantine", "Карантин", (OPERATOR,)),
    NavItem("/avito-changes", "Изменения API Авито", (OPERATOR,)),
    NavItem("/settlements", "Взаиморасчёты", (FINANCE,)),
    NavItem("/charts", "Графики", (OPERATOR, FINANCE)),
    NavItem("/first-contact", "Скорость реакции", (OPERATOR, FINANCE, ADMIN)),
    NavItem("/alerts", "Оповещения", (OPERATOR,)),
]


def nav_for(role: str) -> list[NavItem]:
    return [item for item in NAVIGATION if permits(role, item.roles)]


def rubles(kopecks: int | None) -> str:
    """12345600 → "123 456 ₽"; kopecks only when there are any."""
    if kopecks is None:
        return "—"
    value = Decimal(kopecks) / 100
    text = f"{value:,.2f}" if kopecks % 100 else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",") + " ₽"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M:%S")


def since(seconds: float | None) -> str:
    """A duration as a person reads it: "4 с", "12 мин", "3 ч 5 мин"."""
    if seconds is None:
        return "—"
    whole = int(max(seconds, 0))
    if whole < 60:
        return f"{whole} с"
    if whole < 3600:
        return f"{whole // 60} мин"
    return f"{whole // 3600} ч {whole % 3600 // 60} мин"


@pass_context
def _partner_link(context: Context, url: str | None) -> Markup:
    """`{{ url | partner_link }}`: the hosts allowed as links are a setting."""
    return partner_link(url, context_of(context["request"]).settings.web.allowed_link_hosts)


def _label_of(table: dict[str, str]) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        return table.get(code, code) if code else "—"

    return label


def _make_templates() -> Jinja2Templates:
    made = Jinja2Templates(directory=TEMPLATES)
    install_template_helpers(made)
    made.env.globals.update(nav_for=nav_for)
    made.env.filters.update(
        rubles=rubles, local_time=local_time, since=since, partner_link=_partner_link
    )
    # Codes become Russian names in the templates, from the one table in `labels`.
    made.env.filters.update(
        avito_status=labels.avito_status,
        outbox_state=labels.outbox_state,
        avito_answer=labels.avito_answer,
        action_change=labels.action_change,
        limiter=labels.limiter,
        settlement_kind=_label_of(labels.SETTLEMENT_KIND_LABELS),
        device_category=_label_of(labels.DEVICE_CATEGORY_LABELS),
        avito_result=_label_of(labels.AVITO_RESULT_LABELS),
        role=_label_of(labels.ROLE_LABELS),
    )
    return made


templates = _make_templates()

"""What every dashboard page shares: the templates, the navigation, and display formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from leadbridge.domain.periods import BUSINESS_TIME_ZONE
from leadbridge.security.roles import ADMIN, FINANCE, OPERATOR, permits
from leadbridge.web.auth import install_template_helpers
from leadbridge.web.context import context_of
from leadbridge.web.links import partner_link
from leadbridge.web.pages import labels, numbers
from leadbridge.web.pages.numbers import rubles, span

# Operators work on the business time zone, the one settlement weeks are cut in; the database
# keeps UTC. Every page names the zone once, in its footer (`zone_note`).
LOCAL_TIME = BUSINESS_TIME_ZONE
ZONE_NAMES = {"Europe/Moscow": "московское"}
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


def zone_note(zone: str = LOCAL_TIME.key) -> str:
    """«Время — московское (Europe/Moscow)»: said once per page, under its content."""
    named = ZONE_NAMES.get(zone)
    return f"Время — {named} ({zone})" if named else f"Время — по часовому поясу {zone}"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M:%S")


def since(seconds: float | None) -> str:
    """A duration as a person reads it: "4 с", "12 мин", "3 ч 5 мин", "2 дн 3 ч"."""
    return span(seconds)


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
    made.env.globals.update(nav_for=nav_for, zone_note=zone_note())
    made.env.filters.update(
        rubles=rubles, local_time=local_time, since=since, partner_link=_partner_link
    )
    # Numbers in Russian: «77,2 %», «41 000», «3,5 ч» (`numbers`).
    made.env.filters.update(
        count=numbers.count,
        percent=numbers.percent,
        duration=numbers.duration,
        number=numbers.number,
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

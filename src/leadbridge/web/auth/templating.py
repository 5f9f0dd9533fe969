"""What dashboard templates need from security: the CSRF field and masked personal data."""

from __future__ import annotations

from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from leadbridge.security.roles import mask_name, mask_phone
from leadbridge.web.auth import sessions
from leadbridge.web.auth.guard import CurrentUser

_FIELD = Markup('<input type="hidden" name="csrf_token" value="{}">')


def install_template_helpers(templates: Jinja2Templates) -> None:
    env = templates.env
    env.globals.update(csrf_token=_csrf_token, csrf_field=_csrf_field, current_user=_user)
    env.filters.update(phone=_phone, person=_person)


@pass_context
def _csrf_token(context: Context) -> str:
    return sessions.csrf_token(context["request"])


@pass_context
def _csrf_field(context: Context) -> Markup:
    token = sessions.csrf_token(context["request"])
    return _FIELD.format(token)  # format() escapes the token


@pass_context
def _user(context: Context) -> CurrentUser | None:
    user: Any = getattr(context["request"].state, "user", None)
    return user if isinstance(user, CurrentUser) else None


def _role(context: Context) -> str:
    user = _user(context)
    return user.role if user else ""  # no known user: mask, never show by default


@pass_context
def _phone(context: Context, value: str | None) -> str:
    return mask_phone(value, _role(context))


@pass_context
def _person(context: Context, value: str | None) -> str:
    return mask_name(value, _role(context))

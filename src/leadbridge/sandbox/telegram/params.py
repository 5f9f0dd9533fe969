"""A Bot API call's parameters, passed any of the ways the Bot API takes them: the query
string, or a POST body as JSON, application/x-www-form-urlencoded or multipart/form-data
(core.telegram.org/bots/api#making-requests). An object-valued parameter sent in a query or a
form is JSON-serialized text, as the Bot API expects."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request


async def params_of(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        if isinstance(body, dict):
            params.update(body)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        params.update({name: value for name, value in form.items() if isinstance(value, str)})
    return params


def object_param(value: Any) -> dict[str, Any]:
    """An object parameter, given as JSON or as JSON-serialized text; {} if neither."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")

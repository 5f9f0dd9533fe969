"""Custom-field values checked as amoCRM checks them; errors in its `validation-errors` shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCALAR_TYPES = {"text", "numeric", "textarea", "url", "price", "streetaddress"}


class ValidationFailed(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Request validation failed")
        self.errors = errors


def error(request_id: str, code: str, path: str, detail: str) -> dict[str, Any]:
    return {"request_id": request_id, "errors": [{"code": code, "path": path, "detail": detail}]}


def normalized_values(
    raw: Any, fields: Mapping[int, Mapping[str, Any]], request_id: str, prefix: str = ""
) -> list[dict[str, Any]] | None:
    """Validated `custom_fields_values` in GET shape; raises ValidationFailed."""
    if raw is None:
        return None
    by_code = {f["code"]: f for f in fields.values() if f.get("code")}
    result = []
    for index, entry in enumerate(raw):
        path = f"{prefix}custom_fields_values.{index}"
        field = fields.get(entry.get("field_id")) or by_code.get(entry.get("field_code"))
        if field is None:
            raise ValidationFailed(
                [
                    error(
                        request_id,
                        "NotSupportedChoice",
                        f"{path}.field_id",
                        "The value you selected is not a valid choice.",
                    )
                ]
            )
        values = [
            _value(field, value, request_id, f"{path}.values.{j}")
            for j, value in enumerate(entry.get("values") or [])
        ]
        result.append(
            {
                "field_id": field["id"],
                "field_name": field["name"],
                "field_code": field.get("code"),
                "field_type": field["type"],
                "values": values,
            }
        )
    return result


def _value(
    field: Mapping[str, Any], value: Mapping[str, Any], request_id: str, path: str
) -> dict[str, Any]:
    kind = field["type"]
    if kind in ("select", "multiselect", "radiobutton"):
        return _enum(field, value, request_id, path)
    if kind == "multitext":
        return {"value": str(value.get("value")), "enum_code": value.get("enum_code", "WORK")}
    if "value" not in value or set(value) - {"value"}:
        raise ValidationFailed(
            [error(request_id, "FieldNotExpected", path, "This field was not expected.")]
        )
    raw = value["value"]
    if kind == "checkbox" and not isinstance(raw, bool):
        raise ValidationFailed([error(request_id, "InvalidType", f"{path}.value", "Expected bool")])
    if kind == "date" and not isinstance(raw, int | str):
        raise ValidationFailed([error(request_id, "InvalidType", f"{path}.value", "Expected date")])
    if kind == "numeric":
        try:
            float(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(
                [error(request_id, "InvalidType", f"{path}.value", "Expected number")]
            ) from None
    return {"value": raw}


def _enum(
    field: Mapping[str, Any], value: Mapping[str, Any], request_id: str, path: str
) -> dict[str, Any]:
    enums = field.get("enums") or []
    if "enum_id" in value:
        match = next((e for e in enums if e["id"] == value["enum_id"]), None)
    else:
        match = next((e for e in enums if e["value"] == value.get("value")), None)
    if match is None:
        raise ValidationFailed(
            [
                error(
                    request_id,
                    "NotSupportedChoice",
                    path,
                    "The value you selected is not a valid choice.",
                )
            ]
        )
    return {"value": match["value"], "enum_id": match["id"]}

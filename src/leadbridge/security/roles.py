"""Dashboard roles and what each may see.

operator: leads and outbox actions; finance: settlements and statistics, no personal data;
admin: everything, including users.
"""

from __future__ import annotations

OPERATOR = "operator"
FINANCE = "finance"
ADMIN = "admin"
ROLES = (OPERATOR, FINANCE, ADMIN)
MASK = "***"


def permits(role: str, required: tuple[str, ...]) -> bool:
    return role == ADMIN or role in required


def sees_personal_data(role: str) -> bool:
    """Finance works with money and counts; it has no reason to see who sold what."""
    return role in (OPERATOR, ADMIN)


def mask_phone(phone: str | None, role: str) -> str:
    """`+79161234512` → `+7 *** ***-**-12` for roles without personal data."""
    if not phone:
        return ""
    if sees_personal_data(role):
        return phone
    digits = [char for char in phone if char.isdigit()]
    return f"+{digits[0] if digits else '?'} *** ***-**-{''.join(digits[-2:])}"


def mask_name(name: str | None, role: str) -> str:
    """`Иван Петров` → `И***` for roles without personal data."""
    if not name:
        return ""
    if sees_personal_data(role):
        return name
    return name.strip()[:1] + MASK

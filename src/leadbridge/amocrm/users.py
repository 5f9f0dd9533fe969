"""amoCRM's users (`GET /api/v4/users`, reference §7.1), as setup checks the routing's ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    id: int
    is_active: bool


def user(body: Any) -> User | None:
    """A deactivated user has `rights.is_active` false; a lean answer without `rights` is taken
    as active, since amoCRM lists deactivated users with it."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), int):
        return None
    rights = body.get("rights")
    active = rights.get("is_active", True) if isinstance(rights, dict) else True
    return User(body["id"], active is not False)

"""Which amoCRM account the token is of: `GET /api/v4/account`'s `id`.

Webhooks are not signed; the account they name is the one check of their origin beyond the
secret path (reference §9.3). Read here rather than in `AmoApi` so that in-memory stand-ins of
the API need not answer it.
"""

from __future__ import annotations

from typing import Any

from leadbridge.amocrm.answers import AmoAnswerError
from leadbridge.amocrm.api import AmoApi

ACCOUNT_PATH = "/api/v4/account"


async def account_id(api: AmoApi) -> int:
    """AmoAnswerError when the answer names no account: an id is what every account has."""
    answer = await api.client.request("GET", ACCOUNT_PATH)
    found = _positive_int(answer.get("id") if isinstance(answer, dict) else None)
    if found is None:
        raise AmoAnswerError(f"amoCRM answered {ACCOUNT_PATH} without the account's id")
    return found


def _positive_int(value: Any) -> int | None:
    # bool is an int to Python, not an id to amoCRM.
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None

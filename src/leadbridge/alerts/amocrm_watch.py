"""The alert engine's own look at amoCRM: one call a minute that lists our webhook, which also
shows whether the account is blocked and whether the token works."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta

import httpx

from leadbridge.amocrm.answers import Webhook
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoApiError, AmoBlocked
from leadbridge.amocrm.tokens import AmoAuthError
from leadbridge.domain.alert_rules import AmoCrmReading


class AmoCrmWatch:
    def __init__(
        self,
        api: AmoApi,
        webhook_url: str | None,
        long_lived_token: str = "",
        check_every: timedelta = timedelta(seconds=60),  # 1 request a minute of amoCRM's 7/s
    ) -> None:
        self._api = api
        self._check_every = check_every
        self._webhook_url = webhook_url
        self._token_expires_at = token_expiry(long_lived_token)
        self._checked_at: datetime | None = None
        self._blocked_since: datetime | None = None
        self._last = AmoCrmReading(token_expires_at=self._token_expires_at)

    async def reading(self, now: datetime) -> AmoCrmReading:
        if self._checked_at is None or now - self._checked_at >= self._check_every:
            self._checked_at = now
            self._last = await self._check(now)
        return self._last

    async def _check(self, now: datetime) -> AmoCrmReading:
        expires = self._token_expires_at
        try:
            hooks = await self._api.webhooks(self._webhook_url or "")
        except AmoBlocked:
            self._blocked_since = self._blocked_since or now
            return AmoCrmReading(blocked_since=self._blocked_since, token_expires_at=expires)
        except AmoAuthError as error:
            self._blocked_since = None
            return AmoCrmReading(auth_error=str(error), token_expires_at=expires)
        except (AmoApiError, httpx.HTTPError):
            # amoCRM's passing trouble says nothing about the webhook: keep what we knew.
            return AmoCrmReading(
                blocked_since=self._blocked_since,
                webhook_ok=self._last.webhook_ok,
                webhook_problem=self._last.webhook_problem,
                token_expires_at=expires,
            )
        self._blocked_since = None
        return _judged(hooks, self._webhook_url, expires)


def _judged(hooks: list[Webhook], url: str | None, expires: datetime | None) -> AmoCrmReading:
    if url is None:  # no public URL: the events catch-up does the webhook's job
        return AmoCrmReading(token_expires_at=expires)
    ours = [hook for hook in hooks if hook.destination == url]
    problem = ""
    if not ours:
        problem = "в amoCRM нет вебхука на наш адрес; изменения этапов идут только опросом"
    elif all(hook.disabled for hook in ours):
        problem = "amoCRM отключил наш вебхук после ошибок доставки; включите его в amoCRM"
    return AmoCrmReading(webhook_ok=not problem, webhook_problem=problem, token_expires_at=expires)


def token_expiry(token: str) -> datetime | None:
    """A long-lived token is a JWT: its `exp` claim, read without checking the signature (we
    only want its date); None for no token or one that is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError):
        return None

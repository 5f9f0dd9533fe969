"""amoCRM OAuth tokens, kept in the database.

Refresh tokens are single-use: a second refresh with the same token revokes access. So a refresh
happens under the token row's lock, re-reads the row first (another worker may have refreshed
already), and persists the new pair in the same transaction.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leadbridge.config import AmoCrmSettings
from leadbridge.store import tokens as token_store
from leadbridge.store.database import Database

PROVIDER = "amocrm"
RENEW_BEFORE_EXPIRY = timedelta(minutes=10)
LONG_LIVED_EXPIRY = datetime(2100, 1, 1, tzinfo=UTC)


class AmoAuthError(RuntimeError):
    """No usable token: the integration must be authorised again (`leadbridge auth amocrm`)."""


class AmoTokens:
    def __init__(self, db: Database, http: httpx.AsyncClient, settings: AmoCrmSettings) -> None:
        self._db = db
        self._http = http
        self._settings = settings
        self._cached: tuple[str, datetime] | None = None
        self._rejected: str | None = None  # answered 401 before its expiry: refresh it
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        async with self._lock:
            if self._cached and datetime.now(UTC) < self._cached[1] - RENEW_BEFORE_EXPIRY:
                return self._cached[0]
            return await self._load_or_refresh()

    def invalidate(self) -> None:
        """The cached token was answered 401: refresh it, unless another process already did."""
        if self._cached is not None:
            self._rejected = self._cached[0]
        self._cached = None

    async def bootstrap(self) -> None:
        """Make sure a token exists: a long-lived token, or an authorization code to exchange."""
        async with self._db.transaction() as session:
            if await token_store.token(session, PROVIDER) is not None:
                return
        long_lived = self._settings.long_lived_token.get_secret_value()
        if long_lived:
            await self._save(long_lived, None, LONG_LIVED_EXPIRY)
            return
        code = self._settings.auth_code.get_secret_value()
        if not code:
            raise AmoAuthError("no amoCRM token: set amocrm.auth_code or amocrm.long_lived_token")
        await self.exchange_code(code)

    async def exchange_code(self, code: str) -> None:
        answer = await self._grant({"grant_type": "authorization_code", "code": code})
        await self._save(answer["access_token"], answer["refresh_token"], _expiry(answer))

    async def _load_or_refresh(self) -> str:
        async with self._db.transaction() as session:
            row = await token_store.token(session, PROVIDER, lock=True)
            if row is None:
                raise AmoAuthError("no amoCRM token stored: run `leadbridge auth amocrm`")
            now = datetime.now(UTC)
            fresh = (
                row.expires_at - RENEW_BEFORE_EXPIRY > now and row.access_token != self._rejected
            )
            if fresh or row.refresh_token is None:
                self._cached = (row.access_token, row.expires_at)
                return row.access_token
            answer = await self._grant(
                {"grant_type": "refresh_token", "refresh_token": row.refresh_token}
            )
            expires_at = _expiry(answer)
            await token_store.save_token(
                session,
                PROVIDER,
                access_token=answer["access_token"],
                refresh_token=answer["refresh_token"],
                expires_at=expires_at,
                now=now,
            )
        self._cached = (answer["access_token"], expires_at)
        return str(answer["access_token"])

    async def _grant(self, grant: dict[str, str]) -> dict[str, Any]:
        body = {
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret.get_secret_value(),
            "redirect_uri": self._settings.redirect_uri,
            **grant,
        }
        response = await self._http.post("/oauth2/access_token", json=body)
        if response.status_code == 400 and grant["grant_type"] == "authorization_code":
            raise AmoAuthError(
                f"amoCRM refused the authorization code (400{_hint(response)}): a code works "
                "once and for 20 minutes; get a new code from the integration's settings in "
                "amoCRM (Keys and scopes) and set amocrm.auth_code, or run `leadbridge auth "
                "amocrm --code NEW` (amocrm.redirect_uri must be the integration's exactly)"
            )
        if response.status_code in (400, 401, 403):
            raise AmoAuthError(
                f"amoCRM refused the {grant['grant_type']} grant "
                f"({response.status_code}{_hint(response)})"
            )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    async def _save(self, access: str, refresh: str | None, expires_at: datetime) -> None:
        async with self._db.transaction() as session:
            await token_store.save_token(
                session,
                PROVIDER,
                access_token=access,
                refresh_token=refresh,
                expires_at=expires_at,
                now=datetime.now(UTC),
            )
        self._cached = (access, expires_at)


def _hint(response: httpx.Response) -> str:
    """amoCRM's own words on a refused grant, e.g. ": Authorization code has expired or is
    invalid"; empty when the answer carries none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    hint = body.get("hint") or body.get("detail") if isinstance(body, dict) else None
    return f": {' '.join(str(hint).split())}" if hint else ""


def _expiry(answer: dict[str, Any]) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=int(answer.get("expires_in", 86400)))

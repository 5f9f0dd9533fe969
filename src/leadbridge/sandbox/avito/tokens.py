"""Access tokens of the client_credentials flow: issued, looked up, expired."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from enum import Enum


class TokenCheck(Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


class TokenStore:
    """Every issued token stays valid until its own expiry; a new one does not revoke it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self.issued = 0

    def issue(self, ttl_s: float) -> str:
        token = secrets.token_urlsafe(32)
        self._expiry[token] = self._clock() + ttl_s
        self.issued += 1
        return token

    def check(self, token: str | None) -> TokenCheck:
        expiry = self._expiry.get(token or "")
        if expiry is None:
            return TokenCheck.UNKNOWN
        return TokenCheck.VALID if self._clock() < expiry else TokenCheck.EXPIRED

    def expire_all(self) -> None:
        """Fault injection: every token issued so far is expired from now on."""
        now = self._clock()
        self._expiry = {token: min(expiry, now) for token, expiry in self._expiry.items()}

    def revoke_all(self) -> None:
        """Fault injection: Avito forgets every token, so each is answered 401 from now on."""
        self._expiry.clear()

    def to_json(self) -> dict[str, int]:
        now = self._clock()
        live = sum(1 for expiry in self._expiry.values() if now < expiry)
        return {"issued": self.issued, "live": live}

"""The account block: after repeated 429s amoCRM answers every call with an HTML 403.

Unblocking may take amoCRM's support, and every further request only proves us abusive. So while
blocked nobody calls: callers get `AmoBlocked` at once, and after a pause one caller sends a single
probe. A probe that is still refused doubles the pause (up to a ceiling).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

log = structlog.get_logger(__name__)


class BlockGuard:
    def __init__(
        self,
        *,
        first_pause_s: float = 300.0,
        max_pause_s: float = 7200.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._first_pause = first_pause_s
        self._max_pause = max(max_pause_s, first_pause_s)
        self._clock = clock
        self._pause = first_pause_s
        self._probe_at: float | None = None  # None: not blocked
        self._probing = False

    @property
    def active(self) -> bool:
        return self._probe_at is not None

    @property
    def probe_at(self) -> datetime | None:
        """When the next probe may go; None while not blocked."""
        if self._probe_at is None:
            return None
        return datetime.fromtimestamp(self._probe_at, UTC)

    def claim_probe(self) -> bool:
        """True for the one caller that may probe now; everyone else must stay away."""
        if self._probe_at is None or self._probing or self._clock() < self._probe_at:
            return False
        self._probing = True
        return True

    def refused(self) -> None:
        """amoCRM answered a block 403: start a block, or (for a probe) wait twice as long."""
        if self._probe_at is None:
            self._pause = self._first_pause
            log.error(
                "amocrm.blocked",
                alert=True,
                probe_in_s=self._pause,
                hint="amoCRM blocked the account's API for rate-limit violations; "
                "all calls stop; support may have to lift it",
            )
        elif self._probing:
            self._pause = min(self._pause * 2, self._max_pause)
            log.warning("amocrm.still_blocked", probe_in_s=self._pause)
        self._probing = False
        self._probe_at = self._clock() + self._pause

    def probe_inconclusive(self) -> None:
        """The probe got no answer at all: try again after the same pause."""
        self._probing = False
        if self._probe_at is not None:
            self._probe_at = self._clock() + self._pause

    def lifted(self) -> None:
        if self._probe_at is not None:
            log.info("amocrm.unblocked")
        self._probe_at, self._probing, self._pause = None, False, self._first_pause

"""What the checks share: the settings the first check loaded, and connections opened once
(the database, amoCRM's and Avito's clients), closed when the doctor is done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from leadbridge.amocrm.api import AmoApi
from leadbridge.config import Settings
from leadbridge.store.database import Database

# A check waits this long at most: amoCRM's client retries a dead connection for about 20 s.
CHECK_TIMEOUT_S = 30.0


@dataclass
class Context:
    load_settings: Callable[[], Settings]  # raises with a one-line message (cli/doctor.py)
    send_test: bool = False
    loaded: Settings | None = None
    database: Database | None = None
    amo: AmoApi | None = None
    avito: httpx.AsyncClient | None = None
    avito_token: str | None = None
    passed: set[str] = field(default_factory=set)

    @property
    def settings(self) -> Settings:
        """Every check but the first runs only once the settings have loaded."""
        assert self.loaded is not None, "the configuration check runs first"
        return self.loaded

    def db(self) -> Database:
        if self.database is None:
            self.database = Database(self.settings.database_url)
        return self.database

    async def aclose(self) -> None:
        if self.amo is not None:
            await self.amo.aclose()
        if self.avito is not None:
            await self.avito.aclose()
        if self.database is not None:
            await self.database.dispose()

"""The simulated account: users, pipelines, fields, deals, contacts, tasks, events; tokens and
limits.

Where the reference (amocrm-api-v4.md) says UNCONFIRMED, the simulator makes a choice; every
choice is listed in docs/amocrm-simulator.md.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import defaultdict, deque
from itertools import count
from typing import Any

from leadbridge.sandbox.amocrm.blocking import AccountBlock, BlockPolicy
from leadbridge.sandbox.amocrm.config import AmoSandboxConfig, Stats, Token
from leadbridge.sandbox.amocrm.faults import Faults
from leadbridge.sandbox.amocrm.users import UserDirectory
from leadbridge.sandbox.amocrm.views import state_dump
from leadbridge.sandbox.amocrm.webhooks import WebhookDispatcher
from leadbridge.sandbox.retry_delay import RetryDelayKnob

__all__ = ["AmoSandbox", "AmoSandboxConfig", "Stats", "Token"]

WON, LOST = 142, 143
CODE_TTL_S = 20 * 60
TOKEN_TTL_S = 86400
DEFAULT_STATUSES = ("Первичный контакт", "Переговоры", "Принимают решение")


class AmoSandbox(RetryDelayKnob):
    webhooks: WebhookDispatcher  # narrower than the mixin's: the sandbox uses all of it

    def __init__(self, config: AmoSandboxConfig | None = None) -> None:
        self.config = config or AmoSandboxConfig()
        self._ids = count(1_000_001)
        self.now = time.time
        self.codes: dict[str, float] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh → lineage
        self.used_refresh: set[str] = set()
        self.windows: defaultdict[str, deque[float]] = defaultdict(deque)
        self.stats = Stats()
        self.pipelines: dict[int, dict[str, Any]] = {}
        self.fields: dict[int, dict[str, Any]] = {}
        self.contact_fields: dict[int, dict[str, Any]] = {}
        self.loss_reasons: dict[int, dict[str, Any]] = {}
        self.leads: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self.tasks: dict[int, dict[str, Any]] = {}
        self.users = UserDirectory(self.config.integration_user, self.config.users)
        self.events: list[dict[str, Any]] = []
        self.tags: dict[str, int] = {}
        self.block = AccountBlock(
            BlockPolicy(
                self.config.block_after_429s,
                self.config.block_window_s,
                self.config.block_duration_s,
            )
        )
        self.faults = Faults(self.config.faults)
        self.webhooks = WebhookDispatcher(self)
        self._event_seq = count(1)
        self._seed_account()

    @property
    def block_time_scale(self) -> float:
        return self.block.time_scale

    @block_time_scale.setter
    def block_time_scale(self, value: float) -> None:
        self.block.time_scale = value

    def next_id(self) -> int:
        return next(self._ids)

    def _seed_account(self) -> None:
        main = self.add_pipeline("Воронка", is_main=True)
        for index, name in enumerate(DEFAULT_STATUSES, start=1):
            self.add_status(main["id"], name, 10 * (index + 1), "#99ccff")
        for code in ("PHONE", "EMAIL"):
            field_id = self.next_id()
            self.contact_fields[field_id] = {
                "id": field_id,
                "name": "Телефон" if code == "PHONE" else "Email",
                "code": code,
                "type": "multitext",
                "sort": 4,
                "is_predefined": True,
                "enums": None,
            }

    # --- auth -------------------------------------------------------------------------------
    def issue_auth_code(self) -> str:
        code = "def5" + secrets.token_hex(24)
        self.codes[code] = self.now() + CODE_TTL_S
        return code

    def issue_person_token(self, user_id: int | None = None) -> str:
        """A person's web session: the given user's, else the integration's admin."""
        return self._access("person:" + secrets.token_hex(4), "person", user_id=user_id)

    def issue_long_lived_token(self, days: int = 365) -> str:
        """A private integration's token (reference §1.4): no refresh token, used as it is."""
        return self._access("long-lived:" + secrets.token_hex(4), "integration", days * 86400)

    def issue_pair(self, lineage: str) -> dict[str, Any]:
        refresh = secrets.token_hex(32)
        self.refresh_tokens[refresh] = lineage
        return {
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "server_time": int(self.now()),
            "access_token": self._access(lineage, "integration"),
            "refresh_token": refresh,
        }

    def _access(
        self, lineage: str, kind: str, ttl_s: int = TOKEN_TTL_S, user_id: int | None = None
    ) -> str:
        claims = {
            "exp": int(self.now()) + ttl_s,
            "api_domain": "api-b.amocrm.ru",
            "jti": secrets.token_hex(8),
            "account_id": self.config.account_id,
        }
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token = f"eyJhbGciOiJub25lIn0.{body}.{secrets.token_hex(8)}"
        user = user_id if user_id is not None else self.users.integration_id
        self.tokens[token] = Token(lineage, kind, self.now() + ttl_s, user)
        return token

    def admit(self, token: Token) -> bool:
        """Sliding one-second windows per integration lineage and per account.

        A person's session is the web interface, not the API: it is neither limited nor counted
        against the account, so simulated managers never cost the integration its budget.
        """
        now = self.now()
        self.stats.requests_total += 1
        self.stats.by_kind[token.kind] = self.stats.by_kind.get(token.kind, 0) + 1
        if token.kind != "integration":
            return True
        buckets = (
            ("account", self.config.account_rps),
            (token.lineage, self.config.integration_rps),
        )
        for key, limit in buckets:
            window = self.windows[key]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                self.stats.rate_limited_total += 1
                self.block.violation(now)
                return False
        for key, _ in buckets:
            self.windows[key].append(now)
        seen = len(self.windows[token.lineage])
        self.stats.max_integration_rps_observed = max(self.stats.max_integration_rps_observed, seen)
        return True

    # --- pipelines ----------------------------------------------------------------------------
    def add_pipeline(self, name: str, *, is_main: bool = False, sort: int = 1) -> dict[str, Any]:
        pipeline_id = self.next_id()
        pipeline = {
            "id": pipeline_id,
            "name": name,
            "sort": sort,
            "is_main": is_main,
            "is_unsorted_on": False,
            "is_archive": False,
            "account_id": self.config.account_id,
            "statuses": {},
        }
        self.pipelines[pipeline_id] = pipeline
        self.add_status(pipeline_id, "Неразобранное", 10, "#c1c1c1", kind=1)
        self._status(pipeline_id, WON, "Успешно реализовано", 10000, "#CCFF66")
        self._status(pipeline_id, LOST, "Закрыто и не реализовано", 11000, "#D5D8DB")
        return pipeline

    def add_status(
        self, pipeline_id: int, name: str, sort: int, color: str, kind: int = 0
    ) -> dict[str, Any]:
        return self._status(pipeline_id, self.next_id(), name, sort, color, kind=kind)

    def _status(
        self, pipeline_id: int, status_id: int, name: str, sort: int, color: str, *, kind: int = 0
    ) -> dict[str, Any]:
        status = {
            "id": status_id,
            "name": name,
            "sort": sort,
            "is_editable": status_id not in (WON, LOST),
            "pipeline_id": pipeline_id,
            "color": color,
            "type": kind,
            "account_id": self.config.account_id,
        }
        self.pipelines[pipeline_id]["statuses"][status_id] = status
        return status

    def first_status(self, pipeline_id: int) -> int:
        statuses = self.pipelines[pipeline_id]["statuses"].values()
        working = sorted(
            (s for s in statuses if s["type"] == 0 and s["id"] not in (WON, LOST)),
            key=lambda s: s["sort"],
        )
        return int(working[0]["id"]) if working else WON

    def main_pipeline(self) -> int:
        return next(pid for pid, p in self.pipelines.items() if p["is_main"])

    # --- status changes -----------------------------------------------------------------------
    def record_status_change(self, lead: dict[str, Any], before: tuple[int, int]) -> None:
        """An event for the events API and a webhook for subscribers, with the same time."""
        now = int(self.now())
        after = (lead["status_id"], lead["pipeline_id"])
        sequence = next(self._event_seq)
        self.events.append(
            {
                "id": f"01{sequence:024d}",
                "type": "lead_status_changed",
                "entity_id": lead["id"],
                "entity_type": "lead",
                "created_by": 0,
                "created_at": now,
                "value_before": [{"lead_status": {"id": before[0], "pipeline_id": before[1]}}],
                "value_after": [{"lead_status": {"id": after[0], "pipeline_id": after[1]}}],
                "account_id": self.config.account_id,
            }
        )
        self.webhooks.status_changed(lead, before, now)

    def state_json(self) -> dict[str, Any]:
        return state_dump(self)

    async def aclose(self) -> None:
        await self.webhooks.aclose()

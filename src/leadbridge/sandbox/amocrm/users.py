"""The account's users (reference §7.1; amoCRM's users-api): city teams of managers, one person
who left, and the integration's own user — the admin whose tokens the integration acts with.

Each city is a user group (`rights.group_id`, `with=group`), so a router can pick a manager by
the deal's city. Ids are numbered from fixed bases in the order of the config, so a test or a
rehearsal knows them before the account starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any

from leadbridge.sandbox.amocrm.validation import ValidationFailed, error

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox

USER_IDS_FROM = 5_000_001
GROUP_IDS_FROM = 400_001
UNKNOWN = "The value you selected is not a valid choice."
EVERYTHING = {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"}
# A manager works every deal but deletes and exports nothing: the usual shop set-up.
MANAGER = {"view": "A", "edit": "A", "add": "A", "delete": "D", "export": "D"}


@dataclass(frozen=True)
class UserSeed:
    name: str
    email: str
    team: str | None = None  # the group (a city); None: the account's default group
    is_admin: bool = False
    is_active: bool = True  # False: deactivated, cannot be made responsible for anything
    phone: str | None = None


INTEGRATION_USER = UserSeed(
    "leadbridge (интеграция)", "integration@leadbridge.example", is_admin=True
)
CITY_TEAMS: tuple[UserSeed, ...] = (
    UserSeed("Анна Смирнова", "a.smirnova@buyout.example", "Москва", phone="+79001000001"),
    UserSeed("Дмитрий Козлов", "d.kozlov@buyout.example", "Москва", phone="+79001000002"),
    UserSeed("Ольга Новикова", "o.novikova@buyout.example", "Москва", phone="+79001000003"),
    UserSeed("Игорь Волков", "i.volkov@buyout.example", "Москва", is_active=False),
    UserSeed("Мария Соколова", "m.sokolova@buyout.example", "Санкт-Петербург"),
    UserSeed("Алексей Морозов", "a.morozov@buyout.example", "Санкт-Петербург"),
    UserSeed("Елена Павлова", "e.pavlova@buyout.example", "Санкт-Петербург"),
    UserSeed("Рустам Галиев", "r.galiev@buyout.example", "Казань"),
    UserSeed("Алия Хасанова", "a.khasanova@buyout.example", "Казань"),
    UserSeed("Сергей Кузнецов", "s.kuznetsov@buyout.example", "Екатеринбург"),
    UserSeed("Наталья Попова", "n.popova@buyout.example", "Екатеринбург"),
)


class UserDirectory:
    """Users in amoCRM's v4 model (without `_links`), their groups, and the extras `with=` adds."""

    def __init__(self, integration: UserSeed, seeds: Sequence[UserSeed]) -> None:
        self.users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, str] = {}
        self._phones: dict[int, str | None] = {}
        ids = count(USER_IDS_FROM)
        self.integration_id = self._add(next(ids), integration)
        for seed in seeds:
            self._add(next(ids), seed)

    def _add(self, user_id: int, seed: UserSeed) -> int:
        group_id = self._group(seed.team)
        rights = EVERYTHING if seed.is_admin else MANAGER
        self.users[user_id] = {
            "id": user_id,
            "name": seed.name,
            "email": seed.email,
            "lang": "ru",
            "rights": {
                "leads": dict(rights),
                "contacts": dict(rights),
                "companies": dict(rights),
                "tasks": {"edit": "A", "delete": rights["delete"]},
                "mail_access": False,
                "catalog_access": seed.is_admin,
                "status_rights": None,
                "is_admin": seed.is_admin,
                "is_free": False,
                "is_active": seed.is_active,
                "group_id": group_id,
                "role_id": None,
            },
        }
        self._phones[user_id] = seed.phone
        return user_id

    def _group(self, team: str | None) -> int | None:
        if team is None:
            return None
        known = next((gid for gid, name in self.groups.items() if name == team), None)
        if known is not None:
            return known
        group_id = GROUP_IDS_FROM + len(self.groups)
        self.groups[group_id] = team
        return group_id

    def assignable(self, user_id: int) -> bool:
        user = self.users.get(user_id)
        return user is not None and bool(user["rights"]["is_active"])

    def is_admin(self, user_id: int) -> bool:
        user = self.users.get(user_id)
        return user is not None and bool(user["rights"]["is_admin"])

    def group_id(self, user_id: int) -> int:
        """The group a deal or task of this user belongs to; 0 is the default group."""
        user = self.users.get(user_id)
        return int(user["rights"]["group_id"] or 0) if user is not None else 0

    def to_json(self, user_id: int, extras: Collection[str] = ()) -> dict[str, Any]:
        """One user as `GET /api/v4/users` shows it; `extras` are the `with=` values."""
        user = self.users[user_id]
        body: dict[str, Any] = {**user, "_links": {"self": {"href": f"/api/v4/users/{user_id}"}}}
        if "phone_number" in extras:
            body["phone_number"] = self._phones[user_id]
        if "amojo_id" in extras:
            body["amojo_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"amojo-user:{user_id}"))
        if "uuid" in extras:
            body["uuid"] = None  # "not used by third-party integrations" (users-api)
        if "user_rank" in extras:
            body["user_rank"] = "master" if user["rights"]["is_admin"] else "newbie"
        embedded: dict[str, Any] = {}
        if "role" in extras:
            embedded["roles"] = []  # no roles are set up: rights are per user
        if "group" in extras:
            group_id = user["rights"]["group_id"]
            embedded["groups"] = (
                [] if group_id is None else [{"id": group_id, "name": self.groups[group_id]}]
            )
        if embedded:
            body["_embedded"] = embedded
        return body

    def state_json(self) -> list[dict[str, Any]]:
        """Every user with its group's name, for `GET /sandbox/state`."""
        return [self.to_json(user_id, ("group", "phone_number")) for user_id in self.users]


def check_responsible(sandbox: AmoSandbox, raw: Any, request_id: str, prefix: str = "") -> None:
    """A `responsible_user_id` that is given must name an active user of the account.

    amoCRM answers an unknown id `NotSupportedChoice` at the field's path. A deactivated user
    is refused the same way (UNCONFIRMED: see docs/amocrm-simulator.md).
    """
    if not isinstance(raw, dict) or raw.get("responsible_user_id") is None:
        return
    if not sandbox.users.assignable(int(raw["responsible_user_id"])):
        path = f"{prefix}responsible_user_id"
        raise ValidationFailed([error(request_id, "NotSupportedChoice", path, UNKNOWN)])


def acting_user(sandbox: AmoSandbox, authorization: str) -> int:
    """The user a request acts as: its token's, else the integration's own user."""
    token = sandbox.tokens.get(authorization.removeprefix("Bearer ").strip())
    if token is not None and token.user_id:
        return token.user_id
    return sandbox.users.integration_id

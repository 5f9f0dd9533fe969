"""The amoCRM account this bridge serves: the one its token is of, recorded (`crm_objects`) by
`setup` and at every start, so that a webhook of another account is refused even when the
setting `amocrm.account_id` is not given."""

from __future__ import annotations

import structlog

from leadbridge.amocrm.account import account_id
from leadbridge.amocrm.api import AmoApi
from leadbridge.config import ConfigurationError, Settings
from leadbridge.store import crm_objects
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)


async def remember_account(db: Database, account: int, *, dry_run: bool) -> bool:
    """Record the token's account; False when it is recorded already."""
    async with db.transaction() as session:
        recorded = await crm_objects.account_id(session)
        if recorded == account:
            return False
        if recorded is not None:
            # A token of another account: its webhooks are the ones to accept from now on.
            log.warning("amocrm.account_changed", recorded=recorded, token_account=account)
        if not dry_run:
            await crm_objects.remember_account(session, account)
    return True


async def token_account(settings: Settings, api: AmoApi) -> int:
    """The amoCRM account the token is of; a ConfigurationError if `amocrm.account_id` names
    another."""
    account = await account_id(api)
    configured = settings.amocrm.account_id
    if configured is not None and configured != account:
        raise ConfigurationError(
            f"amocrm.account_id is {configured} but the token is of account {account}: "
            "every webhook would be refused; correct amocrm.account_id"
        )
    return account

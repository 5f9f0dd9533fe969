"""Ids of the objects leadbridge provisioned in amoCRM, by kind and our own key; and the id of
the amoCRM account itself, as `leadbridge setup` read it from `GET /api/v4/account`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import CrmContact, CrmObject
from leadbridge.store.upsert import insert_many_ignoring_conflict

# The account is one row of the same table, not a setting: setup learns it from the token, and
# the web process, which never calls amoCRM, needs it to refuse other accounts' webhooks.
ACCOUNT, THE_ACCOUNT = "account", "amocrm"


async def ids_of(session: AsyncSession, kind: str) -> dict[str, int]:
    rows = await session.execute(
        select(CrmObject.key, CrmObject.amo_id).where(CrmObject.kind == kind)
    )
    return {key: amo_id for key, amo_id in rows.all()}


async def remember(session: AsyncSession, kind: str, key: str, amo_id: int) -> None:
    await session.execute(delete(CrmObject).where(CrmObject.kind == kind, CrmObject.key == key))
    session.add(CrmObject(kind=kind, key=key, amo_id=amo_id))
    await session.flush()


async def account_id(session: AsyncSession) -> int | None:
    """The amoCRM account the token is of; None before `leadbridge setup` ran."""
    return await session.scalar(
        select(CrmObject.amo_id).where(CrmObject.kind == ACCOUNT, CrmObject.key == THE_ACCOUNT)
    )


async def remember_account(session: AsyncSession, amo_account_id: int) -> None:
    await remember(session, ACCOUNT, THE_ACCOUNT, amo_account_id)


async def contact_for_phone(session: AsyncSession, phone_e164: str) -> int | None:
    return await session.scalar(
        select(CrmContact.amo_contact_id).where(CrmContact.phone_e164 == phone_e164)
    )


async def contacts_for_phones(session: AsyncSession, phones: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(
        select(CrmContact.phone_e164, CrmContact.amo_contact_id).where(
            CrmContact.phone_e164.in_(phones)
        )
    )
    return {phone: contact for phone, contact in rows.all()}


async def remember_contacts(session: AsyncSession, contacts: Mapping[str, int]) -> None:
    """Contacts by E.164 phone; a phone already known keeps its first contact."""
    rows = [
        {"phone_e164": phone, "amo_contact_id": contact_id}
        for phone, contact_id in contacts.items()
    ]
    await insert_many_ignoring_conflict(session, CrmContact, rows, ["phone_e164"])

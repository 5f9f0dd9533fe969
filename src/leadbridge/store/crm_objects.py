"""Ids of the objects leadbridge provisioned in amoCRM, by kind and our own key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import CrmContact, CrmObject
from leadbridge.store.upsert import insert_many_ignoring_conflict


async def ids_of(session: AsyncSession, kind: str) -> dict[str, int]:
    rows = await session.execute(
        select(CrmObject.key, CrmObject.amo_id).where(CrmObject.kind == kind)
    )
    return {key: amo_id for key, amo_id in rows.all()}


async def remember(session: AsyncSession, kind: str, key: str, amo_id: int) -> None:
    await session.execute(delete(CrmObject).where(CrmObject.kind == kind, CrmObject.key == key))
    session.add(CrmObject(kind=kind, key=key, amo_id=amo_id))
    await session.flush()


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

"""Ids of the objects leadbridge provisioned in amoCRM, by kind and our own key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import CrmContact, CrmObject
from leadbridge.store.upsert import insert_ignoring_conflict


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


async def remember_contact(session: AsyncSession, phone_e164: str, amo_contact_id: int) -> None:
    values = {"phone_e164": phone_e164, "amo_contact_id": amo_contact_id}
    await insert_ignoring_conflict(
        session,
        CrmContact,
        values,
        ["phone_e164"],
        returning="phone_e164",
    )

"""What leadbridge keeps of its partners: OAuth tokens, the ids of what it provisioned in amoCRM,
and its own index of amoCRM contacts by phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.sealed import SealedText
from leadbridge.store.tables.base import Base


class OAuthToken(Base):
    """The current token pair of one provider. Rotated under a row lock; encrypted at rest."""

    __tablename__ = "oauth_tokens"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(SealedText)
    refresh_token: Mapped[str | None] = mapped_column(SealedText)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrmObject(Base):
    """Ids of what leadbridge provisioned in amoCRM: pipeline, stages, fields, enums, reasons."""

    __tablename__ = "crm_objects"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(256))
    amo_id: Mapped[int] = mapped_column(BigInteger)


class CrmContact(Base):
    """Our own phone index of amoCRM contacts: amoCRM's `query` search is fuzzy."""

    __tablename__ = "crm_contacts"

    phone_e164: Mapped[str] = mapped_column(String(32), primary_key=True)
    amo_contact_id: Mapped[int] = mapped_column(BigInteger)

"""repeat sellers: leads indexed by their device's IMEI; the earlier deal a lead repeats

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000
LEADS = sa.table(
    "leads", sa.column("id", sa.Integer()), sa.column("device", sa.JSON()), sa.column("imei")
)


def upgrade() -> None:
    # The IMEI lived only in the device JSON, which neither database indexes the same way: a
    # column of its own, so that a batch's repeats are one indexed query on both.
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("imei", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("repeat_amo_lead_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("repeat_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("repeat_match", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_imei"), ["imei"], unique=False)
    _backfill_imei()


def _backfill_imei() -> None:
    """Earlier leads keep counting as earlier deals: their IMEI, read from the JSON in chunks
    by id (a large table is never held in memory at once)."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(LEADS.c.id, LEADS.c.device)
            .where(LEADS.c.id > last)
            .order_by(LEADS.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        found = [
            {"lead_id": row.id, "imei": imei}
            for row in rows
            if (imei := _imei((row.device or {}).get("imei")))
        ]
        if found:
            bind.execute(
                LEADS.update().where(LEADS.c.id == sa.bindparam("lead_id")),
                found,
            )


def _imei(value: Any) -> str | None:
    """`domain.repeat_seller.normalised_imei` as it was at this revision (a migration must not
    change with the code after it)."""
    digits = "".join(char for char in str(value or "") if char.isdigit())
    if not 14 <= len(digits) <= 16 or len(set(digits)) == 1:
        return None
    return digits


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_imei"))
        batch_op.drop_column("repeat_match")
        batch_op.drop_column("repeat_requested_at")
        batch_op.drop_column("repeat_amo_lead_id")
        batch_op.drop_column("imei")

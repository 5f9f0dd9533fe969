"""commission rules, settlement periods and lines (reserved for settlement)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_outbox_status_occurred_at", "outbox", ["status", "occurred_at"])
    op.create_table(
        "settlement_periods",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("starts_at", MOMENT, nullable=False),
        sa.Column("ends_at", MOMENT, nullable=False),
        sa.Column("frozen_at", MOMENT, nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=True),
        sa.Column("total_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", MOMENT, nullable=True),
        sa.Column("matched", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_settlement_periods")),
    )
    op.create_table(
        "settlement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("line_key", sa.String(length=160), nullable=False),
        sa.Column("origin_key", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("avito_lead_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", MOMENT, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("base_price_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["week"],
            ["settlement_periods.week"],
            name=op.f("fk_settlement_lines_week_settlement_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_lines")),
        sa.UniqueConstraint("week", "line_key", name=op.f("uq_settlement_lines_week")),
    )
    op.create_index(
        op.f("ix_settlement_lines_origin_key"), "settlement_lines", ["origin_key"], unique=False
    )
    op.create_table(
        "settlement_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("line_key", sa.String(length=160), nullable=False),
        sa.Column("avito_lead_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("our_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("avito_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["week"],
            ["settlement_periods.week"],
            name=op.f("fk_settlement_exceptions_week_settlement_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_exceptions")),
    )
    op.create_index(
        op.f("ix_settlement_exceptions_week"), "settlement_exceptions", ["week"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_settlement_exceptions_week"), table_name="settlement_exceptions")
    op.drop_table("settlement_exceptions")
    op.drop_index(op.f("ix_settlement_lines_origin_key"), table_name="settlement_lines")
    op.drop_table("settlement_lines")
    op.drop_table("settlement_periods")
    op.drop_index("ix_outbox_status_occurred_at", table_name="outbox")

"""Avito's settlement lines kept as received, and why a quarantined one could not be read

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "settlement_avito_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("first_seen_at", MOMENT, nullable=False),
        sa.Column("last_seen_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["week"],
            ["settlement_periods.week"],
            name=op.f("fk_settlement_avito_lines_week_settlement_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_avito_lines")),
        sa.UniqueConstraint(
            "week", "digest", "occurrence", name=op.f("uq_settlement_avito_lines_week")
        ),
    )
    with op.batch_alter_table("settlement_exceptions") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement_exceptions") as batch_op:
        batch_op.drop_column("reason")
    op.drop_table("settlement_avito_lines")

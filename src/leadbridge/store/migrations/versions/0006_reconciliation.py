"""reconciliation runs and their items

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fix", sa.Boolean(), nullable=False),
        sa.Column("leads_checked", sa.Integer(), nullable=False),
        sa.Column("deals_listed", sa.Integer(), nullable=False),
        sa.Column("crm_requests", sa.Integer(), nullable=False),
        sa.Column("avito_reads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
    )
    op.create_table(
        "reconciliation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("avito_lead_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_items_run_id_reconciliation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_reconciliation_items_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_items")),
    )
    with op.batch_alter_table("reconciliation_items") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reconciliation_items_run_id"), ["run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_items") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_items_run_id"))
    op.drop_table("reconciliation_items")
    op.drop_table("reconciliation_runs")

"""seller changes: a seller's edits and withdrawals of requests on Avito, and their effects

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seller_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("change_key", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note_text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("skipped_statuses", sa.Integer(), nullable=False),
        sa.Column("patched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note_attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note_added_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("task_attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("task_added_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_seller_changes_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_changes")),
        sa.UniqueConstraint("change_key", name=op.f("uq_seller_changes_change_key")),
    )
    with op.batch_alter_table("seller_changes") as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_changes_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seller_changes_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    op.drop_table("seller_changes")

"""routing: each team's turn and each deal's responsible user; the first-call task of a deal

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("responsible_user_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_leads_responsible_user_id"), ["responsible_user_id"], unique=False
        )
    op.create_table(
        "routing_turns",
        sa.Column("team", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team", name=op.f("pk_routing_turns")),
    )
    # Deals made before this revision get no task: a burst of overdue tasks helps nobody.
    op.create_table(
        "lead_tasks",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("responsible_user_id", sa.BigInteger(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amo_task_id", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_tasks_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_tasks")),
    )
    with op.batch_alter_table("lead_tasks") as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_tasks_added_at"), ["added_at"], unique=False)


def downgrade() -> None:
    op.drop_table("lead_tasks")
    op.drop_table("routing_turns")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_responsible_user_id"))
        batch_op.drop_column("responsible_user_id")

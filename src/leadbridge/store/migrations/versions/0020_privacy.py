"""privacy: when each deal closed and when its seller's data was anonymized; purge audit

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As at this revision (store/retention.py): the purge job reads the status log from here on.
CURSOR = "privacy_status_log"


def upgrade() -> None:
    op.create_table(
        "lead_closures",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anonymized_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_closures_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_closures")),
    )
    op.create_index("ix_lead_closures_due", "lead_closures", ["anonymized_at", "closed_at"])
    op.create_table(
        "privacy_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_runs")),
    )
    _backfill()


def _backfill() -> None:
    """Deals closed before this revision: one set-wise statement over the log (a lead is closed
    when its latest change entered amoCRM's won 142 or lost 143), then the job's cursor at the
    log's end, so that its first run reads only what came after."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO lead_closures (lead_id, closed_at, anonymized_at) "
            "SELECT s.lead_id, s.occurred_at, NULL FROM status_log s "
            "JOIN (SELECT lead_id, MAX(id) AS id FROM status_log GROUP BY lead_id) latest "
            "ON latest.id = s.id WHERE s.new_status_id IN (142, 143)"
        )
    )
    last = bind.execute(sa.text("SELECT MAX(id) FROM status_log")).scalar()
    now = datetime.now(UTC)
    bind.execute(
        sa.table(
            "cursors",
            sa.column("name", sa.String()),
            sa.column("value", sa.Text()),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        ).insert(),
        [{"name": CURSOR, "value": str(last or 0), "updated_at": _stored(bind, now)}],
    )


def _stored(bind: sa.engine.Connection, moment: datetime) -> datetime:
    # UtcDateTime as at this revision: naive UTC on SQLite, aware on PostgreSQL.
    return moment.replace(tzinfo=None) if bind.dialect.name == "sqlite" else moment


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM cursors WHERE name = '{CURSOR}'"))  # noqa: S608
    op.drop_table("privacy_runs")
    op.drop_index("ix_lead_closures_due", table_name="lead_closures")
    op.drop_table("lead_closures")

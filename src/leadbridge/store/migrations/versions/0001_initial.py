"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_contacts",
        sa.Column("phone_e164", sa.String(length=32), nullable=False),
        sa.Column("amo_contact_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("phone_e164", name=op.f("pk_crm_contacts")),
    )
    op.create_table(
        "crm_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("amo_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_objects")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_crm_objects_kind")),
    )
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cursors")),
    )
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("source", "event_key", name=op.f("uq_inbox_source")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_processed_at"), ["processed_at"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("avito_lead_id", sa.String(length=64), nullable=False),
        sa.Column("offer_type", sa.String(length=32), nullable=False),
        sa.Column(
            "device",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("seller_name", sa.String(length=256), nullable=False),
        sa.Column("seller_phone", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("item_url", sa.Text(), nullable=True),
        sa.Column("buyout_price_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("seller_price_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("avito_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "raw_payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deal_state", sa.String(length=16), nullable=False),
        sa.Column("deal_attempts", sa.Integer(), nullable=False),
        sa.Column("amo_lead_id", sa.BigInteger(), nullable=True),
        sa.Column("amo_contact_id", sa.BigInteger(), nullable=True),
        sa.Column("stage_key", sa.String(length=64), nullable=True),
        sa.Column("avito_status", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("amo_lead_id", name=op.f("uq_leads_amo_lead_id")),
        sa.UniqueConstraint("avito_lead_id", name=op.f("uq_leads_avito_lead_id")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_city"), ["city"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_deal_state"), ["deal_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_seller_phone"), ["seller_phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_stage_key"), ["stage_key"], unique=False)

    op.create_table(
        "oauth_tokens",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_oauth_tokens")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("avito_lead_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("price_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_outbox_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        sa.UniqueConstraint("lead_id", "seq", name=op.f("uq_outbox_lead_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "status_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("change_key", sa.String(length=128), nullable=False),
        sa.Column("old_status_id", sa.BigInteger(), nullable=True),
        sa.Column("new_status_id", sa.BigInteger(), nullable=False),
        sa.Column("pipeline_id", sa.BigInteger(), nullable=True),
        sa.Column("stage_key", sa.String(length=64), nullable=True),
        sa.Column("price_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("loss_reason", sa.String(length=256), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_status_log_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_log")),
        sa.UniqueConstraint("change_key", name=op.f("uq_status_log_change_key")),
    )
    with op.batch_alter_table("status_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_log_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "send_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_send_attempts_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_attempts")),
    )
    with op.batch_alter_table("send_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_send_attempts_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("send_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_attempts_outbox_id"))

    op.drop_table("send_attempts")
    with op.batch_alter_table("status_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_log_lead_id"))

    op.drop_table("status_log")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    op.drop_table("oauth_tokens")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_stage_key"))
        batch_op.drop_index(batch_op.f("ix_leads_seller_phone"))
        batch_op.drop_index(batch_op.f("ix_leads_model"))
        batch_op.drop_index(batch_op.f("ix_leads_deal_state"))
        batch_op.drop_index(batch_op.f("ix_leads_city"))

    op.drop_table("leads")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_processed_at"))

    op.drop_table("inbox")
    op.drop_table("cursors")
    op.drop_table("crm_objects")
    op.drop_table("crm_contacts")

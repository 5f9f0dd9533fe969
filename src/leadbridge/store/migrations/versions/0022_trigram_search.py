"""lead search by phone prefix and by part of a model or name; the settlement week's index

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09

- A phone's start (`+7 916`, `8916`): phones are stored in E.164 (`+79161234567`), so the
  start is a prefix of `seller_phone` itself and no column of its own is needed. PostgreSQL
  uses a btree index for `LIKE 'prefix%'` only in the C collation or with `text_pattern_ops`:
  this adds the latter, whatever the database's collation. SQLite reads the prefix as a range
  of the plain `ix_leads_seller_phone` (0001): nothing to add.
- A part of a model or a name (`LIKE '%part%'`): no btree serves that. On PostgreSQL, with the
  `pg_trgm` extension, GIN trigram indexes on exactly the expressions store/lead_search.py
  compares. The extension is created when the server has it and we may create it (trusted
  since PostgreSQL 13: the database's owner may); otherwise this step is skipped and the search
  reads the whole table, as before. The planner picks the index when it exists, with no change
  to the query. SQLite has no such index: the search scans there.
- The settlement week's scan of the outbox (store/settlement.py: acknowledged statuses of two
  kinds within a week, each joined to its lead's buyout) had 0005's `(status, occurred_at)`,
  which left `state = 'sent'` and every column returned to be read from the table, row by row.
  This index replaces it: the same leading key, so whatever used that one (the overview's
  commissions by status and time) uses this, then `state`, so the whole WHERE is checked in the
  index; on PostgreSQL it also carries the columns both sides of the join return, so that a
  vacuumed outbox answers the week from the index alone. One index replaced by one: the outbox's
  writes cost what they did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PHONE_PREFIX = "ix_leads_seller_phone_prefix"
MODEL_TRIGRAMS = "ix_leads_model_key_trgm"
NAME_TRIGRAMS = "ix_leads_seller_name_folded_trgm"
SETTLEMENT_WEEK = "ix_outbox_settlement_week"
REPLACED = "ix_outbox_status_occurred_at"  # 0005's
WEEK_KEY = ["status", "occurred_at", "state"]
# Exactly as store/lead_search.py writes them (constants inline), or PostgreSQL will not match
# the query's expression with the index's.
MODEL_KEY = "replace(replace(replace(lower(model), 'ё', 'е'), ' ', ''), '-', '')"
NAME_FOLDED = "replace(lower(seller_name), 'ё', 'е')"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.create_index(SETTLEMENT_WEEK, "outbox", WEEK_KEY)
        op.drop_index(REPLACED, table_name="outbox")
        return
    op.create_index(PHONE_PREFIX, "leads", [sa.text("seller_phone text_pattern_ops")])
    returned = ["lead_id", "avito_lead_id", "price_kopecks"]
    op.create_index(SETTLEMENT_WEEK, "outbox", WEEK_KEY, postgresql_include=returned)
    op.drop_index(REPLACED, table_name="outbox")
    if _trigrams(bind):
        for name, expression in ((MODEL_TRIGRAMS, MODEL_KEY), (NAME_TRIGRAMS, NAME_FOLDED)):
            op.execute(f"CREATE INDEX {name} ON leads USING gin (({expression}) gin_trgm_ops)")


def _trigrams(bind: sa.Connection) -> bool:
    """Whether `pg_trgm` is installed, installing it when the server has it. A refusal (no
    privilege) is rolled back to a savepoint, so the rest of the migration goes on."""
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    if bind.execute(sa.text(installed)).first() is not None:
        return True
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    if bind.execute(sa.text(available)).first() is None:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def downgrade() -> None:
    # The extension stays: something else in the database may use it, and it costs nothing.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME_TRIGRAMS}")
        op.execute(f"DROP INDEX IF EXISTS {MODEL_TRIGRAMS}")
        op.drop_index(PHONE_PREFIX, table_name="leads")
    op.create_index(REPLACED, "outbox", ["status", "occurred_at"])
    op.drop_index(SETTLEMENT_WEEK, table_name="outbox")

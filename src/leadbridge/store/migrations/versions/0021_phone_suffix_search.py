"""lead search: an index on the last four digits of the seller's phone

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08

The dashboard finds a lead by the end of its phone (`5234`, `391-52-34`). An index on the
phone's last four characters turns that into a lookup of a few leads on both databases; the
rest of the digits are checked on those. It is an index on an expression of `seller_phone`, not
a column of its own: new leads need nothing written, and the retention purge, which clears the
phone, clears what is indexed with it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_leads_seller_phone_last4"


def upgrade() -> None:
    # Exactly as store/lead_search.py writes it, or the database will not use the index.
    if op.get_bind().dialect.name == "postgresql":
        expression = "right(seller_phone, 4)"
    else:
        expression = "substr(seller_phone, -4)"
    op.create_index(INDEX, "leads", [sa.text(expression)])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="leads")

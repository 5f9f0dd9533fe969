"""Migration 0014 (Avito's settlement lines kept raw) goes up, down and up again on both
databases, and leaves the schema the tables describe."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from leadbridge.store.database import driver_url
from leadbridge.store.migrate import alembic_config, current_revision, upgrade

BEFORE = "0013"
RAW = "settlement_avito_lines"


def _schema(database_url: str) -> tuple[set[str], set[str], set[str]]:
    """The tables, the columns of `settlement_exceptions`, and the unique constraints of
    `settlement_avito_lines` (empty when it does not exist)."""
    engine = create_engine(driver_url(database_url, asynchronous=False))
    try:
        schema = inspect(engine)
        tables = set(schema.get_table_names())
        columns = {column["name"] for column in schema.get_columns("settlement_exceptions")}
        uniques = (
            {str(unique["name"]) for unique in schema.get_unique_constraints(RAW)}
            if RAW in tables
            else set()
        )
        return tables, columns, uniques
    finally:
        engine.dispose()


def test_0014_upgrades_downgrades_and_upgrades_again(database_url: str) -> None:
    upgrade(database_url, BEFORE)
    before = _schema(database_url)
    upgrade(database_url)
    after = _schema(database_url)
    command.downgrade(alembic_config(database_url), BEFORE)
    down = _schema(database_url)
    down_revision = current_revision(database_url)
    upgrade(database_url)

    assert RAW not in before[0]
    assert "reason" not in before[1]
    assert RAW in after[0]
    assert "reason" in after[1]
    assert after[2] == {"uq_settlement_avito_lines_week"}
    assert down == before
    assert down_revision == BEFORE
    assert _schema(database_url) == after

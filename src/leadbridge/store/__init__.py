"""Persistence: SQLAlchemy tables, repositories (all SQL lives here) and Alembic migrations."""

"""Persistence: SQLAlchemy 2 tables, repositories, migrations and the outbox."""

# Every table on Base.metadata, whichever of the two modules is imported first (migrations compare them all).
from storage import case_tables, tables

__all__ = ["case_tables", "tables"]

"""Persistence: SQLAlchemy 2 tables, repositories, migrations and the outbox."""

"""The migrations build exactly the tables the code declares, with SQLite's safety settings on."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage.database import create_engine
from storage.tables import Base


async def test_the_migrations_match_the_tables_in_code(clean_database: str) -> None:
    engine = create_engine(clean_database)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    await engine.dispose()
    assert diff == []


async def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    async with engine.connect() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    await engine.dispose()
    assert journal == "wal"
    assert foreign_keys == 1

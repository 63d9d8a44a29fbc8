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


async def test_the_audit_trail_is_append_only(clean_database: str) -> None:
    from datetime import UTC, datetime

    import pytest
    from sqlalchemy.exc import DBAPIError

    from storage.database import session_factory
    from storage.uow import UnitOfWorkFactory

    engine = create_engine(clean_database)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as work:
        await work.audit.record(at=datetime(2026, 1, 1, tzinfo=UTC), tenant_id="t", actor_object_id="a", action="x")
    for statement in ("UPDATE audit_events SET action = 'y'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with uow() as work:
                await work.session.execute(text(statement))
    async with uow() as work:
        assert [e["action"] for e in await work.audit.for_record("", "")] == ["x"]
    await engine.dispose()

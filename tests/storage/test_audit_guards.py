"""The audit trail cannot be emptied in one go either: TRUNCATE on PostgreSQL, a bare DELETE on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.uow import UnitOfWorkFactory


async def test_emptying_the_whole_audit_trail_is_refused(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.audit.record(at=datetime(2026, 1, 1, tzinfo=UTC), tenant_id="t", actor_object_id="a", action="x")
        dialect = work.session.get_bind().dialect.name
    # SQLite has no TRUNCATE: its quick way to empty a table is a DELETE with no WHERE.
    statement = "TRUNCATE audit_events" if dialect == "postgresql" else "DELETE FROM audit_events"
    with pytest.raises(DBAPIError, match="append-only"):
        async with uow() as work:
            await work.session.execute(text(statement))
    async with uow() as work:
        assert [e["action"] for e in await work.audit.for_record("", "")] == ["x"]


async def test_the_test_suite_still_starts_each_test_with_an_empty_guarded_audit_trail(uow: UnitOfWorkFactory) -> None:
    # `clean_database` emptied it by setting the guards aside: they are back.
    async with uow() as work:
        assert await work.audit.for_record("", "") == []
        await work.audit.record(at=datetime(2026, 1, 1, tzinfo=UTC), tenant_id="t", actor_object_id="a", action="x")
    with pytest.raises(DBAPIError, match="append-only"):
        async with uow() as work:
            await work.session.execute(text("UPDATE audit_events SET action = 'y'"))

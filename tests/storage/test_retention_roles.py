"""`stepbot purge` and the audit trail's guards: only the schema's owner may remove audit events past their period.

On PostgreSQL with the two roles of README section 6: run as the application's role, the database refuses
to set the guards aside, the audit events stay and the command says why (exit 3); run as the owner, they
go, the guards are back afterwards, and the purge is itself recorded.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from storage.database import create_engine, session_factory
from storage.tables import AuditEventRow
from storage.uow import UnitOfWorkFactory
from tests.storage.test_least_privilege import _grant, two_roles_on_a_migrated_database

LONG_AGO = datetime(2012, 5, 1, 9, tzinfo=UTC)


async def _events(url: str, action: str) -> int:
    engine = create_engine(url)
    try:
        async with UnitOfWorkFactory(session_factory(engine))() as uow:
            found = select(func.count()).select_from(AuditEventRow).where(AuditEventRow.action == action)
            return int(await uow.session.scalar(found) or 0)
    finally:
        await engine.dispose()


async def _purge(monkeypatch: pytest.MonkeyPatch, url: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("STEPBOT_RETENTION", raising=False)
    return await asyncio.to_thread(main, ["purge"])


async def test_only_the_owner_removes_old_audit_events_and_the_guards_are_back_afterwards(
    postgres_server: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with two_roles_on_a_migrated_database(postgres_server) as roles:
        assert await _grant(monkeypatch, roles.owner_url, roles.app) == 0
        engine = create_engine(roles.app_url)
        try:
            async with UnitOfWorkFactory(session_factory(engine))() as uow:
                await uow.audit.record(
                    at=LONG_AGO,
                    tenant_id="t",
                    actor_object_id="system",
                    action="clinic.cancelled",
                    record_type="clinic",
                )
        finally:
            await engine.dispose()
        capsys.readouterr()
        assert await _purge(monkeypatch, roles.app_url) == 3
        assert "only the schema's owner" in capsys.readouterr().err
        assert await _events(roles.owner_url, "clinic.cancelled") == 1
        assert await _purge(monkeypatch, roles.owner_url) == 0
        assert await _events(roles.owner_url, "clinic.cancelled") == 0
        assert await _events(roles.owner_url, "audit.purged") == 1
        # The guards are back: not even the owner deletes an audit event outside the purge.
        engine = create_engine(roles.owner_url)
        try:
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.execute(text("DELETE FROM audit_events"))
        finally:
            await engine.dispose()

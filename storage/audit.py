"""The audit trail: every change and every read of a case's detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_history import AuditEntry
from storage.tables import AuditEventRow

ABOUT_LIMIT = 2000


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        at: datetime,
        tenant_id: str,
        actor_object_id: str,
        action: str,
        record_type: str = "",
        record_id: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            AuditEventRow(
                at=at,
                tenant_id=tenant_id,
                actor_object_id=actor_object_id,
                action=action,
                record_type=record_type,
                record_id=record_id,
                detail=detail or {},
            )
        )

    async def for_record(self, record_type: str, record_id: str) -> list[dict[str, Any]]:
        rows = await self._session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.record_type == record_type, AuditEventRow.record_id == record_id)
            .order_by(AuditEventRow.id)
        )
        return [{"at": r.at, "actor": r.actor_object_id, "action": r.action, "detail": r.detail} for r in rows]

    async def about(
        self, records: dict[str, set[str]], *, up_to: int | None = None, limit: int = ABOUT_LIMIT
    ) -> list[AuditEntry]:
        """The events about any of these records ({record type: ids}), the newest first, none newer than `up_to`."""
        wanted = [
            and_(AuditEventRow.record_type == kind, AuditEventRow.record_id.in_(sorted(ids)))
            for kind, ids in records.items()
            if ids
        ]
        stmt = select(AuditEventRow).where(or_(false(), *wanted))
        if up_to is not None:
            stmt = stmt.where(AuditEventRow.id <= up_to)
        rows = await self._session.scalars(stmt.order_by(AuditEventRow.id.desc()).limit(limit))
        return [
            AuditEntry(r.id, r.at, r.actor_object_id, r.action, r.record_type, r.record_id, r.detail or {})
            for r in rows
        ]


# The database itself refuses to change or delete an audit event (a purge for retention will need its
# own, audited, migration-level procedure). The guards are the schema owner's: the application's role
# cannot drop them when it owns nothing (README, section 6, and `stepbot grant`).
_SQLITE_GUARDS = {
    "audit_events_no_update": "BEFORE UPDATE",
    "audit_events_no_delete": "BEFORE DELETE",
}


def append_only_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {name} {when} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            for name, when in _SQLITE_GUARDS.items()
        ]
    return [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ]


def drop_append_only_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_GUARDS]
    return [
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_append_only()",
    ]


# Row triggers do not fire on TRUNCATE (PostgreSQL's quick way to empty a table): a statement trigger
# refuses it (migration 0006). SQLite has no TRUNCATE; its DELETE without WHERE fires the row guard.
def truncate_guard_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return []
    return [
        "CREATE OR REPLACE FUNCTION audit_events_no_truncate() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are append-only: TRUNCATE is refused'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate()",
    ]


def drop_truncate_guard_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return []
    return [
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_no_truncate()",
    ]


def every_guard_ddl(dialect: str) -> list[str]:
    """Every guard the latest schema has: to put them back after the tests empty the tables."""
    return append_only_ddl(dialect) + truncate_guard_ddl(dialect)


def drop_every_guard_ddl(dialect: str) -> list[str]:
    return drop_truncate_guard_ddl(dialect) + drop_append_only_ddl(dialect)

"""The audit trail: every change and every read of a case's detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import AuditEventRow


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
        return [
            {"at": r.at, "actor": r.actor_object_id, "action": r.action, "detail": r.detail} for r in rows
        ]

"""Drafts of multi-step flows, kept in the database (never in process memory)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.drafts import Draft
from storage.tables import DraftRow
from storage.upsert import insert_for


def _to_draft(row: DraftRow) -> Draft:
    return Draft(
        id=row.id,
        tenant_id=row.tenant_id,
        object_id=row.object_id,
        flow=row.flow,
        data=dict(row.data),
        version=row.version,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
    )


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, tenant_id: str, object_id: str, flow: str, now: datetime) -> Draft | None:
        row = await self._session.scalar(
            select(DraftRow).where(
                DraftRow.tenant_id == tenant_id,
                DraftRow.object_id == object_id,
                DraftRow.flow == flow,
                DraftRow.expires_at > now,
            )
        )
        return _to_draft(row) if row else None

    async def start(
        self, tenant_id: str, object_id: str, flow: str, data: dict[str, Any], now: datetime, ttl: timedelta
    ) -> Draft:
        """Start the flow afresh, replacing any earlier draft of it; the version keeps counting up."""
        stmt = insert_for(self._session, DraftRow).values(
            tenant_id=tenant_id,
            object_id=object_id,
            flow=flow,
            data=data,
            version=1,
            updated_at=now,
            expires_at=now + ttl,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "object_id", "flow"],
            set_={
                "data": data,
                "version": DraftRow.version + 1,
                "updated_at": now,
                "expires_at": now + ttl,
            },
        )
        await self._session.execute(stmt)
        draft = await self.get(tenant_id, object_id, flow, now)
        assert draft is not None
        return draft

    async def advance(self, draft: Draft, data: dict[str, Any], now: datetime, ttl: timedelta) -> Draft | None:
        """Save the next step only if nobody moved the draft on meanwhile; None when it is stale."""
        result = await self._session.execute(
            update(DraftRow)
            .where(DraftRow.id == draft.id, DraftRow.version == draft.version)
            .values(data=data, version=draft.version + 1, updated_at=now, expires_at=now + ttl)
        )
        if not getattr(result, "rowcount", 0):
            return None
        return Draft(
            id=draft.id,
            tenant_id=draft.tenant_id,
            object_id=draft.object_id,
            flow=draft.flow,
            data=data,
            version=draft.version + 1,
            updated_at=now,
            expires_at=now + ttl,
        )

    async def consume(self, draft_id: int, version: int, now: datetime) -> Draft | None:
        """Take the draft for its final step: exactly one caller gets it, a double click gets None."""
        result = await self._session.execute(
            delete(DraftRow)
            .where(DraftRow.id == draft_id, DraftRow.version == version, DraftRow.expires_at > now)
            .returning(DraftRow)
        )
        row = result.scalar_one_or_none()
        return _to_draft(row) if row is not None else None

    async def discard(self, tenant_id: str, object_id: str, flow: str) -> None:
        await self._session.execute(
            delete(DraftRow).where(
                DraftRow.tenant_id == tenant_id, DraftRow.object_id == object_id, DraftRow.flow == flow
            )
        )

    async def purge_expired(self, now: datetime) -> int:
        result = await self._session.execute(delete(DraftRow).where(DraftRow.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

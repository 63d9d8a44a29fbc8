"""The durable outbox: rows written with their cause, claimed under a lease, marked sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messaging import OutboxKind, OutboxMessage
from storage.tables import OutboxRow
from storage.upsert import insert_for


def _to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        kind=OutboxKind(row.kind),
        payload=dict(row.payload),
        due_at=row.due_at,
        dedupe_key=row.dedupe_key,
        id=row.id,
        attempts=row.attempts,
    )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutboxMessage, now: datetime) -> None:
        """Queue a side effect in the caller's transaction; a repeated dedupe key is ignored."""
        stmt = insert_for(self._session, OutboxRow).values(
            kind=message.kind.value,
            payload=message.payload,
            due_at=message.due_at,
            status="pending",
            attempts=0,
            last_error="",
            dedupe_key=message.dedupe_key,
            created_at=now,
        )
        if message.dedupe_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
        await self._session.execute(stmt)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Claim up to `limit` due rows (and rows whose lease ran out) for this worker."""
        due = (
            select(OutboxRow.id)
            .where(
                OutboxRow.due_at <= now,
                or_(
                    OutboxRow.status == "pending",
                    (OutboxRow.status == "sending") & (OutboxRow.locked_until < now),
                ),
            )
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(due.scalar_subquery()))
            .values(status="sending", locked_until=now + lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        rows = list(result.scalars())
        rows.sort(key=lambda r: (r.due_at, r.id))
        return [_to_message(r) for r in rows]

    async def mark_sent(self, message_id: int, now: datetime, result: dict[str, Any] | None = None) -> None:
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(status="sent", sent_at=now, locked_until=None, result=result, last_error="")
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        """Put the row back for a later try, or leave it dead for an administrator."""
        values: dict[str, Any] = {"last_error": error[:2000], "locked_until": None}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["status"] = "pending"
            values["due_at"] = retry_at
        await self._session.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(**values))

    async def purge_sent_before(self, cutoff: datetime) -> int:
        """Delete rows sent before `cutoff`; dead rows stay until an administrator has looked at them."""
        result = await self._session.execute(
            delete(OutboxRow).where(OutboxRow.status == "sent", OutboxRow.sent_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_count(self) -> int:
        from sqlalchemy import func

        count = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status.in_(("pending", "sending")))
        )
        return int(count or 0)

    async def by_status(self, status: str) -> list[OutboxMessage]:
        rows = await self._session.scalars(select(OutboxRow).where(OutboxRow.status == status))
        return [_to_message(r) for r in rows]

"""The durable outbox: rows written with their cause, claimed under a worker's lease, settled by that worker only.

A claim sets `locked_by` to the worker and adds one to `attempts`; the pair is the claim's fencing token.
Every settlement (sent, retry later, put back, dead) is a conditional UPDATE on that token, so a worker whose
lease ran out, and whose row another worker has claimed since, changes nothing: it is told so instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messaging import DeadLetter, OutboxKind, OutboxMessage
from storage.tables import OutboxRow
from storage.upsert import insert_for

# Written out literally, not bound: SQLite uses a partial index only when the query names its WHERE exactly.
_PENDING: ColumnElement[str] = literal_column("'pending'")
_SENDING: ColumnElement[str] = literal_column("'sending'")


def _to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        kind=OutboxKind(row.kind),
        payload=dict(row.payload),
        due_at=row.due_at,
        dedupe_key=row.dedupe_key,
        id=row.id,
        attempts=row.attempts,
        locked_by=row.locked_by or "",
        scheduled_at=row.scheduled_at,
    )


def _to_dead_letter(row: OutboxRow) -> DeadLetter:
    payload = row.payload if isinstance(row.payload, dict) else {}
    return DeadLetter(
        id=row.id,
        kind=OutboxKind(row.kind),
        due_at=row.scheduled_at,
        dead_at=row.dead_at,
        attempts=row.attempts,
        error=row.last_error,
        error_class=row.error_class,
        error_code=row.error_code,
        dedupe_key=row.dedupe_key,
        conversation_id=str(payload.get("conversation_id") or ""),
        object_id=str(payload.get("object_id") or ""),
        tenant_id=str(payload.get("tenant_id") or ""),
    )


def claim_query(now: datetime, limit: int) -> Select[Any]:
    """The due pending rows, soonest first: what the claim takes (and the benchmark explains)."""
    return (
        select(OutboxRow.id)
        .where(OutboxRow.status == _PENDING, OutboxRow.due_at <= now)
        .order_by(OutboxRow.due_at, OutboxRow.id)
        .limit(limit)
    )


def expired_leases_query(now: datetime, limit: int) -> Select[Any]:
    """Rows whose worker's lease ran out (it died or stalled): taken again before anything new."""
    return (
        select(OutboxRow.id)
        .where(OutboxRow.status == _SENDING, OutboxRow.locked_until < now)
        .order_by(OutboxRow.locked_until, OutboxRow.id)
        .limit(limit)
    )


def _held(message: OutboxMessage) -> Any:
    return (
        (OutboxRow.id == message.id)
        & (OutboxRow.status == "sending")
        & (OutboxRow.locked_by == message.locked_by)
        & (OutboxRow.attempts == message.attempts)
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
            scheduled_at=message.due_at,
            status="pending",
            attempts=0,
            last_error="",
            error_class="",
            error_code="",
            dedupe_key=message.dedupe_key,
            created_at=now,
        )
        if message.dedupe_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
        await self._session.execute(stmt)

    async def _take(self, ids: Select[Any], now: datetime, lease: timedelta, worker: str) -> list[OutboxRow]:
        if self._session.get_bind().dialect.name == "postgresql":
            # Rows another replica is claiming right now are skipped, not waited for.
            ids = ids.with_for_update(skip_locked=True)
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids.scalar_subquery()))
            .values(status="sending", locked_until=now + lease, locked_by=worker, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        return list(result.scalars())

    async def claim_due(
        self, now: datetime, limit: int, lease: timedelta, worker: str = "worker"
    ) -> list[OutboxMessage]:
        """Claim up to `limit` rows for `worker`: first those whose lease ran out, then due pending rows."""
        rows = await self._take(expired_leases_query(now, limit), now, lease, worker)
        if len(rows) < limit:
            rows += await self._take(claim_query(now, limit - len(rows)), now, lease, worker)
        rows.sort(key=lambda r: (r.due_at, r.id))
        return [_to_message(r) for r in rows]

    async def renew(self, worker: str, ids: Iterable[int], until: datetime) -> set[int]:
        """Extend the lease on rows this worker still holds; returns those it still holds."""
        wanted = list(ids)
        if not wanted:
            return set()
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(wanted), OutboxRow.status == "sending", OutboxRow.locked_by == worker)
            .values(locked_until=until)
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        return set(result.scalars())

    async def _settle(self, message: OutboxMessage, values: dict[str, Any]) -> bool:
        result = await self._session.execute(
            update(OutboxRow).where(_held(message)).values(**values).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def mark_sent(self, message: OutboxMessage, now: datetime, result: dict[str, Any] | None = None) -> bool:
        """Sent: True when this claim still held the row (False: its lease ran out and another worker took it)."""
        return await self._settle(
            message,
            {
                "status": "sent",
                "sent_at": now,
                "locked_until": None,
                "locked_by": None,
                "result": result,
                "last_error": "",
                "error_class": "",
                "error_code": "",
            },
        )

    async def retry_later(
        self, message: OutboxMessage, at: datetime, error: str, *, error_class: str = "", error_code: str = ""
    ) -> bool:
        """A failed try: back to pending, due again at `at`; the attempt counts."""
        return await self._settle(
            message,
            {
                "status": "pending",
                "due_at": at,
                "locked_until": None,
                "locked_by": None,
                "last_error": error[:2000],
                "error_class": error_class[:32],
                "error_code": error_code[:64],
            },
        )

    async def put_back(self, message: OutboxMessage, at: datetime) -> bool:
        """Not tried (pacing, a stopped sender): back to pending at `at`, and the claim does not count."""
        return await self._settle(
            message,
            {
                "status": "pending",
                "due_at": at,
                "locked_until": None,
                "locked_by": None,
                "attempts": OutboxRow.attempts - 1,
            },
        )

    async def mark_dead(
        self, message: OutboxMessage, now: datetime, error: str, *, error_class: str = "", error_code: str = ""
    ) -> bool:
        """Given up on: left for an administrator, with why."""
        return await self._settle(
            message,
            {
                "status": "dead",
                "dead_at": now,
                "locked_until": None,
                "locked_by": None,
                "last_error": error[:2000],
                "error_class": error_class[:32],
                "error_code": error_code[:64],
            },
        )

    # -- dead letters -------------------------------------------------------------------------------
    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.status == "dead")
            .order_by(OutboxRow.dead_at.desc(), OutboxRow.id.desc())
            .limit(limit)
        )
        return [_to_dead_letter(r) for r in rows]

    async def dead_letter(self, outbox_id: int) -> DeadLetter | None:
        row = await self._session.scalar(select(OutboxRow).where(OutboxRow.id == outbox_id, OutboxRow.status == "dead"))
        return _to_dead_letter(row) if row is not None else None

    async def send_again(self, outbox_id: int, now: datetime) -> bool:
        """An administrator sends a dead letter again: pending now, with a fresh count of attempts."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "dead")
            .values(status="pending", due_at=now, attempts=0, dead_at=None, locked_by=None, locked_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def drop(self, outbox_id: int, now: datetime) -> bool:
        """An administrator drops a dead letter: settled unsent, purged with the sent rows."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "dead")
            .values(status="dropped", sent_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    # -- reading, for the digest, the metrics and the tests -----------------------------------------
    async def by_keys(self, keys: Iterable[str]) -> list[OutboxMessage]:
        """Rows by the keys a digest names them by: their dedupe key, or "outbox:<id>" for a row without one."""
        wanted = list(keys)
        ids = [int(k[7:]) for k in wanted if k.startswith("outbox:") and k[7:].isdigit()]
        if not wanted:
            return []
        rows = await self._session.scalars(
            select(OutboxRow).where(
                OutboxRow.dedupe_key.in_(wanted) | (OutboxRow.id.in_(ids or [0]) & OutboxRow.dedupe_key.is_(None))
            )
        )
        return [_to_message(r) for r in rows]

    async def result_of(self, outbox_id: int) -> dict[str, Any] | None:
        found = await self._session.scalar(select(OutboxRow.result).where(OutboxRow.id == outbox_id))
        return dict(found) if isinstance(found, dict) else None

    async def oldest_due(self, now: datetime) -> datetime | None:
        """The due time of the longest-waiting due pending row (the first entry of the claim's index)."""
        found = await self._session.scalar(
            select(OutboxRow.due_at)
            .where(OutboxRow.status == _PENDING, OutboxRow.due_at <= now)
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .limit(1)
        )
        return found

    async def count(self, status: str) -> int:
        found = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == status)
        )
        return int(found or 0)

    async def purge_sent_before(self, cutoff: datetime) -> int:
        """Delete rows settled (sent, or dropped by an administrator) before `cutoff`; dead rows stay."""
        result = await self._session.execute(
            delete(OutboxRow).where(OutboxRow.status.in_(("sent", "dropped")), OutboxRow.sent_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_count(self) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status.in_(("pending", "sending")))
        )
        return int(count or 0)

    async def by_status(self, status: str) -> list[OutboxMessage]:
        rows = await self._session.scalars(select(OutboxRow).where(OutboxRow.status == status))
        return [_to_message(r) for r in rows]

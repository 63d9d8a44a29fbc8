"""The family's consent, entry by entry: an entry is added, never overwritten; the latest is the one that stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.consent import ConsentEntry, ConsentRecord
from storage.case_tables import ConsentRow


def _record(row: ConsentRow) -> ConsentRecord:
    return ConsentRecord(
        transfer_id=row.transfer_id,
        case_reference=row.case_reference,
        entry=row.entry,
        consent=ConsentEntry.model_validate(row.record),
        recorded_by_name=row.recorded_by_name,
        recorded_by_object_id=row.recorded_by_object_id,
        recorded_at=row.recorded_at,
    )


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        transfer_id: int,
        case_reference: str,
        consent: ConsentEntry,
        *,
        entry: int,
        by_name: str,
        by_object_id: str,
        now: datetime,
    ) -> ConsentRecord:
        """Store one entry; the (request, entry) key refuses a second writer of the same entry."""
        row = ConsentRow(
            transfer_id=transfer_id,
            case_reference=case_reference,
            entry=entry,
            status=consent.status.value,
            given_on=consent.on,
            record=consent.model_dump(mode="json"),
            recorded_by_object_id=by_object_id,
            recorded_by_name=by_name,
            recorded_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def next_entry(self, transfer_id: int) -> int:
        highest = await self._session.scalar(
            select(func.max(ConsentRow.entry)).where(ConsentRow.transfer_id == transfer_id)
        )
        return (highest or 0) + 1

    async def entries(self, transfer_id: int) -> list[ConsentRecord]:
        """Every entry, the first first."""
        rows = await self._session.scalars(
            select(ConsentRow).where(ConsentRow.transfer_id == transfer_id).order_by(ConsentRow.entry)
        )
        return [_record(r) for r in rows]

    async def latest(self, transfer_id: int) -> ConsentRecord | None:
        row = await self._session.scalar(
            select(ConsentRow).where(ConsentRow.transfer_id == transfer_id).order_by(ConsentRow.entry.desc()).limit(1)
        )
        return _record(row) if row else None

    async def for_case(self, case_reference: str) -> list[ConsentRecord]:
        """Every entry of every request about this case, oldest first (for a case's history)."""
        rows = await self._session.scalars(
            select(ConsentRow)
            .where(ConsentRow.case_reference == case_reference)
            .order_by(ConsentRow.recorded_at, ConsentRow.id)
        )
        return [_record(r) for r in rows]

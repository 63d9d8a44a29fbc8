"""Meeting outcomes, in versions: a correction adds a row, nothing is ever overwritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outcomes import Outcome, OutcomeVersion
from storage.case_tables import OutcomeRow


def _version(row: OutcomeRow) -> OutcomeVersion:
    return OutcomeVersion(
        transfer_id=row.transfer_id,
        version=row.version,
        outcome=Outcome.model_validate(row.record),
        correction_reason=row.correction_reason,
        recorded_by_name=row.recorded_by_name,
        recorded_by_object_id=row.recorded_by_object_id,
        recorded_at=row.recorded_at,
    )


class OutcomeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        transfer_id: int,
        version: int,
        outcome: Outcome,
        *,
        correction_reason: str,
        by_name: str,
        by_object_id: str,
        now: datetime,
    ) -> OutcomeVersion:
        """Store one version; the (request, version) key refuses a second writer of the same version."""
        row = OutcomeRow(
            transfer_id=transfer_id,
            version=version,
            meeting_kind=outcome.meeting_kind.value,
            meeting_on=outcome.meeting_on,
            decision=outcome.decision.value,
            record=outcome.model_dump(mode="json"),
            correction_reason=correction_reason,
            recorded_by_object_id=by_object_id,
            recorded_by_name=by_name,
            recorded_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _version(row)

    async def next_version(self, transfer_id: int) -> int:
        highest = await self._session.scalar(
            select(func.max(OutcomeRow.version)).where(OutcomeRow.transfer_id == transfer_id)
        )
        return (highest or 0) + 1

    async def versions(self, transfer_id: int) -> list[OutcomeVersion]:
        """Every version, the first first."""
        rows = await self._session.scalars(
            select(OutcomeRow).where(OutcomeRow.transfer_id == transfer_id).order_by(OutcomeRow.version)
        )
        return [_version(r) for r in rows]

    async def latest(self, transfer_id: int) -> OutcomeVersion | None:
        row = await self._session.scalar(
            select(OutcomeRow).where(OutcomeRow.transfer_id == transfer_id).order_by(OutcomeRow.version.desc()).limit(1)
        )
        return _version(row) if row else None

"""Disputes about decisions: raised, then settled once by a conditional update so one manager's answer wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.disputes import Dispute, DisputeState, Settlement
from domain.transfer_machine import Event
from storage.case_tables import DisputeRow


def _dispute(row: DisputeRow) -> Dispute:
    return Dispute(
        id=row.id,
        version=row.version,
        transfer_id=row.transfer_id,
        state=DisputeState(row.state),
        decision_event=Event(row.decision_event),
        outcome_version=row.outcome_version,
        about=row.about,
        raised_by_object_id=row.raised_by_object_id,
        raised_by_name=row.raised_by_name,
        raised_at=row.raised_at,
        settlement=Settlement(row.settlement) if row.settlement else None,
        settlement_note=row.settlement_note,
        settled_by_object_id=row.settled_by_object_id,
        settled_by_name=row.settled_by_name,
        settled_at=row.settled_at,
        channel_conversation_id=row.channel_conversation_id,
        channel_activity_id=row.channel_activity_id,
    )


class DisputeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        transfer_id: int,
        *,
        decision_event: Event,
        outcome_version: int | None,
        about: str,
        by_object_id: str,
        by_name: str,
        now: datetime,
    ) -> Dispute:
        row = DisputeRow(
            version=1,
            transfer_id=transfer_id,
            state=DisputeState.OPEN.value,
            decision_event=decision_event.value,
            outcome_version=outcome_version,
            about=about,
            raised_by_object_id=by_object_id,
            raised_by_name=by_name,
            raised_at=now,
            settlement="",
            settlement_note="",
            settled_by_object_id="",
            settled_by_name="",
            settled_at=None,
            channel_conversation_id="",
            channel_activity_id="",
        )
        self._session.add(row)
        await self._session.flush()
        return _dispute(row)

    async def get(self, dispute_id: int) -> Dispute | None:
        row = await self._session.get(DisputeRow, dispute_id, populate_existing=True)
        return _dispute(row) if row else None

    async def open_for(self, transfer_id: int) -> Dispute | None:
        row = await self._session.scalar(
            select(DisputeRow)
            .where(DisputeRow.transfer_id == transfer_id, DisputeRow.state == DisputeState.OPEN.value)
            .order_by(DisputeRow.id.desc())
            .limit(1)
        )
        return _dispute(row) if row else None

    async def for_transfer(self, transfer_id: int) -> list[Dispute]:
        rows = await self._session.scalars(
            select(DisputeRow).where(DisputeRow.transfer_id == transfer_id).order_by(DisputeRow.id)
        )
        return [_dispute(r) for r in rows]

    async def settle(
        self,
        dispute: Dispute,
        settlement: Settlement,
        note: str,
        *,
        by_object_id: str,
        by_name: str,
        now: datetime,
    ) -> Dispute | None:
        """Settle it only if it is still open at the version the manager saw; None if someone got there first."""
        result = await self._session.execute(
            update(DisputeRow)
            .where(
                DisputeRow.id == dispute.id,
                DisputeRow.version == dispute.version,
                DisputeRow.state == DisputeState.OPEN.value,
            )
            .values(
                version=dispute.version + 1,
                state=DisputeState.SETTLED.value,
                settlement=settlement.value,
                settlement_note=note,
                settled_by_object_id=by_object_id,
                settled_by_name=by_name,
                settled_at=now,
            )
            .returning(DisputeRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.get(dispute.id)

    async def set_channel_post(self, dispute_id: int, conversation_id: str, activity_id: str) -> None:
        await self._session.execute(
            update(DisputeRow)
            .where(DisputeRow.id == dispute_id)
            .values(channel_conversation_id=conversation_id, channel_activity_id=activity_id)
        )

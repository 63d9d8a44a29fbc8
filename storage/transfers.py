"""Transfer requests: created on submit, moved on by conditional updates so one decision wins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.directions import Direction
from domain.transfer_machine import State
from domain.transfer_record import Transfer
from storage.tables import TransferRow


def _transfer(row: TransferRow) -> Transfer:
    return Transfer(
        id=row.id,
        version=row.version,
        state=State(row.state),
        paused_from=State(row.paused_from) if row.paused_from else None,
        tenant_id=row.tenant_id,
        requester_object_id=row.requester_object_id,
        requester_name=row.requester_name,
        case_reference=row.case_reference,
        direction=Direction(row.direction),
        from_team=row.from_team,
        to_service=row.to_service,
        details=dict(row.details),
        receiving_channel=row.receiving_channel,
        channel_conversation_id=row.channel_conversation_id,
        channel_activity_id=row.channel_activity_id,
        decision=dict(row.decision or {}),
        gaps=list(row.gaps or []),
        decision_due_at=row.decision_due_at,
        gaps_due_at=row.gaps_due_at,
        last_actor_name=row.last_actor_name,
        submitted_at=row.submitted_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        tenant_id: str,
        requester_object_id: str,
        requester_name: str,
        case_reference: str,
        direction: Direction,
        from_team: str,
        to_service: str,
        details: dict[str, Any],
        receiving_channel: str,
        decision_due_at: datetime | None,
        now: datetime,
    ) -> Transfer:
        row = TransferRow(
            version=1,
            state=State.SUBMITTED.value,
            paused_from=None,
            tenant_id=tenant_id,
            requester_object_id=requester_object_id,
            requester_name=requester_name,
            case_reference=case_reference,
            direction=direction.value,
            from_team=from_team,
            to_service=to_service,
            details=details,
            receiving_channel=receiving_channel,
            channel_conversation_id="",
            channel_activity_id="",
            decision={},
            gaps=[],
            decision_due_at=decision_due_at,
            gaps_due_at=None,
            last_actor_object_id=requester_object_id,
            last_actor_name=requester_name,
            submitted_at=now,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _transfer(row)

    async def get(self, transfer_id: int) -> Transfer | None:
        row = await self._session.get(TransferRow, transfer_id, populate_existing=True)
        return _transfer(row) if row else None

    async def move(
        self,
        transfer: Transfer,
        *,
        state: State,
        paused_from: State | None,
        actor_object_id: str,
        actor_name: str,
        now: datetime,
        decision: dict[str, Any] | None = None,
        gaps: list[str] | None = None,
        gaps_due_at: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> Transfer | None:
        """Apply a transition only if the request is still at the version the card showed; None if not."""
        values: dict[str, Any] = {
            "state": state.value,
            "paused_from": paused_from.value if paused_from else None,
            "version": transfer.version + 1,
            "last_actor_object_id": actor_object_id,
            "last_actor_name": actor_name,
            "updated_at": now,
        }
        if decision is not None:
            values["decision"] = decision
        if gaps is not None:
            values["gaps"] = gaps
            values["gaps_due_at"] = gaps_due_at
        if details is not None:
            values["details"] = details
        result = await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer.id, TransferRow.version == transfer.version)
            .values(**values)
            .returning(TransferRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.get(transfer.id)

    async def set_channel_post(self, transfer_id: int, conversation_id: str, activity_id: str) -> None:
        await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer_id)
            .values(channel_conversation_id=conversation_id, channel_activity_id=activity_id)
        )

    async def for_requester(self, tenant_id: str, object_id: str) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.tenant_id == tenant_id, TransferRow.requester_object_id == object_id)
            .order_by(TransferRow.updated_at.desc())
            .limit(50)
        )
        return [_transfer(r) for r in rows]

    async def in_states(self, states: list[State], channels: list[str] | None = None) -> list[Transfer]:
        stmt = select(TransferRow).where(TransferRow.state.in_([s.value for s in states]))
        if channels is not None:
            stmt = stmt.where(TransferRow.receiving_channel.in_(channels))
        rows = await self._session.scalars(stmt.order_by(TransferRow.submitted_at).limit(100))
        return [_transfer(r) for r in rows]

    async def for_case(self, case_reference: str) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow).where(TransferRow.case_reference == case_reference).order_by(TransferRow.id)
        )
        return [_transfer(r) for r in rows]

"""Transfer requests: created on submit, moved on by conditional updates so one decision wins, found for lists."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.directions import Direction
from domain.roles import Role
from domain.transfer_access import MEETING_ROUTES
from domain.transfer_decide import Decided
from domain.transfer_machine import State
from domain.transfer_record import Decisions, Transfer
from domain.transfers import TransferDetails
from storage.tables import TransferRow

LIST_LIMIT = 200


def _transfer(row: TransferRow) -> Transfer:
    return Transfer(
        id=row.id,
        version=row.version,
        state=State(row.state),
        paused_from=State(row.paused_from) if row.paused_from else None,
        tenant_id=row.tenant_id,
        requester_object_id=row.requester_object_id,
        requester_name=row.requester_name,
        details=TransferDetails.model_validate(row.details),
        receiving_channel=row.receiving_channel,
        channel_conversation_id=row.channel_conversation_id,
        channel_activity_id=row.channel_activity_id,
        wording=row.wording,
        decision=Decisions.model_validate(row.decision or {}),
        gaps=tuple(row.gaps or ()),
        accepted_at=row.accepted_at,
        transferred_at=row.transferred_at,
        escalated_to=Role(row.escalated_to) if row.escalated_to else None,
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
        details: TransferDetails,
        receiving_channel: str,
        channel_conversation_id: str,
        wording: str,
        decision: Decisions,
        now: datetime,
    ) -> Transfer:
        previous = decision.previous_worker
        row = TransferRow(
            version=1,
            state=State.SUBMITTED.value,
            paused_from=None,
            tenant_id=tenant_id,
            requester_object_id=requester_object_id,
            requester_name=requester_name,
            case_reference=details.case_reference,
            direction=details.direction.value,
            from_team=details.from_team,
            to_service=details.to_service,
            details=details.model_dump(mode="json"),
            receiving_channel=receiving_channel,
            channel_conversation_id=channel_conversation_id,
            channel_activity_id="",
            decision=decision.model_dump(mode="json"),
            gaps=[],
            route=details.route.value,
            wording=wording,
            worker_object_id="",
            previous_worker_object_id=previous.object_id if previous else "",
            accepted_at=None,
            escalated_to="",
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

    async def save(
        self, before: Transfer, decided: Decided, *, actor_object_id: str, actor_name: str, now: datetime
    ) -> Transfer | None:
        """Apply a decided move only if the request is still at the version it was decided on; None if not."""
        allocation = decided.decision.allocation
        result = await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == before.id, TransferRow.version == before.version)
            .values(
                state=decided.move.target.value,
                paused_from=decided.move.paused_from.value if decided.move.paused_from else None,
                version=before.version + 1,
                decision=decided.decision.model_dump(mode="json"),
                gaps=list(decided.gaps),
                accepted_at=decided.accepted_at,
                transferred_at=now if decided.move.target is State.TRANSFERRED else TransferRow.transferred_at,
                worker_object_id=allocation.worker_object_id if allocation else "",
                last_actor_object_id=actor_object_id,
                last_actor_name=actor_name,
                updated_at=now,
            )
            .returning(TransferRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.get(before.id)

    async def annotate(
        self, before: Transfer, decision: Decisions, *, actor_object_id: str, actor_name: str, now: datetime
    ) -> Transfer | None:
        """Change what the card shows about a request without moving it (an outcome corrected, a dispute raised
        or settled), only at the version it was read at; None if it moved on meanwhile."""
        result = await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == before.id, TransferRow.version == before.version)
            .values(
                version=before.version + 1,
                decision=decision.model_dump(mode="json"),
                last_actor_object_id=actor_object_id,
                last_actor_name=actor_name,
                updated_at=now,
            )
            .returning(TransferRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.get(before.id)

    async def set_channel_post(self, transfer_id: int, conversation_id: str, activity_id: str) -> None:
        await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer_id)
            .values(channel_conversation_id=conversation_id, channel_activity_id=activity_id)
        )

    async def escalate(self, transfer_id: int, role: Role) -> None:
        """Record whom the request was escalated to: they stand in a relationship to it from now on."""
        await self._session.execute(
            update(TransferRow).where(TransferRow.id == transfer_id).values(escalated_to=role.value)
        )

    async def for_case(self, case_reference: str) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow).where(TransferRow.case_reference == case_reference).order_by(TransferRow.id)
        )
        return [_transfer(r) for r in rows]

    async def candidates(
        self,
        tenant_id: str,
        *,
        people: Collection[str] = (),
        sent_to: Collection[str] = (),
        meeting_directions: Collection[Direction] | None = None,
        escalated_to: Collection[Role] = (),
        states: Collection[State] | None = None,
    ) -> list[Transfer]:
        """Requests that may concern someone, for a list: asked for, held or handed back by one of `people`,
        sent to one of the conversations `sent_to`, on a meeting (`meeting_directions` set: for a chair), or
        escalated to one of their roles. The caller checks each one's relationship before showing it.
        """
        found: list[ColumnElement[bool]] = []
        if people:
            found += [
                TransferRow.requester_object_id.in_(people),
                TransferRow.worker_object_id.in_(people),
                TransferRow.previous_worker_object_id.in_(people),
            ]
        if sent_to:
            found.append(TransferRow.channel_conversation_id.in_(sent_to))
        if meeting_directions is not None:
            found += [
                TransferRow.route.in_([route.value for route in MEETING_ROUTES]),
                TransferRow.state == State.SCHEDULED.value,
                TransferRow.direction.in_([d.value for d in meeting_directions]),
            ]
        if escalated_to:
            found.append(TransferRow.escalated_to.in_([r.value for r in escalated_to]))
        stmt = select(TransferRow).where(TransferRow.tenant_id == tenant_id, or_(false(), *found))
        if states is not None:
            stmt = stmt.where(TransferRow.state.in_([s.value for s in states]))
        rows = await self._session.scalars(stmt.order_by(TransferRow.updated_at.desc()).limit(LIST_LIMIT))
        return [_transfer(r) for r in rows]

    async def candidates_all(self, *, states: Collection[State], limit: int = LIST_LIMIT * 5) -> list[Transfer]:
        """Every request in these states (the managers' weekly digest), the most recent first."""
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.state.in_([s.value for s in states]))
            .order_by(TransferRow.updated_at.desc())
            .limit(limit)
        )
        return [_transfer(r) for r in rows]

    async def transferred_since(self, since: datetime, *, limit: int = 2000) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.transferred_at >= since)
            .order_by(TransferRow.transferred_at)
            .limit(limit)
        )
        return [_transfer(r) for r in rows]

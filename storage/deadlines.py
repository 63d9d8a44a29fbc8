"""Running deadlines: started from recorded facts, settled once, and found by case, by owner and by due time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadline_rules import DeadlineRule, Kind, Owner
from domain.deadlines import Deadline, DeadlineState, Extension
from storage.case_tables import DeadlineRow
from storage.tables import OutboxRow
from storage.upsert import insert_for


def _deadline(row: DeadlineRow) -> Deadline:
    extension = None
    if row.previous_due_at is not None:
        extension = Extension(row.extension_reason, row.extension_agreed_by, row.previous_due_at)
    return Deadline(
        id=row.id,
        version=row.version,
        tenant_id=row.tenant_id,
        transfer_id=row.transfer_id,
        case_reference=row.case_reference,
        rule_key=row.rule_key,
        title=row.title,
        kind=Kind(row.kind),
        owner=Owner(row.owner),
        owner_object_id=row.owner_object_id,
        started_at=row.started_at,
        due_at=row.due_at,
        state=DeadlineState(row.state),
        settled_at=row.settled_at,
        snoozed_until=row.snoozed_until,
        extension=extension,
        note=row.note,
    )


class DeadlineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(
        self,
        *,
        tenant_id: str,
        transfer_id: int,
        case_reference: str,
        rule: DeadlineRule,
        owner_object_id: str,
        started_at: datetime,
        due_at: datetime,
        now: datetime,
    ) -> Deadline | None:
        """Start a clock; None when this rule's clock is already running for the case."""
        stmt = (
            insert_for(self._session, DeadlineRow)
            .values(
                version=1,
                tenant_id=tenant_id,
                transfer_id=transfer_id,
                case_reference=case_reference,
                rule_key=rule.key,
                title=rule.title,
                kind=rule.kind.value,
                owner=rule.owner.value,
                owner_object_id=owner_object_id,
                started_at=started_at,
                due_at=due_at,
                state=DeadlineState.OPEN.value,
                extension_reason="",
                extension_agreed_by="",
                note="",
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(DeadlineRow.id)
        )
        found = (await self._session.execute(stmt)).scalar_one_or_none()
        return await self.get(found) if found is not None else None

    async def get(self, deadline_id: int) -> Deadline | None:
        row = await self._session.get(DeadlineRow, deadline_id, populate_existing=True)
        return _deadline(row) if row else None

    async def for_transfer(self, transfer_id: int, *, open_only: bool = False) -> list[Deadline]:
        stmt = select(DeadlineRow).where(DeadlineRow.transfer_id == transfer_id)
        if open_only:
            stmt = stmt.where(DeadlineRow.state == DeadlineState.OPEN.value)
        rows = await self._session.scalars(stmt.order_by(DeadlineRow.due_at, DeadlineRow.id))
        return [_deadline(r) for r in rows]

    async def for_transfers(self, transfer_ids: Collection[int]) -> dict[int, list[Deadline]]:
        found: dict[int, list[Deadline]] = {i: [] for i in transfer_ids}
        if not transfer_ids:
            return found
        rows = await self._session.scalars(
            select(DeadlineRow)
            .where(DeadlineRow.transfer_id.in_(list(transfer_ids)))
            .order_by(DeadlineRow.due_at, DeadlineRow.id)
        )
        for row in rows:
            found[row.transfer_id].append(_deadline(row))
        return found

    async def owned_by(self, tenant_id: str, object_ids: Collection[str], *, limit: int = 100) -> list[Deadline]:
        """Open deadlines these people own, soonest first."""
        rows = await self._session.scalars(
            select(DeadlineRow)
            .where(
                DeadlineRow.tenant_id == tenant_id,
                DeadlineRow.owner_object_id.in_(list(object_ids)),
                DeadlineRow.state == DeadlineState.OPEN.value,
            )
            .order_by(DeadlineRow.due_at, DeadlineRow.id)
            .limit(limit)
        )
        return [_deadline(r) for r in rows]

    async def open_due_before(self, tenant_id: str | None, before: datetime, *, limit: int = 500) -> list[Deadline]:
        """Open deadlines due before a time (the weekly digest: due this week, and overdue)."""
        stmt = select(DeadlineRow).where(DeadlineRow.state == DeadlineState.OPEN.value, DeadlineRow.due_at < before)
        if tenant_id is not None:
            stmt = stmt.where(DeadlineRow.tenant_id == tenant_id)
        rows = await self._session.scalars(stmt.order_by(DeadlineRow.due_at).limit(limit))
        return [_deadline(r) for r in rows]

    async def _change(self, deadline: Deadline, now: datetime, **values: Any) -> Deadline | None:
        """Change a deadline still open at the version it was read at; None when someone got there first."""
        result = await self._session.execute(
            update(DeadlineRow)
            .where(
                DeadlineRow.id == deadline.id,
                DeadlineRow.version == deadline.version,
                DeadlineRow.state == DeadlineState.OPEN.value,
            )
            .values(version=deadline.version + 1, updated_at=now, **values)
            .returning(DeadlineRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.get(deadline.id)

    async def settle(
        self, deadline: Deadline, state: DeadlineState, now: datetime, *, note: str = ""
    ) -> Deadline | None:
        return await self._change(deadline, now, state=state.value, settled_at=now, note=note[:300])

    async def snooze(self, deadline: Deadline, until: datetime, now: datetime) -> Deadline | None:
        return await self._change(deadline, now, snoozed_until=until)

    async def reassign(self, deadline: Deadline, owner_object_id: str, now: datetime) -> Deadline | None:
        return await self._change(deadline, now, owner_object_id=owner_object_id, snoozed_until=None)

    async def extend(
        self, deadline: Deadline, due_at: datetime, *, reason: str, agreed_by: str, now: datetime
    ) -> Deadline | None:
        return await self._change(
            deadline,
            now,
            due_at=due_at,
            previous_due_at=deadline.due_at,
            extension_reason=reason[:300],
            extension_agreed_by=agreed_by[:80],
            snoozed_until=None,
        )

    async def cancel_queued(self, dedupe_keys: Collection[str]) -> int:
        """Take a settled deadline's reminders off the outbox, in the transaction that settles it."""
        if not dedupe_keys:
            return 0
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.dedupe_key.in_(list(dedupe_keys)), OutboxRow.status == "pending")
            .values(status="cancelled")
        )
        return int(getattr(result, "rowcount", 0) or 0)

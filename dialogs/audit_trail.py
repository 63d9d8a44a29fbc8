"""Writing the audit trail from a turn: who acted, when, on which record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.turn import Turn
from storage.uow import UnitOfWork


async def audit(
    uow: UnitOfWork, turn: Turn, action: str, record_type: str, record_id: str, detail: dict[str, Any] | None = None
) -> None:
    """One audit event for what this person did in this turn, in the turn's transaction."""
    await uow.audit.record(
        at=turn.now,
        tenant_id=turn.actor.tenant_id,
        actor_object_id=turn.actor.object_id,
        action=action,
        record_type=record_type,
        record_id=record_id,
        detail=detail,
    )


async def audit_system(
    uow: UnitOfWork,
    now: datetime,
    tenant_id: str,
    action: str,
    record_type: str,
    record_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """An audit event for what the bot itself did in a job (a hold expiring, an offer made)."""
    await uow.audit.record(
        at=now,
        tenant_id=tenant_id,
        actor_object_id="system",
        action=action,
        record_type=record_type,
        record_id=record_id,
        detail=detail,
    )

"""A stored transfer request as the dialogs see it: its details, where it stands, who decided what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.directions import Direction
from domain.transfer_machine import OPEN_STATES, State
from domain.transfers import TransferDetails


@dataclass(frozen=True)
class Transfer:
    id: int
    version: int
    state: State
    paused_from: State | None
    tenant_id: str
    requester_object_id: str
    requester_name: str
    case_reference: str
    direction: Direction
    from_team: str
    to_service: str
    details: dict[str, Any]
    receiving_channel: str
    channel_conversation_id: str = ""
    channel_activity_id: str = ""
    decision: dict[str, Any] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)
    decision_due_at: datetime | None = None
    gaps_due_at: datetime | None = None
    last_actor_name: str = ""
    submitted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def request(self) -> TransferDetails:
        """The request as the requester submitted it (the stored record also keeps the wording and origin)."""
        return TransferDetails.model_validate(
            {k: v for k, v in self.details.items() if k in TransferDetails.model_fields}
        )

    @property
    def allocated_worker(self) -> str:
        return str(self.decision.get("worker_name", ""))

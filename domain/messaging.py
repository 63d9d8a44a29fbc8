"""Plain records of where the bot can reach people and what it has still to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ConversationKind(StrEnum):
    PERSONAL = "personal"
    CHANNEL = "channel"
    GROUP_CHAT = "groupChat"


@dataclass(frozen=True)
class ConversationRef:
    """Enough to send into a conversation later, without the person writing first."""

    tenant_id: str
    kind: ConversationKind
    conversation_id: str
    service_url: str
    object_id: str = ""
    user_id: str = ""
    bot_id: str = ""
    team_id: str = ""
    channel_id: str = "msteams"
    status: str = "active"


class OutboxKind(StrEnum):
    """What an outbox row does when it falls due."""

    SEND_TO_CONVERSATION = "send.conversation"  # a card or text into a stored conversation
    SEND_TO_PERSON = "send.person"  # to a person's personal chat, created from the roster if need be
    UPDATE_CARD = "update.card"  # replace a card already posted
    JOB = "job"  # an internal job: a held slot expiring, an agenda to post
    SYNC_ROSTER = "sync.roster"  # read a team's roster from Teams into the database


@dataclass(frozen=True)
class OutboxMessage:
    """One side effect to carry out at or after `due_at`."""

    kind: OutboxKind
    payload: dict[str, Any]
    due_at: datetime
    dedupe_key: str | None = None
    id: int = 0
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # The claim: which worker holds the row, and the time it was first due (lateness counts from there).
    locked_by: str = ""
    scheduled_at: datetime | None = None

    @property
    def key(self) -> str:
        """The row's idempotency key, or one made from its id: how a digest names what it carries."""
        return self.dedupe_key or f"outbox:{self.id}"


@dataclass(frozen=True)
class DeadLetter:
    """An outbox row given up on: what it was and why, never what it carried."""

    id: int
    kind: OutboxKind
    due_at: datetime
    dead_at: datetime | None
    attempts: int
    error: str
    error_class: str
    error_code: str
    dedupe_key: str | None
    # Where it was going: a personal chat (tenant, object id) or a conversation id; no card, no text.
    conversation_id: str = ""
    object_id: str = ""
    tenant_id: str = ""

"""Queue notices through the outbox, in the caller's transaction: to a person, a channel or a card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.turn import Card
from domain.messaging import OutboxKind, OutboxMessage
from storage.uow import UnitOfWork


async def notify_person(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    object_id: str,
    card: Card,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    summary: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """A card to someone's personal chat; the sender creates the chat from the roster if need be.

    `extra` carries what the sender understands beside the card: `fallback` (another target when the person
    can't be reached), `fold` (may go in one digest with others due at once), `mention`, `late_note`.
    """
    await uow.outbox.add(
        OutboxMessage(
            kind=OutboxKind.SEND_TO_PERSON,
            payload={
                "tenant_id": tenant_id,
                "object_id": object_id,
                "card": card,
                "summary": summary,
                **(extra or {}),
            },
            due_at=due_at or now,
            dedupe_key=dedupe_key,
        ),
        now,
    )


async def post_to_conversation(
    uow: UnitOfWork,
    *,
    conversation_id: str,
    card: Card,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    summary: str = "",
    track: str | None = None,
    refresh_for: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """A card into a channel or chat; `track` names the record whose card it is, to update it later.

    `refresh_for` lists the roles (and "requester:<object id>") whose members get their own view of the
    card through `refresh.userIds`, resolved from the team roster when it is sent.
    """
    await uow.outbox.add(
        OutboxMessage(
            kind=OutboxKind.SEND_TO_CONVERSATION,
            payload={
                "conversation_id": conversation_id,
                "card": card,
                "summary": summary,
                "track": track,
                "refresh_for": refresh_for or [],
                **(extra or {}),
            },
            due_at=due_at or now,
            dedupe_key=dedupe_key,
        ),
        now,
    )


async def update_card(
    uow: UnitOfWork,
    *,
    conversation_id: str,
    activity_id: str,
    card: Card,
    now: datetime,
    refresh_for: list[str] | None = None,
) -> None:
    """Replace a card already posted, so everyone sees the new state (not only the clicker)."""
    await uow.outbox.add(
        OutboxMessage(
            kind=OutboxKind.UPDATE_CARD,
            payload={
                "conversation_id": conversation_id,
                "activity_id": activity_id,
                "card": card,
                "refresh_for": refresh_for or [],
            },
            due_at=now,
        ),
        now,
    )

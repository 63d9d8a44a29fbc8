"""Installs and removals: remember where people are, and tell an administrator when the bot is removed."""

from __future__ import annotations

from cards.common import render_notice
from dialogs.audit_trail import audit
from dialogs.notices import notify_person, post_to_conversation
from dialogs.turn import Services, Turn
from domain.messaging import ConversationRef
from storage.uow import UnitOfWork


async def remember_conversations(services: Services, refs: list[ConversationRef], turn: Turn) -> None:
    """Store the references of this turn (the conversation, and the person in it) in one transaction."""
    async with services.uow() as uow:
        for ref in refs:
            await uow.conversations.remember(ref, turn.now)


async def _tell_admins(uow: UnitOfWork, services: Services, turn: Turn, title: str, lines: list[str]) -> None:
    card = render_notice(title, lines)
    admin_channel = services.channels.get("admins")
    if admin_channel:
        await post_to_conversation(uow, conversation_id=admin_channel, card=card, now=turn.now, summary=title)
        return
    for object_id in services.admin_object_ids:
        await notify_person(
            uow, tenant_id=turn.actor.tenant_id, object_id=object_id, card=card, now=turn.now, summary=title
        )


async def bot_removed(
    services: Services,
    turn: Turn,
    *,
    conversation_id: str | None,
    team_id: str | None,
    what: str,
    status: str = "uninstalled",
) -> int:
    """Mark the references gone (uninstalled, removed, deleted) and tell the administrators, in one transaction."""
    async with services.uow() as uow:
        changed = await uow.conversations.mark(
            status, turn.now, conversation_id=conversation_id if not team_id else None, team_id=team_id
        )
        await audit(uow, turn, "bot." + status, "conversation", (team_id or conversation_id or "")[:64])
        await _tell_admins(
            uow,
            services,
            turn,
            "The step up / step down bot was removed",
            [what, "Notices for that conversation will not be delivered until it is installed again."],
        )
        return changed

"""Installs and removals: remember where people are, and tell an administrator when the bot is removed."""

from __future__ import annotations

from cards.common import render_notice
from dialogs.audit_trail import audit
from dialogs.case_access import roster_sync
from dialogs.notices import notify_person, post_to_conversation
from dialogs.turn import Services, Turn
from domain.messaging import ConversationRef
from storage.rosters import Member
from storage.uow import UnitOfWork


def roster_scope(ref: ConversationRef) -> str:
    """The roster a conversation belongs to: its team's, or the chat's own."""
    return ref.team_id or ref.conversation_id


async def remember_conversations(services: Services, refs: list[ConversationRef], turn: Turn) -> None:
    """Store the references of this turn (the conversation, and the person in it) in one transaction.

    A person writing in a conversation is on its roster: that is kept too, so the receiving side is known
    before Teams' roster is read.
    """
    async with services.uow() as uow:
        for ref in refs:
            await uow.conversations.remember(ref, turn.now)
            if ref.object_id:
                member = Member(ref.object_id, ref.user_id, turn.actor.name)
                await uow.rosters.add(roster_scope(ref), member, turn.now)


async def read_roster(services: Services, turn: Turn) -> None:
    """Installed in a team or chat: read who is in it, so its receiving side is known."""
    scope = turn.where.team_id or turn.where.conversation_id
    async with services.uow() as uow:
        await uow.outbox.add(roster_sync(scope, turn.where.conversation_id, turn.now), turn.now)


async def members_joined(services: Services, turn: Turn, people: list[tuple[str, str, str]]) -> None:
    """People added to a team or chat (object id, Teams id, name); one without an object id means a roster read."""
    scope = turn.where.team_id or turn.where.conversation_id
    async with services.uow() as uow:
        for object_id, user_id, name in people:
            if object_id:
                await uow.rosters.add(scope, Member(object_id, user_id, name), turn.now)
        if any(not object_id for object_id, _, _ in people):
            await uow.outbox.add(roster_sync(scope, turn.where.conversation_id, turn.now), turn.now)


async def members_left(services: Services, turn: Turn, people: list[tuple[str, str]]) -> None:
    """People removed from a team or chat (object id, Teams id): they are on its receiving side no more."""
    scope = turn.where.team_id or turn.where.conversation_id
    async with services.uow() as uow:
        await uow.rosters.remove(scope, [oid for oid, _ in people if oid], user_ids=[uid for _, uid in people if uid])
        await audit(uow, turn, "roster.members_left", "team", scope[:64], detail={"count": len(people)})


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

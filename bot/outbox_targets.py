"""Where an outbox row goes: stored conversations, personal chats opened from the roster, who gets a card's view.

Every call to the Bot Connector made here (roster reads, opening a chat) is paced like a send: Teams' tenant
limit counts every request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botbuilder.schema import ChannelAccount, ConversationParameters

from bot.credentials import CachedConnectorFactory
from bot.pacing import Pacer
from bot.roles import RoleDirectory
from cards.delivery import Mention
from dialogs.turn import Services
from domain.messaging import ConversationKind, ConversationRef
from storage.rosters import Member

# Teams gives its own view of a card to at most 60 people through refresh.userIds.
MAX_REFRESH_USERS = 60
# refresh_for names a person as "person:<object id>" ("requester:" in rows queued before it was renamed).
_PERSON_PREFIXES = ("person:", "requester:")
# At most this many people are @mentioned on one card.
MAX_MENTIONS = 20


class Undeliverable(Exception):
    """Nowhere to send this row: no reference, or the bot was removed."""


class Targets:
    def __init__(
        self, services: Services, connectors: CachedConnectorFactory, pacer: Pacer, roles: RoleDirectory | None
    ) -> None:
        self._services = services
        self._connectors = connectors
        self._pacer = pacer
        self._roles = roles

    async def roster(self, client: Any, ref: ConversationRef, now: datetime) -> list[Any]:
        """The members of the conversation's team (or of the chat itself), kept as its roster for access checks."""
        scope = ref.team_id or ref.conversation_id
        await self._pacer.acquire(None, ref.tenant_id)
        members = list(await client.conversations.get_conversation_members(scope))
        people = [
            Member(str(m.aad_object_id), str(m.id or ""), str(getattr(m, "name", "") or ""))
            for m in members
            if getattr(m, "aad_object_id", None)
        ]
        async with self._services.uow() as uow:
            await uow.rosters.replace(scope, people, now)
        return members

    async def viewers(self, client: Any, ref: ConversationRef, wanted: list[str], now: datetime) -> list[str]:
        """The 29: ids, from the team roster, of members whose roles get their own view (at most 60)."""
        if not wanted or self._roles is None or not ref.team_id:
            return []
        named = {w for w in wanted if w.startswith(_PERSON_PREFIXES)}
        roles = set(wanted) - named
        people = {w.split(":", 1)[1] for w in named}
        members = await self.roster(client, ref, now)
        found: list[str] = []
        for member in members:
            oid = getattr(member, "aad_object_id", None)
            if not oid or not member.id:
                continue
            held = {r.value for r in await self._roles.roles_for(oid)}
            if oid in people or held & roles:
                found.append(member.id)
            if len(found) == MAX_REFRESH_USERS:
                break
        return found

    async def mentions(self, ref: ConversationRef, object_ids: list[str]) -> list[Mention]:
        """The people to @mention, from the stored rosters (the target's team first); unknown ids left out."""
        wanted = list(dict.fromkeys(str(o) for o in object_ids if o))[:MAX_MENTIONS]
        async with self._services.uow() as uow:
            known = await uow.conversations.teams_ids(ref.team_id or ref.conversation_id, wanted)
        return [Mention(*known[o]) for o in wanted if o in known]

    async def conversation(self, conversation_id: str) -> ConversationRef:
        async with self._services.uow() as uow:
            ref = await uow.conversations.conversation(conversation_id)
        if ref is None:
            raise Undeliverable(f"no stored reference for conversation {conversation_id[:24]}")
        if ref.status != "active":
            raise Undeliverable(f"the bot is {ref.status} from that conversation")
        return ref

    async def personal_chat(self, tenant_id: str, object_id: str, now: datetime) -> ConversationRef:
        async with self._services.uow() as uow:
            ref = await uow.conversations.personal_chat(tenant_id, object_id)
            if ref is not None:
                return ref
            # Never spoke to the bot: find the person in a team roster and open a chat.
            known = await uow.conversations.person_anywhere(tenant_id, object_id)
            if known is None:
                known = await uow.conversations.any_team(tenant_id)
                user_id_known = False
            else:
                user_id_known = bool(known.user_id)
        if known is None:
            raise Undeliverable("the person has no chat with the bot and is in no known team")
        client = await self._connectors.sending_client(known.service_url)
        user_id = known.user_id if user_id_known else ""
        if not user_id and known.team_id:
            await self._pacer.acquire(None, tenant_id)
            members = await client.conversations.get_conversation_members(known.team_id)
            match = next((m for m in members if getattr(m, "aad_object_id", None) == object_id), None)
            if match is None:
                raise Undeliverable("the person is not on the team roster")
            user_id = match.id
        if not user_id:
            raise Undeliverable("no Teams id for the person")
        params = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=known.bot_id),
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        await self._pacer.acquire(None, tenant_id)
        created = await client.conversations.create_conversation(params)
        ref = ConversationRef(
            tenant_id=tenant_id,
            kind=ConversationKind.PERSONAL,
            conversation_id=created.id,
            service_url=known.service_url,
            object_id=object_id,
            user_id=user_id,
            bot_id=known.bot_id,
        )
        async with self._services.uow() as uow:
            await uow.conversations.remember(ref, now)
        return ref

    async def mark_stale(self, conversation_id: str, status: str, now: datetime) -> None:
        """Teams says the bot can't reach this conversation any more: later rows skip it (or take their fallback)."""
        async with self._services.uow() as uow:
            await uow.conversations.mark(status, now, conversation_id=conversation_id)

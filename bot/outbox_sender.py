"""Carries out one outbox row: sends, creates a chat from the roster, updates a card, or runs a job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.credentials import CachedConnectorFactory, TokenError
from bot.graph import GraphError
from bot.roles import RoleDirectory
from dialogs.jobs import find_job
from dialogs.turn import Services
from domain.messaging import ConversationKind, ConversationRef, OutboxKind, OutboxMessage
from storage.rosters import Member

log = logging.getLogger(__name__)

# Teams gives its own view of a card to at most 60 people through refresh.userIds.
MAX_REFRESH_USERS = 60
# refresh_for names a person as "person:<object id>" ("requester:" in rows queued before it was renamed).
_PERSON_PREFIXES = ("person:", "requester:")


@dataclass(frozen=True)
class Outcome:
    """How a send ended: done (with a result to keep), retry later, or give up."""

    done: bool
    result: dict[str, Any] | None = None
    retry_after_seconds: float | None = None
    error: str = ""


class Undeliverable(Exception):
    """Nowhere to send this row: no reference, or the bot was removed."""


def _activity(payload: dict[str, Any]) -> Activity:
    card = payload.get("card")
    if card:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if payload.get("summary"):
            activity.summary = payload["summary"]
        return activity
    return MessageFactory.text(str(payload.get("text", "")))


class OutboxSender:
    def __init__(
        self, services: Services, connectors: CachedConnectorFactory, roles: RoleDirectory | None = None
    ) -> None:
        self._services = services
        self._connectors = connectors
        self._roles = roles

    async def _roster(self, client: Any, ref: ConversationRef, now: datetime) -> list[Any]:
        """The members of the conversation's team (or of the chat itself), kept as its roster for access checks."""
        scope = ref.team_id or ref.conversation_id
        members = list(await client.conversations.get_conversation_members(scope))
        people = [
            Member(str(m.aad_object_id), str(m.id or ""), str(getattr(m, "name", "") or ""))
            for m in members
            if getattr(m, "aad_object_id", None)
        ]
        async with self._services.uow() as uow:
            await uow.rosters.replace(scope, people, now)
        return members

    async def _sync_roster(self, payload: dict[str, Any], now: datetime) -> Outcome:
        ref = await self._conversation(str(payload["conversation_id"]))
        client = await self._connectors.sending_client(ref.service_url)
        members = await self._roster(client, ref, now)
        return Outcome(done=True, result={"members": len(members)})

    async def _viewers(self, client: Any, ref: ConversationRef, wanted: list[str], now: datetime) -> list[str]:
        """The 29: ids, from the team roster, of members whose roles get their own view (at most 60)."""
        if not wanted or self._roles is None or not ref.team_id:
            return []
        named = {w for w in wanted if w.startswith(_PERSON_PREFIXES)}
        roles = set(wanted) - named
        people = {w.split(":", 1)[1] for w in named}
        members = await self._roster(client, ref, now)
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

    async def _conversation(self, conversation_id: str) -> ConversationRef:
        async with self._services.uow() as uow:
            ref = await uow.conversations.conversation(conversation_id)
        if ref is None:
            raise Undeliverable(f"no stored reference for conversation {conversation_id[:24]}")
        if ref.status != "active":
            raise Undeliverable(f"the bot is {ref.status} from that conversation")
        return ref

    async def _personal_chat(self, tenant_id: str, object_id: str, now: datetime) -> ConversationRef:
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

    async def deliver(self, message: OutboxMessage, now: datetime) -> Outcome:
        try:
            return await self._deliver(message, now)
        except Undeliverable as exc:
            return Outcome(done=False, error=str(exc))
        except HttpOperationError as exc:
            status = getattr(exc.response, "status_code", 0) or 0
            if status == 429 or status >= 500:
                retry_after = 0.0
                headers = getattr(exc.response, "headers", {}) or {}
                try:
                    retry_after = float(headers.get("Retry-After", 0))
                except (TypeError, ValueError):
                    retry_after = 0.0
                return Outcome(done=False, retry_after_seconds=max(retry_after, 1.0), error=f"HTTP {status}")
            return Outcome(done=False, error=f"HTTP {status}")
        except (ClientRequestError, TimeoutError, OSError) as exc:
            return Outcome(done=False, retry_after_seconds=5.0, error=type(exc).__name__)
        except GraphError as exc:
            return Outcome(done=False, retry_after_seconds=60.0, error=str(exc))
        except TokenError as exc:
            # Entra gave no bot token: nothing was sent, so the row waits for Entra (expected, no traceback).
            return Outcome(done=False, retry_after_seconds=60.0, error=f"no bot token: {exc}")
        except Exception as exc:
            # A job that fails unexpectedly is retried later; the log has the row id, never the payload.
            log.exception("outbox row failed", extra={"outbox_id": message.id, "kind": message.kind.value})
            return Outcome(done=False, retry_after_seconds=300.0, error=type(exc).__name__)

    async def _deliver(self, message: OutboxMessage, now: datetime) -> Outcome:
        payload = message.payload
        if message.kind is OutboxKind.JOB:
            name = str(payload.get("job", ""))
            job = find_job(name)
            if job is None:
                return Outcome(done=False, error=f"unknown job {name!r}")
            await job(self._services, payload, now)
            return Outcome(done=True)
        if message.kind is OutboxKind.SYNC_ROSTER:
            return await self._sync_roster(payload, now)
        if message.kind is OutboxKind.SEND_TO_PERSON:
            ref = await self._personal_chat(str(payload["tenant_id"]), str(payload["object_id"]), now)
        else:
            ref = await self._conversation(str(payload["conversation_id"]))
        client = await self._connectors.sending_client(ref.service_url)
        card = payload.get("card")
        if isinstance(card, dict) and isinstance(card.get("refresh"), dict) and payload.get("refresh_for"):
            viewers = await self._viewers(client, ref, list(payload["refresh_for"]), now)
            payload = {**payload, "card": {**card, "refresh": {**card["refresh"], "userIds": viewers}}}
        activity = _activity(payload)
        if message.kind is OutboxKind.UPDATE_CARD:
            activity.id = str(payload["activity_id"])
            await client.conversations.update_activity(ref.conversation_id, activity.id, activity)
            return Outcome(done=True, result={"activity_id": activity.id})
        # A turn's reply queued while it could not be sent goes back into the channel thread it answers.
        target = str(payload.get("thread_id") or ref.conversation_id)
        response = await client.conversations.send_to_conversation(target, activity)
        return Outcome(
            done=True, result={"activity_id": getattr(response, "id", None), "conversation_id": ref.conversation_id}
        )

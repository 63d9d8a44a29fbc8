"""The Teams activity handler: turns activities into dialog calls and dialog replies into activities."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from botbuilder.core import BotAdapter, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, ChannelAccount
from botbuilder.schema.teams import ChannelInfo, TeamInfo, TeamsChannelAccount
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot import activities
from bot.credentials import TokenError, prepare_send
from bot.roles import HeldRoles, RoleDirectory
from cards.common import GROUP_ROLES_UNCHECKED, render_apology, render_error
from dialogs import installs
from dialogs.help import welcome_reply
from dialogs.router import Router
from dialogs.turn import Card, Reply, Services, Turn, Where
from domain.messaging import ConversationKind, ConversationRef, OutboxKind, OutboxMessage
from domain.roles import Person

log = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _reply_activity(part: dict[str, Any]) -> Activity:
    """One part of a reply ({"text": ...} or {"card": ...}, as an outbox row carries it) as an activity."""
    if "card" in part:
        return MessageFactory.attachment(CardFactory.adaptive_card(part["card"]))
    return MessageFactory.text(str(part["text"]))


def _reply_parts(reply: Reply, *, skip_first_card: bool) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
    cards: list[Card] = reply.cards[1:] if skip_first_card and reply.invoke_card is None else reply.cards
    parts.extend({"card": c} for c in cards)
    return parts


def _not_sent_for_now(exc: Exception) -> bool:
    """A send that failed for want of a token or of a reachable connector: the outbox can send it later."""
    if isinstance(exc, HttpOperationError):
        status = getattr(exc.response, "status_code", 0) or 0
        return status == 429 or status >= 500
    return isinstance(exc, TokenError | ClientRequestError | TimeoutError | OSError)


class RecentReferences:
    """References written lately, so a busy conversation doesn't write the same row on every turn.

    A cache, not state: the database stays the truth, and a miss only costs one write.
    """

    def __init__(self, ttl_seconds: float = 600.0, max_entries: int = 50_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._seen: dict[ConversationRef, float] = {}

    def fresh(self, refs: list[ConversationRef]) -> list[ConversationRef]:
        now = time.monotonic()
        return [r for r in refs if now - self._seen.get(r, -self._ttl) >= self._ttl]

    def remember(self, refs: list[ConversationRef]) -> None:
        if len(self._seen) >= self._max:
            self._seen.clear()
        now = time.monotonic()
        for ref in refs:
            self._seen[ref] = now

    def forget(self) -> None:
        """After an uninstall or removal: the next activity must write its reference again."""
        self._seen.clear()


class StepBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        services: Services,
        router: Router,
        roles: RoleDirectory,
        clock: Callable[[], datetime],
    ) -> None:
        self._services = services
        self._router = router
        self._roles = roles
        self._clock = clock
        self._recent = RecentReferences()

    # -- turning an activity into a Turn -------------------------------------------------------
    async def _turn(self, context: TurnContext) -> Turn:
        activity = context.activity
        local = self._services.local_mode
        oid = activities.object_id_of(activity, local_mode=local)
        held = await self._roles.lookup(oid) if oid else HeldRoles(frozenset())
        sender = activity.from_property
        person = Person(
            tenant_id=activities.tenant_of(activity),
            object_id=oid,
            name=(sender.name or "") if sender else "",
            roles=held.roles,
            trial=held.trial,
            groups_unchecked=held.groups_unchecked,
        )
        channel = activities.channel_data(activity).get("channel") or {}
        where = Where(
            kind=activities.kind_of(activity),
            conversation_id=activities.base_conversation_id(activity.conversation.id),
            team_id=activities.team_of(activity),
            channel_name=str(channel.get("name", "")) if isinstance(channel, dict) else "",
        )
        return Turn(
            actor=person,
            where=where,
            now=self._clock(),
            activity_id=activity.id or "",
            is_invoke=activity.type == "invoke",
        )

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.type in ("message", "invoke", "installationUpdate", "conversationUpdate"):
            refs = activities.references_of(activity, local_mode=self._services.local_mode)
            if activity.type == "installationUpdate":
                self._recent.forget()
            fresh = self._recent.fresh(refs)
            if fresh:
                turn = await self._turn(turn_context)
                turn_context.turn_state["stepbot.turn"] = turn
                await installs.remember_conversations(self._services, fresh, turn)
                self._recent.remember(fresh)
        await super().on_turn(turn_context)

    async def _current_turn(self, context: TurnContext) -> Turn:
        turn = context.turn_state.get("stepbot.turn")
        if isinstance(turn, Turn):
            return turn
        turn = await self._turn(context)
        context.turn_state["stepbot.turn"] = turn
        return turn

    def _services_for(self, turn: Turn) -> Services:
        """The services for this turn's dialogs, with the "ask for a role" hint adapted to the person.

        A person whose groups can't be checked is told so wherever a card says they lack a role (the router's
        refusal, help, the transfer directions): those cards all show `admin_contact`.
        """
        if not turn.actor.groups_unchecked:
            return self._services
        return replace(self._services, admin_contact=f"{GROUP_ROLES_UNCHECKED} {self._services.admin_contact}")

    async def _send(
        self,
        context: TurnContext,
        turn: Turn,
        reply: Reply,
        *,
        skip_first_card: bool = False,
        may_fetch_token: bool = True,
    ) -> None:
        """Send the reply into the turn's conversation, or queue in the outbox what can't go now.

        No token from Entra, or a connector that is unreachable or busy, must not fail the turn: the rest of
        the reply waits in the outbox. `may_fetch_token` False sends only with a token already held (an
        invoke's answer must not wait on Entra).
        """
        parts = _reply_parts(reply, skip_first_card=skip_first_card)
        client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        for index, part in enumerate(parts):
            try:
                if index == 0:
                    await prepare_send(client, may_fetch=may_fetch_token)
                await context.send_activity(_reply_activity(part))
            except Exception as exc:
                if not _not_sent_for_now(exc):
                    raise
                await self._queue_unsent(context.activity, turn, parts, index, exc)
                return

    async def _queue_unsent(
        self, activity: Activity, turn: Turn, parts: list[dict[str, Any]], first: int, exc: Exception
    ) -> None:
        """The reply's parts from `first` on, as outbox rows to the turn's conversation (its thread, in a channel)."""
        thread = activity.conversation.id if activity.conversation.id != turn.where.conversation_id else ""
        # A repeat of the same activity (Teams resends) queues nothing twice.
        turn_key = hashlib.sha256(f"{activity.conversation.id}|{activity.id}".encode()).hexdigest()[:40]
        async with self._services.uow() as uow:
            for index in range(first, len(parts)):
                payload: dict[str, Any] = {"conversation_id": turn.where.conversation_id, **parts[index]}
                if thread:
                    payload["thread_id"] = thread
                message = OutboxMessage(
                    kind=OutboxKind.SEND_TO_CONVERSATION,
                    payload=payload,
                    due_at=turn.now,
                    dedupe_key=f"turn-reply:{turn_key}:{index}" if activity.id else None,
                )
                await uow.outbox.add(message, turn.now)
        log.warning(
            "turn reply queued for the outbox",
            extra={"activity_id": activity.id, "parts": len(parts) - first, "error": type(exc).__name__},
        )

    async def _guarded(self, turn: Turn, what: str, call: Callable[[], Any]) -> Reply:
        """Run a dialog; an unexpected failure becomes an apology with a correlation id (and a log line)."""
        try:
            reply: Reply = await call()
            return reply
        except Exception:
            correlation = uuid.uuid4().hex[:12]
            log.exception("turn failed", extra={"correlation_id": correlation, "what": what})
            return Reply(cards=[render_apology(correlation)])

    # -- messages, Action.Submit and Action.Execute ---------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = await self._current_turn(turn_context)
        activity = turn_context.activity
        if activity.value is not None and not activity.text:
            data = activities.submitted_data(activity.value)
            verb = data.get("verb") if isinstance(data, dict) else None
            services = self._services_for(turn)
            reply = await self._guarded(
                turn, f"submit {verb}", lambda: self._router.dispatch_action(data, turn, services)
            )
        else:
            text = TurnContext.remove_recipient_mention(activity) if activity.entities else (activity.text or "")
            text = (text or "").strip()
            if not text:
                text = "help"
            services = self._services_for(turn)
            reply = await self._guarded(turn, "command", lambda: self._router.dispatch_command(text, turn, services))
        await self._send(turn_context, turn, reply)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        turn = await self._current_turn(turn_context)
        data = activities.execute_data(turn_context.activity.value)
        if data is None:
            reply = Reply(cards=[render_error("That button sent something I can't read", "The card was malformed.")])
        else:
            services = self._services_for(turn)
            reply = await self._guarded(
                turn,
                f"execute {data.get('verb')}",
                lambda: self._router.dispatch_action(data, turn, services),
            )
        card = reply.card_for_invoke
        # Anything beyond the clicker's card (a confirmation, say) goes to the conversation; the card itself is
        # in the HTTP answer and needs no token, so nothing here may wait on Entra.
        await self._send(turn_context, turn, reply, skip_first_card=True, may_fetch_token=False)
        return InvokeResponse(
            status=200,
            body=AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card),
        )

    # -- install, removal, deleted channels -----------------------------------------------------
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        turn = await self._current_turn(turn_context)
        if turn.where.kind is not ConversationKind.PERSONAL:
            await installs.read_roster(self._services, turn)
        reply = await self._guarded(turn, "welcome", lambda: _welcome(turn, self._services))
        await self._send(turn_context, turn, reply)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        turn = await self._current_turn(turn_context)
        where = turn.where
        if where.kind is ConversationKind.PERSONAL:
            what = f"{turn.actor.name or 'Someone'} uninstalled the bot from their personal chat."
        else:
            what = "The bot was uninstalled from a team or group chat."
        await installs.bot_removed(
            self._services,
            turn,
            conversation_id=where.conversation_id if not where.team_id else None,
            team_id=where.team_id or None,
            what=what,
        )

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # A removal or a deleted channel changes stored references: don't trust the cache after it.
        self._recent.forget()
        await super().on_conversation_update_activity(turn_context)

    async def on_teams_members_removed(
        self,
        teams_members_removed: list[TeamsChannelAccount],
        team_info: TeamInfo,
        turn_context: TurnContext,
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        turn = await self._current_turn(turn_context)
        if not any(m.id == bot_id for m in teams_members_removed):
            people = [(m.aad_object_id or "", m.id or "") for m in teams_members_removed]
            await installs.members_left(self._services, turn, people)
            return
        team_name = team_info.name if team_info and team_info.name else "a team"
        await installs.bot_removed(
            self._services,
            turn,
            conversation_id=turn.where.conversation_id,
            team_id=(team_info.id if team_info else None) or turn.where.team_id or None,
            what=f"The bot was removed from {team_name}.",
            status="removed",
        )

    async def on_teams_channel_deleted(
        self, channel_info: ChannelInfo, team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        turn = await self._current_turn(turn_context)
        await installs.bot_removed(
            self._services,
            turn,
            conversation_id=channel_info.id,
            team_id=None,
            what=f"The channel {channel_info.name or channel_info.id} was deleted.",
            status="deleted",
        )

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        """People joined: keep them on the roster. The SDK would look each one up in Teams inside this turn."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        people = [(m.aad_object_id or "", m.id or "", m.name or "") for m in members_added if m.id != bot_id]
        if people:
            turn = await self._current_turn(turn_context)
            await installs.members_joined(self._services, turn, people)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        # The welcome goes out on installationUpdate; conversationUpdate only refreshes references.
        return


async def _welcome(turn: Turn, services: Services) -> Reply:
    return welcome_reply(turn, services)

"""The Teams activity handler: turns activities into dialog calls and dialog replies into activities."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, ChannelAccount
from botbuilder.schema.teams import ChannelInfo, TeamInfo, TeamsChannelAccount

from bot import activities
from bot.roles import RoleDirectory
from cards.common import render_apology, render_error
from dialogs import installs
from dialogs.help import welcome_reply
from dialogs.router import Router
from dialogs.turn import Card, Reply, Services, Turn, Where
from domain.messaging import ConversationKind, ConversationRef
from domain.roles import Person

log = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _card_activity(card: Card) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


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
        roles, trial = await self._roles.lookup(oid) if oid else (frozenset(), False)
        sender = activity.from_property
        person = Person(
            tenant_id=activities.tenant_of(activity),
            object_id=oid,
            name=(sender.name or "") if sender else "",
            roles=roles,
            trial=trial,
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

    async def _send(self, context: TurnContext, reply: Reply, *, skip_first_card: bool = False) -> None:
        outgoing: list[Activity] = []
        if reply.text:
            outgoing.append(MessageFactory.text(reply.text))
        cards = reply.cards[1:] if skip_first_card and reply.invoke_card is None else reply.cards
        outgoing.extend(_card_activity(c) for c in cards)
        if outgoing:
            await context.send_activities(outgoing)

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
            reply = await self._guarded(
                turn, f"submit {verb}", lambda: self._router.dispatch_action(data, turn, self._services)
            )
        else:
            text = TurnContext.remove_recipient_mention(activity) if activity.entities else (activity.text or "")
            text = (text or "").strip()
            if not text:
                text = "help"
            reply = await self._guarded(
                turn, "command", lambda: self._router.dispatch_command(text, turn, self._services)
            )
        await self._send(turn_context, reply)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        turn = await self._current_turn(turn_context)
        data = activities.execute_data(turn_context.activity.value)
        if data is None:
            reply = Reply(cards=[render_error("That button sent something I can't read", "The card was malformed.")])
        else:
            reply = await self._guarded(
                turn,
                f"execute {data.get('verb')}",
                lambda: self._router.dispatch_action(data, turn, self._services),
            )
        card = reply.card_for_invoke
        # Anything beyond the clicker's card (a confirmation, say) goes to the conversation.
        await self._send(turn_context, reply, skip_first_card=True)
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
        await self._send(turn_context, reply)

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

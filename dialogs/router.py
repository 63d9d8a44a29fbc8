"""Routes text commands and card actions to handlers by verb, parsing payloads and checking roles first.

A card action that changes something is registered with `@router.change`: the router runs it in one unit of
work that first claims the action's idempotency key, and keeps the answer with the key, so an action Teams
resends (or a double click) is carried out once and the repeat gets the first answer again. This is the one
mechanism for acting once; handlers do not keep keys of their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import ValidationError

from cards.common import Capability, render_error, render_no_role
from cards.payloads import CONTROL_CHARACTER, TEXT_TOO_LONG, ActionPayload
from dialogs.audit_trail import audit
from dialogs.notices import notify_person
from dialogs.turn import Reply, Services, Turn
from domain.messaging import ConversationKind, OutboxMessage
from domain.roles import Role
from storage.uow import UnitOfWork

P = TypeVar("P", bound=ActionPayload)
ActionHandler = Callable[[Turn, Services, Any], Awaitable[Reply]]
ChangeHandler = Callable[[Turn, Services, Any, UnitOfWork], Awaitable[Reply]]
CommandHandler = Callable[[Turn, Services, str], Awaitable[Reply]]

_VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")


class StaleCard(Exception):
    """Raised by a handler when the card acted on is older than the record: send the current one."""

    def __init__(self, current: Reply) -> None:
        super().__init__("stale card")
        self.current = current


@dataclass(frozen=True)
class RefusalRecord:
    """What a refused attempt on a record leaves in the audit trail (who is the turn's actor)."""

    action: str
    record_type: str
    record_id: str
    detail: dict[str, Any] = field(default_factory=dict)


class Refused(Exception):
    """Raised inside a use case's unit of work: the transaction rolls back and this reply goes out.

    With `record`, the refusal itself is audited, in a transaction of its own after the rollback, so probing
    shows up in the audit trail while nothing else is written. `queue` holds side effects the refusal calls
    for all the same (reading a roster not known yet), written in that same transaction.
    """

    def __init__(
        self, reply: Reply, record: RefusalRecord | None = None, queue: tuple[OutboxMessage, ...] = ()
    ) -> None:
        super().__init__("refused")
        self.reply = reply
        self.record = record
        self.queue = queue


@dataclass(frozen=True)
class _Action:
    verb: str
    payload: type[ActionPayload]
    roles: frozenset[Role]
    handler: ActionHandler | None = None
    change: ChangeHandler | None = None


def _field_words(name: str) -> str:
    """A field's name in words; only the letters a field name can have, as a sender may make up a name."""
    return re.sub(r"[^a-z0-9_]", "", name.lower())[:40].replace("_", " ").strip() or "card"


def payload_problem(exc: ValidationError) -> str:
    """What was wrong with a card's payload, naming the fields and never repeating what was typed."""
    fields: list[str] = []
    for err in exc.errors(include_input=False):
        field = str((err.get("ctx") or {}).get("field", "")) or ".".join(str(p) for p in err["loc"])
        words = _field_words(field)
        if err["type"] == CONTROL_CHARACTER:
            return (
                f"The {words} holds a character that can't be used (a control or text-direction character, "
                "often pasted by accident): remove it and send again."
            )
        if err["type"] in (TEXT_TOO_LONG, "string_too_long"):
            return f"The {words} is too long: shorten it and send again."
        if err["type"] == "extra_forbidden":
            # The field's name is the sender's text: not repeated.
            return "The card sent a field it does not have: it may come from an older version of the bot."
        fields.append(words)
    return "Please check: " + ", ".join(sorted(set(fields))[:8]) + "."


def action_key(verb: str, payload: ActionPayload, turn: Turn) -> str:
    """The idempotency key of one card action: the same person sending the same data to the same verb."""
    data = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{turn.actor.tenant_id}|{turn.actor.object_id}|{data}".encode()).hexdigest()
    return f"{verb}:{digest}"


def _stored(reply: Reply) -> dict[str, Any]:
    return {"card": reply.card_for_invoke, "text": reply.text}


def _replayed(answer: dict[str, Any] | None) -> Reply:
    card = answer.get("card") if answer else None
    if isinstance(card, dict):
        return Reply(cards=[card])
    text = answer.get("text") if answer else None
    return Reply(text=str(text) if text else "That was done already.")


@dataclass(frozen=True)
class _Command:
    name: str
    roles: frozenset[Role]
    handler: CommandHandler
    capability: Capability | None


def _role_names(services: Services, roles: frozenset[Role]) -> list[str]:
    return sorted(services.profile.role_title(r) for r in roles)


class Router:
    """`@router.command("book")` and `@router.action("booking.confirm", payload=..., roles=...)`."""

    def __init__(self) -> None:
        self._actions: dict[str, _Action] = {}
        self._commands: dict[str, _Command] = {}

    def include(self, other: Router) -> None:
        """Merge a capability module's router into this one; a verb or command may be claimed once."""
        for verb, action in other._actions.items():
            if verb in self._actions:
                raise ValueError(f"verb {verb!r} registered twice")
            self._actions[verb] = action
        for name, command in other._commands.items():
            if name in self._commands:
                raise ValueError(f"command {name!r} registered twice")
            self._commands[name] = command

    def action(
        self, verb: str, *, payload: type[P], roles: set[Role] | frozenset[Role] = frozenset()
    ) -> Callable[[Callable[[Turn, Services, P], Awaitable[Reply]]], Callable[[Turn, Services, P], Awaitable[Reply]]]:
        def register(
            fn: Callable[[Turn, Services, P], Awaitable[Reply]],
        ) -> Callable[[Turn, Services, P], Awaitable[Reply]]:
            self._add(_Action(verb, payload, frozenset(roles), handler=fn))
            return fn

        return register

    def change(
        self, verb: str, *, payload: type[P], roles: set[Role] | frozenset[Role] = frozenset()
    ) -> Callable[
        [Callable[[Turn, Services, P, UnitOfWork], Awaitable[Reply]]],
        Callable[[Turn, Services, P, UnitOfWork], Awaitable[Reply]],
    ]:
        """A card action that changes something: run once per idempotency key, in the unit of work given."""

        def register(
            fn: Callable[[Turn, Services, P, UnitOfWork], Awaitable[Reply]],
        ) -> Callable[[Turn, Services, P, UnitOfWork], Awaitable[Reply]]:
            self._add(_Action(verb, payload, frozenset(roles), change=fn))
            return fn

        return register

    def _add(self, action: _Action) -> None:
        if not _VERB.match(action.verb):
            raise ValueError(f"verbs are area.action, got {action.verb!r}")
        if action.verb in self._actions:
            raise ValueError(f"verb {action.verb!r} registered twice")
        self._actions[action.verb] = action

    def command(
        self,
        name: str,
        *,
        roles: set[Role] | frozenset[Role] = frozenset(),
        description: str = "",
        title: str = "",
        verb: str | None = None,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(fn: CommandHandler) -> CommandHandler:
            key = " ".join(name.lower().split())
            if key in self._commands:
                raise ValueError(f"command {name!r} registered twice")
            capability = Capability(key, title or key.capitalize(), description, verb) if description else None
            self._commands[key] = _Command(key, frozenset(roles), fn, capability)
            return fn

        return register

    @property
    def verbs(self) -> list[str]:
        return sorted(self._actions)

    def payload_for(self, verb: str) -> type[ActionPayload] | None:
        """The payload model a verb's data is parsed into (None for a verb nobody registered)."""
        action = self._actions.get(verb)
        return action.payload if action is not None else None

    @property
    def commands(self) -> list[str]:
        return sorted(self._commands)

    def capabilities_for(self, turn: Turn) -> list[Capability]:
        return [c.capability for c in self._commands.values() if c.capability is not None and turn.actor.holds(c.roles)]

    def _refuse(self, services: Services, roles: frozenset[Role]) -> Reply:
        return Reply(cards=[render_no_role(_role_names(services, roles), ask=services.admin_contact)])

    async def dispatch_command(self, text: str, turn: Turn, services: Services) -> Reply:
        words = " ".join(text.lower().split())
        # The longest registered command that starts the text wins ("my bookings" before "my").
        for name in sorted(self._commands, key=len, reverse=True):
            if words == name or words.startswith(name + " "):
                command = self._commands[name]
                if not turn.actor.holds(command.roles):
                    return self._refuse(services, command.roles)
                args = " ".join(text.split()[len(name.split()) :])
                try:
                    return await _in_private(services, turn, await command.handler(turn, services, args))
                except Refused as refused:
                    await _after_refusal(services, turn, refused)
                    return refused.reply
        return Reply(
            cards=[
                render_error(
                    "I don't know that command",
                    "I only understand the commands on the help card.",
                    hints=["Type **help** to see what you can do."],
                )
            ]
        )

    async def dispatch_action(self, data: Any, turn: Turn, services: Services) -> Reply:
        reply = await self._dispatch_action(data, turn, services)
        if not turn.is_invoke and turn.where.kind is not ConversationKind.PERSONAL:
            # Action.Submit answers land in the conversation for everyone: a card's answer is the clicker's own.
            reply = await _in_private(services, turn, replace(reply, private=True))
        return reply

    async def _dispatch_action(self, data: Any, turn: Turn, services: Services) -> Reply:
        if not isinstance(data, dict):
            return Reply(cards=[render_error("That button sent something I can't read", "The card was malformed.")])
        verb = data.get("verb")
        action = self._actions.get(verb) if isinstance(verb, str) else None
        if action is None:
            return Reply(
                cards=[
                    render_error(
                        "That button is not one I know",
                        "The card may come from an older version of the bot.",
                        hints=["Type **help** for a fresh card."],
                    )
                ]
            )
        if not turn.actor.holds(action.roles):
            record = data.get("record_id")
            if isinstance(record, int) and not isinstance(record, bool):
                # A case action by someone with no role for it: audited, so probing shows up.
                await _audit_refusal(
                    services, turn, RefusalRecord("access.refused", "record", str(record), {"verb": action.verb})
                )
            return self._refuse(services, action.roles)
        try:
            payload = action.payload.model_validate(data)
        except ValidationError as exc:
            return Reply(cards=[render_error("Some of what you entered can't be used", payload_problem(exc))])
        try:
            if action.change is not None:
                return await self._once(action.change, action.verb, payload, turn, services)
            assert action.handler is not None
            return await action.handler(turn, services, payload)
        except StaleCard as stale:
            return stale.current
        except Refused as refused:
            await _after_refusal(services, turn, refused)
            return refused.reply

    async def _once(
        self, handler: ChangeHandler, verb: str, payload: ActionPayload, turn: Turn, services: Services
    ) -> Reply:
        """Claim the action's key, carry it out and keep its answer, all in one transaction."""
        key = action_key(verb, payload, turn)
        async with services.uow() as uow:
            claimed = await uow.actions.claim(
                key, verb, turn.now, tenant_id=turn.actor.tenant_id, actor_object_id=turn.actor.object_id
            )
            if not claimed:
                # Teams resent it, or a double click: it was carried out once; give the same answer.
                return _replayed(await uow.actions.answer(key))
            reply = await handler(turn, services, payload, uow)
            await uow.actions.keep_answer(key, _stored(reply))
        return reply


async def _audit_refusal(services: Services, turn: Turn, record: RefusalRecord) -> None:
    async with services.uow() as uow:
        await audit(uow, turn, record.action, record.record_type, record.record_id, detail=record.detail)


async def _after_refusal(services: Services, turn: Turn, refused: Refused) -> None:
    if refused.record is None and not refused.queue:
        return
    async with services.uow() as uow:
        record = refused.record
        if record is not None:
            await audit(uow, turn, record.action, record.record_type, record.record_id, detail=record.detail)
        for message in refused.queue:
            await uow.outbox.add(message, turn.now)


async def _in_private(services: Services, turn: Turn, reply: Reply) -> Reply:
    """A private reply asked for in a channel or group chat (not by Action.Execute) goes to the personal chat."""
    if not reply.private or turn.is_invoke or turn.where.kind is ConversationKind.PERSONAL:
        return reply
    async with services.uow() as uow:
        for card in reply.cards:
            await notify_person(
                uow, tenant_id=turn.actor.tenant_id, object_id=turn.actor.object_id, card=card, now=turn.now
            )
    who = f"{turn.actor.name}, " if turn.actor.name else ""
    return Reply(text=f"{who}I've sent my answer to your personal chat with me, so that only you see it.")

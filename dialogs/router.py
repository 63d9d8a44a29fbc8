"""Routes text commands and card actions to handlers by verb, parsing payloads and checking roles first."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from cards.common import Capability, render_error, render_no_role
from cards.payloads import ActionPayload
from dialogs.turn import Reply, Services, Turn
from domain.roles import Role

P = TypeVar("P", bound=ActionPayload)
ActionHandler = Callable[[Turn, Services, Any], Awaitable[Reply]]
CommandHandler = Callable[[Turn, Services, str], Awaitable[Reply]]

_VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")


class StaleCard(Exception):
    """Raised by a handler when the card acted on is older than the record: send the current one."""

    def __init__(self, current: Reply) -> None:
        super().__init__("stale card")
        self.current = current


class Refused(Exception):
    """Raised inside a use case's unit of work: the transaction rolls back and this reply goes out."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("refused")
        self.reply = reply


@dataclass(frozen=True)
class _Action:
    verb: str
    payload: type[ActionPayload]
    roles: frozenset[Role]
    handler: ActionHandler


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
        if not _VERB.match(verb):
            raise ValueError(f"verbs are area.action, got {verb!r}")

        def register(
            fn: Callable[[Turn, Services, P], Awaitable[Reply]],
        ) -> Callable[[Turn, Services, P], Awaitable[Reply]]:
            if verb in self._actions:
                raise ValueError(f"verb {verb!r} registered twice")
            self._actions[verb] = _Action(verb, payload, frozenset(roles), fn)
            return fn

        return register

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
                    return await command.handler(turn, services, args)
                except Refused as refused:
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
            return self._refuse(services, action.roles)
        try:
            payload = action.payload.model_validate(data)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in err["loc"]) or "payload" for err in exc.errors()})
            return Reply(
                cards=[
                    render_error(
                        "Some of what you entered can't be used",
                        "Please check: " + ", ".join(fields[:8]) + ".",
                    )
                ]
            )
        try:
            return await action.handler(turn, services, payload)
        except StaleCard as stale:
            return stale.current
        except Refused as refused:
            return refused.reply

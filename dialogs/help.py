"""Help and welcome: what this person's roles let them do."""

from __future__ import annotations

from cards.common import render_help, render_welcome
from cards.payloads import ShowHelp
from dialogs.router import Router
from dialogs.turn import Reply, Services, Turn
from domain.messaging import ConversationKind

router = Router()


def _role_titles(turn: Turn, services: Services) -> list[str]:
    return sorted(services.profile.role_title(r) for r in turn.actor.roles)


def help_reply(turn: Turn, services: Services) -> Reply:
    card = render_help(
        services.capabilities_for(turn),
        role_titles=_role_titles(turn, services),
        authority=services.profile.authority,
        trial=turn.actor.trial,
        no_role_hint=services.admin_contact,
        groups_unchecked=turn.actor.groups_unchecked,
    )
    return Reply(cards=[card])


def welcome_reply(turn: Turn, services: Services) -> Reply:
    card = render_welcome(
        services.capabilities_for(turn),
        name=turn.actor.name,
        in_channel=turn.where.kind is not ConversationKind.PERSONAL,
        group_chat=turn.where.kind is ConversationKind.GROUP_CHAT,
        trial=turn.actor.trial,
        authority=services.profile.authority,
        role_titles=_role_titles(turn, services),
    )
    return Reply(cards=[card])


@router.command("help", description="See what you can do", title="Help")
async def help_command(turn: Turn, services: Services, _args: str) -> Reply:
    return help_reply(turn, services)


@router.action("help.show", payload=ShowHelp)
async def help_action(turn: Turn, services: Services, _payload: ShowHelp) -> Reply:
    return help_reply(turn, services)

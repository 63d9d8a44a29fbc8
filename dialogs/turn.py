"""What a dialog is given (who, where, when) and what it gives back (cards and notices), SDK-free."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from cards.common import Capability
from dialogs.ports import ClinicCalendar, LineManagers, NoLineManagers
from domain.messaging import ConversationKind
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from storage.uow import UnitOfWorkFactory

Card = dict[str, Any]


@dataclass(frozen=True)
class Where:
    """The conversation a turn happened in."""

    kind: ConversationKind
    conversation_id: str
    team_id: str = ""
    channel_name: str = ""


@dataclass(frozen=True)
class Turn:
    """One incoming message or card action, as a dialog sees it."""

    actor: Person
    where: Where
    now: datetime
    activity_id: str = ""
    is_invoke: bool = False


@dataclass(frozen=True)
class Reply:
    """What to send back: cards for the conversation, and the card to show the clicker of an invoke.

    `private` marks a reply for the asker's eyes only (a case's details, a list of cases): asked for
    outside their personal chat, other than by Action.Execute, it goes to their personal chat instead.
    """

    cards: list[Card] = field(default_factory=list)
    text: str | None = None
    invoke_card: Card | None = None
    private: bool = False

    @property
    def card_for_invoke(self) -> Card | None:
        return self.invoke_card or (self.cards[0] if self.cards else None)


@dataclass(frozen=True)
class Services:
    """What bot/ hands down to every dialog: the database, the active profile and deployment facts."""

    uow: UnitOfWorkFactory
    profile: PolicyProfile
    local_mode: bool = False
    admin_contact: str = "Ask your administrator to give you a role in the bot."
    channels: dict[str, str] = field(default_factory=dict)
    admin_object_ids: tuple[str, ...] = ()
    clinic_join_url: str = ""
    front_door_phone: str = ""
    front_door_out_of_hours_phone: str = ""
    calendar: ClinicCalendar | None = None
    line_managers: LineManagers = field(default_factory=NoLineManagers)
    # Who holds each role by object id in STEPBOT_ROLES (group members are not listed): escalations to a role.
    role_holders: dict[Role, tuple[str, ...]] = field(default_factory=dict)
    # When the managers' weekly digest goes out (Monday is 0), local time.
    digest_weekday: int = 0
    digest_time: time = time(9, 0)
    # Set by the catalogue: what the help card lists for a person.
    capabilities_for: Callable[[Turn], list[Capability]] = field(default=lambda _turn: [])

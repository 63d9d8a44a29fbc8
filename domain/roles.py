"""The roles people hold, as DESIGN.md's table names them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    ASSESSMENT_SOCIAL_WORKER = "assessment_social_worker"
    EARLY_HELP_WORKER = "early_help_worker"
    COORDINATOR = "coordinator"
    FRONT_DOOR = "front_door"
    TEAM_MANAGER = "team_manager"
    EARLY_HELP_TEAM_MANAGER = "early_help_team_manager"
    MEETING_CHAIR = "meeting_chair"
    HEAD_OF_SERVICE = "head_of_service"
    ADMINISTRATOR = "administrator"


ROLE_TITLES: dict[Role, str] = {
    Role.SOCIAL_WORKER: "Social worker",
    Role.ASSESSMENT_SOCIAL_WORKER: "Assessment Team social worker",
    Role.EARLY_HELP_WORKER: "Early help worker (lead professional)",
    Role.COORDINATOR: "Early help coordinator / practice manager",
    Role.FRONT_DOOR: "Front door decider",
    Role.TEAM_MANAGER: "Team manager",
    Role.EARLY_HELP_TEAM_MANAGER: "Early help team manager",
    Role.MEETING_CHAIR: "Meeting chair / service manager",
    Role.HEAD_OF_SERVICE: "Head of service",
    Role.ADMINISTRATOR: "Administrator",
}


@dataclass(frozen=True)
class Person:
    """Someone who talks to the bot, known by tenant id and Entra object id.

    `trial` marks local mode's stand-in: a person with no configured role who holds every role only so one
    person can try every flow alone (never outside local mode). `groups_unchecked` marks a person whose Entra
    groups could not be checked (Graph unreachable for too long): roles from groups count as none, and the
    cards that say what they may do say why.
    """

    tenant_id: str
    object_id: str
    name: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    trial: bool = False
    groups_unchecked: bool = False

    def holds(self, allowed: frozenset[Role] | set[Role]) -> bool:
        """True when no role is required or the person holds one of them."""
        return not allowed or bool(self.roles & set(allowed))

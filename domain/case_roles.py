"""The roles in groups, as the case rules use them: who asks, who decides which direction, who manages."""

from __future__ import annotations

from domain.directions import Direction
from domain.roles import Role

ASKERS = frozenset(
    {
        Role.SOCIAL_WORKER,
        Role.ASSESSMENT_SOCIAL_WORKER,
        Role.EARLY_HELP_WORKER,
        Role.TEAM_MANAGER,
        Role.EARLY_HELP_TEAM_MANAGER,
    }
)
LINE_MANAGERS = frozenset({Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE})
DECIDERS = frozenset({Role.COORDINATOR, Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER})
CHAIRS = frozenset({Role.MEETING_CHAIR})
# Whoever holds any role but the administrator's: the administrator configures the bot and sees no case.
CASE_ROLES = frozenset(Role) - {Role.ADMINISTRATOR}
# Roles a profile may escalate to (Rochdale: the head of service).
ESCALATION_ROLES = frozenset({Role.HEAD_OF_SERVICE, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER})

DECIDING_ROLES: dict[Direction, frozenset[Role]] = {
    Direction.STEP_DOWN_EARLY_HELP: frozenset({Role.COORDINATOR, Role.EARLY_HELP_TEAM_MANAGER}),
    Direction.STEP_DOWN_UNIVERSAL: frozenset({Role.COORDINATOR, Role.EARLY_HELP_TEAM_MANAGER}),
    Direction.STEP_UP: frozenset({Role.FRONT_DOOR}),
    Direction.STEP_ACROSS: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER}),
    Direction.CO_WORK: frozenset({Role.COORDINATOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER}),
}

# The directions each role asks for (a profile may offer fewer): social workers and their managers step
# down, across or co-work; the Assessment Team steps down; early help workers and their managers step up.
DIRECTIONS_BY_ROLE: dict[Role, tuple[Direction, ...]] = {
    Role.SOCIAL_WORKER: (
        Direction.STEP_DOWN_EARLY_HELP,
        Direction.STEP_DOWN_UNIVERSAL,
        Direction.STEP_ACROSS,
        Direction.CO_WORK,
    ),
    Role.TEAM_MANAGER: (
        Direction.STEP_DOWN_EARLY_HELP,
        Direction.STEP_DOWN_UNIVERSAL,
        Direction.STEP_ACROSS,
        Direction.CO_WORK,
    ),
    Role.ASSESSMENT_SOCIAL_WORKER: (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL),
    Role.EARLY_HELP_WORKER: (Direction.STEP_UP,),
    Role.EARLY_HELP_TEAM_MANAGER: (Direction.STEP_UP,),
}


def deciding_roles(direction: Direction) -> frozenset[Role]:
    """The roles of the receiving side that decide a request in this direction (the front door: step ups)."""
    return DECIDING_ROLES[direction]

"""The people, chats and channels of `make playground`, and the bot settings that give them their roles.

    python playground/people.py --as coordinator --config build/playground/config.yml --env build/playground/env

Six invented people, each holding the role their name says, configured through STEPBOT_ROLES exactly as an
administrator would in Teams (so access is what it would be there, not local mode's "every role"). The one
named by --as is the Playground's current user: the person the web UI acts as. `.m365agentsplayground.yml` in
the repository is this script's output for the social worker (a test keeps them the same).

The Playground allows one team with one channel besides General: the requests channel is where step downs go
to the coordinators and step ups to the front door (each sees the requests their role decides); General is the
managers' channel.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

TENANT = "00000000-0000-4000-8000-00000000d000"
BOT_ID = "00000000-0000-4000-8000-00000000b000"
TEAM_ID = "19:stepbot-demo@thread.tacv2"  # General: the managers' channel
REQUESTS_CHANNEL = "19:stepbot-requests@thread.tacv2"


@dataclass(frozen=True)
class Person:
    role: str  # a domain.roles.Role value
    given: str
    surname: str
    index: int

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"

    @property
    def user_id(self) -> str:
        return f"29:playground-{self.role.replace('_', '-')}"

    @property
    def object_id(self) -> str:
        return f"00000000-0000-4000-8000-0000000000{self.index:02d}"

    @property
    def email(self) -> str:
        return f"{self.given.lower()}.{self.surname.lower().replace(' ', '')}@example.org"


PEOPLE = (
    Person("social_worker", "Sam", "Social Worker", 1),
    Person("team_manager", "Tara", "Team Manager", 2),
    Person("coordinator", "Cora", "Coordinator", 3),
    Person("early_help_worker", "Eli", "Early Help Worker", 4),
    Person("front_door", "Fran", "Front Door", 5),
    Person("meeting_chair", "Meg", "Meeting Chair", 6),
)
DEFAULT_AS = "social_worker"


def _person_yaml(person: Person, indent: str) -> list[str]:
    return [
        f'{indent}id: "{person.user_id}"',
        f"{indent}name: {person.name}",
        f"{indent}userPrincipleName: {person.email}",
        f"{indent}aadObjectId: {person.object_id}",
        f"{indent}givenName: {person.given}",
        f"{indent}surname: {person.surname}",
        f"{indent}email: {person.email}",
    ]


def config_yaml(current_role: str) -> str:
    """The Playground's config (schema 0.1.1): the current user, exactly five others, the chats and the team."""
    [current] = [p for p in PEOPLE if p.role == current_role]
    lines = [
        "# yaml-language-server: $schema=https://aka.ms/teams-app-test-tool-config/0.1.1/config.schema.json",
        "# Written by playground/people.py (make playground AS=<role> writes its own copy): do not edit by hand.",
        "# Each person holds the role their name says, through STEPBOT_ROLES; every name is invented.",
        'version: "0.1.1"',
        f"tenantId: {TENANT}",
        "bot:",
        f"  id: {BOT_ID}",
        "  name: Stepbot",
        "currentUser:",
        *_person_yaml(current, "  "),
        "users:",
    ]
    for person in PEOPLE:
        if person is not current:
            first, *rest = _person_yaml(person, "    ")
            lines += ["  - " + first.strip(), *rest]
    lines += [
        "personalChat:",
        '  id: "a:playground-personal-chat"',
        "groupChat:",
        '  id: "19:playground-group-chat@thread.v2"',
        "  name: Case discussion",
        "team:",
        f'  id: "{TEAM_ID}"',
        "  name: Step up step down",
        "  aadGroupId: 00000000-0000-4000-8000-00000000a000",
        "  channels:",
        f'    - id: "{REQUESTS_CHANNEL}"',
        "      name: Requests",
    ]
    return "\n".join(lines) + "\n"


def bot_environment() -> dict[str, str]:
    """The bot's settings for the Playground: roles, line management and channels."""
    manager = next(p for p in PEOPLE if p.role == "team_manager")
    workers = [p.object_id for p in PEOPLE if p.role in ("social_worker", "early_help_worker")]
    return {
        "STEPBOT_LOCAL_MODE": "true",
        "STEPBOT_ROLES": json.dumps({p.role: [p.object_id] for p in PEOPLE}),
        "STEPBOT_TEAMS": json.dumps({"Field team": {"managers": [manager.object_id], "members": workers}}),
        "STEPBOT_COORDINATORS_CHANNEL_ID": REQUESTS_CHANNEL,
        "STEPBOT_FRONT_DOOR_CHANNEL_ID": REQUESTS_CHANNEL,
        "STEPBOT_MANAGERS_CHANNEL_ID": TEAM_ID,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as", dest="current", default=DEFAULT_AS, help="the role of the Playground's current user")
    parser.add_argument("--config", type=Path, required=True, help="where to write the Playground's config")
    parser.add_argument("--env", type=Path, required=True, help="where to write the bot's settings (sh)")
    args = parser.parse_args(argv)
    roles = [p.role for p in PEOPLE]
    if args.current not in roles:
        print(f"AS={args.current} is nobody here: choose one of {', '.join(roles)}", file=sys.stderr)
        return 2
    args.config.parent.mkdir(parents=True, exist_ok=True)
    args.config.write_text(config_yaml(args.current), encoding="utf-8")
    args.env.parent.mkdir(parents=True, exist_ok=True)
    exports = [f"export {k}={shlex.quote(v)}" for k, v in bot_environment().items()]
    args.env.write_text("\n".join(exports) + "\n", encoding="utf-8")
    current = next(p for p in PEOPLE if p.role == args.current)
    print(f"The Playground acts as {current.name}; the others: {', '.join(p.name for p in PEOPLE if p != current)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

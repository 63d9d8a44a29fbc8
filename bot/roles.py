"""Who holds which role: object ids and group ids from configuration, groups looked up in Graph and cached."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.graph import GraphClient, GraphError
from bot.settings import Settings
from domain.roles import Role

log = logging.getLogger(__name__)

GROUP_PREFIX = "group:"


@dataclass(frozen=True)
class HeldRoles:
    """A person's roles for this turn.

    `trial`: local mode's trial person (no role of their own). `groups_unchecked`: their groups could not be
    checked (Graph unreachable and no recent enough answer), so roles from groups count as none.
    """

    roles: frozenset[Role]
    trial: bool = False
    groups_unchecked: bool = False


class RoleDirectory:
    """Roles by object id and by Entra group.

    Group memberships are cached for `role_cache_seconds`. While Graph cannot be reached a cached answer is
    served until `directory_max_stale_seconds` after it was fetched; after that group roles count as none (fail
    closed: someone removed from a group must not keep its role through an outage). Directly configured
    object ids hold whatever Graph does.
    """

    def __init__(
        self, settings: Settings, graph: GraphClient | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._local_mode = settings.local_mode
        self._graph = graph
        self._ttl = settings.role_cache_seconds
        self._max_stale = settings.directory_max_stale_seconds
        self._clock = clock
        self._by_person: dict[str, set[Role]] = {}
        self._by_group: dict[str, set[Role]] = {}
        for role, entries in settings.roles.items():
            for entry in entries:
                entry = entry.strip()
                if entry.startswith(GROUP_PREFIX):
                    self._by_group.setdefault(entry[len(GROUP_PREFIX) :], set()).add(role)
                elif entry:
                    self._by_person.setdefault(entry, set()).add(role)
        self._group_cache: dict[str, tuple[float, set[str]]] = {}

    @property
    def uses_groups(self) -> bool:
        return bool(self._by_group)

    def holders_of(self, role: Role) -> list[str]:
        """Object ids configured directly for a role (group members are not listed)."""
        return sorted(oid for oid, roles in self._by_person.items() if role in roles)

    async def _groups_of(self, object_id: str) -> tuple[set[str], bool]:
        """The person's groups, and whether they could not be checked (then the set is empty)."""
        if self._graph is None or not self._by_group:
            return set(), False
        now = self._clock()
        cached = self._group_cache.get(object_id)
        # A clock that went back makes an age negative: such an entry counts as too old, never as fresh.
        age = now - cached[0] if cached else None
        if cached and age is not None and 0 <= age < self._ttl:
            return cached[1], False
        try:
            groups = await self._graph.member_groups(object_id)
        except GraphError as exc:
            if cached and age is not None and 0 <= age < self._max_stale:
                log.warning(
                    "group lookup failed; serving groups fetched %ds ago for %s: %s",
                    age,
                    object_id,
                    exc,
                    extra={"object_id": object_id, "outcome": "cached"},
                )
                return cached[1], False
            log.warning(
                "group lookup failed; group roles count as none for %s until Graph answers: %s",
                object_id,
                exc,
                extra={"object_id": object_id, "outcome": "fail_closed"},
            )
            return set(), True
        self._group_cache[object_id] = (now, groups)
        return groups, False

    async def lookup(self, object_id: str) -> HeldRoles:
        """The person's roles from their object id and (through Graph) their groups."""
        roles = set(self._by_person.get(object_id, set()))
        groups, unchecked = await self._groups_of(object_id)
        for group in groups:
            roles |= self._by_group.get(group, set())
        if not roles and self._local_mode and not unchecked:
            # Local mode: one person can try every flow.
            return HeldRoles(frozenset(Role), trial=True)
        return HeldRoles(frozenset(roles), groups_unchecked=unchecked)

    async def roles_for(self, object_id: str) -> frozenset[Role]:
        return (await self.lookup(object_id)).roles

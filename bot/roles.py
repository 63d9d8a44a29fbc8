"""Who holds which role: object ids and group ids from configuration, groups looked up in Graph and cached."""

from __future__ import annotations

import logging
import time

from bot.graph import GraphClient, GraphError
from bot.settings import Settings
from domain.roles import Role

log = logging.getLogger(__name__)

GROUP_PREFIX = "group:"


class RoleDirectory:
    def __init__(self, settings: Settings, graph: GraphClient | None) -> None:
        self._local_mode = settings.local_mode
        self._graph = graph
        self._ttl = settings.role_cache_seconds
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

    async def _groups_of(self, object_id: str) -> set[str]:
        if self._graph is None or not self._by_group:
            return set()
        cached = self._group_cache.get(object_id)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        try:
            groups = await self._graph.member_groups(object_id)
        except GraphError as exc:
            log.warning("group lookup failed; using configured object ids only: %s", exc)
            return cached[1] if cached else set()
        self._group_cache[object_id] = (time.monotonic(), groups)
        return groups

    async def lookup(self, object_id: str) -> tuple[frozenset[Role], bool]:
        """The person's roles, and whether they are local mode's trial person (no role of their own)."""
        roles = set(self._by_person.get(object_id, set()))
        for group in await self._groups_of(object_id):
            roles |= self._by_group.get(group, set())
        if not roles and self._local_mode:
            # Local mode: one person can try every flow.
            return frozenset(Role), True
        return frozenset(roles), False

    async def roles_for(self, object_id: str) -> frozenset[Role]:
        roles, _trial = await self.lookup(object_id)
        return roles

"""Who manages whom: Microsoft Graph's manager relationship (cached), or the teams set in configuration."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.graph import GraphClient, GraphError
from bot.settings import TeamMembers

log = logging.getLogger(__name__)


class ConfiguredLineManagers:
    """STEPBOT_TEAMS: each team's managers manage its members."""

    def __init__(self, teams: Mapping[str, TeamMembers]) -> None:
        self._managers: dict[str, set[str]] = {}
        self._reports: dict[str, set[str]] = {}
        for team in teams.values():
            for member in team.members:
                for manager in team.managers:
                    if manager != member:
                        self._managers.setdefault(member, set()).add(manager)
                        self._reports.setdefault(manager, set()).add(member)

    async def managers_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        return frozenset(self._managers.get(object_id, set()))

    async def reports_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        return frozenset(self._reports.get(object_id, set()))


class GraphLineManagers:
    """GET /users/{id}/manager and /users/{id}/directReports (permission User.Read.All), cached per process.

    While Graph cannot be reached a cached answer is served for at most `max_stale_seconds`; after that the
    answer is "nobody" (fail closed: a manager loses access to their team's cases rather than keep it wrongly).
    """

    def __init__(
        self,
        graph: GraphClient,
        ttl_seconds: float,
        max_stale_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph = graph
        self._ttl = ttl_seconds
        self._max_stale = max_stale_seconds
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def _cached(self, kind: str, object_id: str, fetch: Callable[[], Awaitable[set[str]]]) -> frozenset[str]:
        key = (kind, object_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            found = await fetch()
        except GraphError as exc:
            if cached is not None and now - cached[0] < self._max_stale:
                log.warning("line manager lookup failed; serving the cached answer: %s", exc)
                return cached[1]
            log.warning("line manager lookup failed; nobody manages them for now: %s", exc)
            return frozenset()
        value = frozenset(found)
        self._cache[key] = (now, value)
        return value

    async def managers_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        async def fetch() -> set[str]:
            manager = await self._graph.manager_of(object_id)
            return {manager} if manager else set()

        return await self._cached("manager", object_id, fetch)

    async def reports_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        async def fetch() -> set[str]:
            return await self._graph.direct_reports(object_id)

        return await self._cached("reports", object_id, fetch)

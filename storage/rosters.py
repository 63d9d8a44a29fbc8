"""Team rosters kept from the Bot Connector and from activity, so a turn can tell who is on the receiving side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.case_tables import TeamMemberRow, TeamRosterRow
from storage.upsert import insert_for


@dataclass(frozen=True)
class Member:
    object_id: str
    user_id: str = ""
    name: str = ""


class RosterRepository:
    """A roster's scope is a team id, or a group or personal chat's conversation id when it has no team."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def is_member(self, scope: str, object_id: str) -> bool | None:
        """True or False when known; None when the person was never seen there and the roster never read."""
        found = await self._session.scalar(
            select(TeamMemberRow.object_id).where(TeamMemberRow.team_id == scope, TeamMemberRow.object_id == object_id)
        )
        if found is not None:
            return True
        synced = await self._session.scalar(select(TeamRosterRow.synced_at).where(TeamRosterRow.team_id == scope))
        return False if synced is not None else None

    async def members(self, scope: str, *, limit: int = 200) -> list[Member]:
        rows = await self._session.scalars(
            select(TeamMemberRow).where(TeamMemberRow.team_id == scope).order_by(TeamMemberRow.name).limit(limit)
        )
        return [Member(r.object_id, r.user_id, r.name) for r in rows]

    async def names_of(self, object_ids: Iterable[str]) -> dict[str, str]:
        """The names rosters give these people (an audit trail holds only their object ids)."""
        wanted = sorted(set(object_ids))
        if not wanted:
            return {}
        rows = await self._session.execute(
            select(TeamMemberRow.object_id, TeamMemberRow.name).where(TeamMemberRow.object_id.in_(wanted))
        )
        return {object_id: name for object_id, name in rows if name}

    async def scopes_of(self, object_id: str) -> set[str]:
        rows = await self._session.scalars(select(TeamMemberRow.team_id).where(TeamMemberRow.object_id == object_id))
        return set(rows)

    async def add(self, scope: str, member: Member, now: datetime) -> None:
        values = {
            "team_id": scope,
            "object_id": member.object_id,
            "user_id": member.user_id,
            "name": member.name[:128],
            "updated_at": now,
        }
        stmt = insert_for(self._session, TeamMemberRow).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "object_id"],
            set_={"user_id": member.user_id, "name": member.name[:128], "updated_at": now},
        )
        await self._session.execute(stmt)

    async def remove(self, scope: str, object_ids: Iterable[str], *, user_ids: Iterable[str] = ()) -> None:
        """Take people off a roster, by object id or by their Teams id (a removal may carry only that)."""
        await self._session.execute(
            delete(TeamMemberRow).where(
                TeamMemberRow.team_id == scope,
                TeamMemberRow.object_id.in_(list(object_ids)) | TeamMemberRow.user_id.in_(list(user_ids)),
            )
        )

    async def replace(self, scope: str, members: Iterable[Member], now: datetime) -> None:
        """The whole roster as Teams gave it: whoever is not on it any more is no longer a member."""
        current = {m.object_id: m for m in members if m.object_id}
        await self._session.execute(
            delete(TeamMemberRow).where(
                TeamMemberRow.team_id == scope, TeamMemberRow.object_id.not_in(list(current) or [""])
            )
        )
        for member in current.values():
            await self.add(scope, member, now)
        stmt = insert_for(self._session, TeamRosterRow).values(team_id=scope, synced_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["team_id"], set_={"synced_at": now})
        await self._session.execute(stmt)

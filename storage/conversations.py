"""Stored conversation references: who and where the bot can reach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messaging import ConversationKind, ConversationRef
from storage.case_tables import TeamMemberRow
from storage.tables import ConversationRefRow
from storage.upsert import insert_for


def _to_ref(row: ConversationRefRow) -> ConversationRef:
    return ConversationRef(
        tenant_id=row.tenant_id,
        kind=ConversationKind(row.kind),
        conversation_id=row.conversation_id,
        service_url=row.service_url,
        object_id=row.object_id,
        user_id=row.user_id,
        bot_id=row.bot_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        status=row.status,
    )


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, ref: ConversationRef, now: datetime) -> None:
        """Insert or refresh a reference; an activity in it means it is active again."""
        values = {
            "tenant_id": ref.tenant_id,
            "object_id": ref.object_id,
            "kind": ref.kind.value,
            "conversation_id": ref.conversation_id,
            "service_url": ref.service_url,
            "channel_id": ref.channel_id,
            "bot_id": ref.bot_id,
            "user_id": ref.user_id,
            "team_id": ref.team_id,
            "status": "active",
            "updated_at": now,
        }
        stmt = insert_for(self._session, ConversationRefRow).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["conversation_id", "object_id"],
            set_={k: v for k, v in values.items() if k not in ("conversation_id", "object_id")},
        )
        await self._session.execute(stmt)

    async def personal_chat(self, tenant_id: str, object_id: str) -> ConversationRef | None:
        row = await self._session.scalar(
            select(ConversationRefRow)
            .where(
                ConversationRefRow.tenant_id == tenant_id,
                ConversationRefRow.object_id == object_id,
                ConversationRefRow.kind == ConversationKind.PERSONAL.value,
                ConversationRefRow.status == "active",
            )
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        return _to_ref(row) if row else None

    async def conversation(self, conversation_id: str) -> ConversationRef | None:
        """The conversation as a whole (the channel or group chat itself, object id empty)."""
        row = await self._session.scalar(
            select(ConversationRefRow)
            .where(ConversationRefRow.conversation_id == conversation_id)
            .order_by((ConversationRefRow.object_id == "").desc(), ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        return _to_ref(row) if row else None

    async def any_in_team(self, team_id: str) -> ConversationRef | None:
        """Some active reference in a team, for its service URL and roster."""
        row = await self._session.scalar(
            select(ConversationRefRow)
            .where(ConversationRefRow.team_id == team_id, ConversationRefRow.status == "active")
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        return _to_ref(row) if row else None

    async def person_anywhere(self, tenant_id: str, object_id: str) -> ConversationRef | None:
        """Any active reference of the person (a channel they wrote in gives their 29: id)."""
        row = await self._session.scalar(
            select(ConversationRefRow)
            .where(
                ConversationRefRow.tenant_id == tenant_id,
                ConversationRefRow.object_id == object_id,
                ConversationRefRow.status == "active",
            )
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        return _to_ref(row) if row else None

    async def any_team(self, tenant_id: str) -> ConversationRef | None:
        """Any active team reference in the tenant: its roster may hold a person not yet met."""
        row = await self._session.scalar(
            select(ConversationRefRow)
            .where(
                ConversationRefRow.tenant_id == tenant_id,
                ConversationRefRow.team_id != "",
                ConversationRefRow.status == "active",
            )
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        return _to_ref(row) if row else None

    async def in_scope(self, scope: str) -> set[str]:
        """The conversations a roster scope covers: a team's channels, or the chat that is its own scope."""
        rows = await self._session.scalars(
            select(ConversationRefRow.conversation_id).where(
                ConversationRefRow.object_id == "",
                (ConversationRefRow.team_id == scope) | (ConversationRefRow.conversation_id == scope),
            )
        )
        return {*rows, scope}

    async def tenant_of(self, object_id: str) -> str | None:
        """The tenant a person was last seen in, or any tenant the bot serves (for a notice with no tenant)."""
        found = await self._session.scalar(
            select(ConversationRefRow.tenant_id)
            .where(ConversationRefRow.object_id == object_id)
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        if found is None:
            found = await self._session.scalar(
                select(ConversationRefRow.tenant_id).order_by(ConversationRefRow.updated_at.desc()).limit(1)
            )
        return found

    async def teams_ids(self, scope: str, object_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Each known person's Teams (29:) id and name, from the rosters, the scope's own roster first.

        A 29: id is the same in every conversation of the tenant for this bot, so another team's roster
        still gives it; a person with no id or no name on any roster is left out.
        """
        if not object_ids:
            return {}
        rows = await self._session.execute(
            select(TeamMemberRow.object_id, TeamMemberRow.user_id, TeamMemberRow.name)
            .where(TeamMemberRow.object_id.in_(object_ids), TeamMemberRow.user_id != "", TeamMemberRow.name != "")
            .order_by((TeamMemberRow.team_id == scope).desc(), TeamMemberRow.updated_at.desc())
        )
        found: dict[str, tuple[str, str]] = {}
        for object_id, user_id, name in rows:
            found.setdefault(object_id, (user_id, name))
        return found

    async def all_for(self, conversation_prefix: str) -> list[ConversationRef]:
        rows = await self._session.scalars(
            select(ConversationRefRow).where(ConversationRefRow.conversation_id.startswith(conversation_prefix))
        )
        return [_to_ref(r) for r in rows]

    async def mark(
        self,
        status: str,
        now: datetime,
        *,
        conversation_id: str | None = None,
        team_id: str | None = None,
    ) -> int:
        """Mark references uninstalled or removed; returns how many changed."""
        stmt = update(ConversationRefRow).values(status=status, updated_at=now)
        if conversation_id is not None:
            stmt = stmt.where(ConversationRefRow.conversation_id.startswith(conversation_id))
        elif team_id is not None:
            stmt = stmt.where(ConversationRefRow.team_id == team_id)
        else:
            raise ValueError("say which conversation or team to mark")
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

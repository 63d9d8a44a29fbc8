"""Card actions already carried out, with the answer they got, so a resent or double-clicked action acts once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import ProcessedActionRow
from storage.upsert import insert_for


class ProcessedActions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self, key: str, verb: str, now: datetime, *, tenant_id: str = "", actor_object_id: str = ""
    ) -> bool:
        """True the first time a key is claimed in a committed transaction; False on a repeat.

        On PostgreSQL a second claim of a key still being carried out waits for that transaction: it then
        finds the key taken (and its answer) if the first committed, or takes it if the first rolled back.
        """
        stmt = (
            insert_for(self._session, ProcessedActionRow)
            .values(key=key, verb=verb, at=now, tenant_id=tenant_id, actor_object_id=actor_object_id)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def answer(self, key: str) -> dict[str, Any] | None:
        """The answer stored when the action was first carried out."""
        stored = await self._session.scalar(select(ProcessedActionRow.answer).where(ProcessedActionRow.key == key))
        return dict(stored) if stored else None

    async def keep_answer(self, key: str, answer: dict[str, Any]) -> None:
        await self._session.execute(
            update(ProcessedActionRow).where(ProcessedActionRow.key == key).values(answer=answer)
        )

    async def purge_before(self, cutoff: datetime) -> int:
        """Forget actions carried out before `cutoff`, and the answers kept for their repeats."""
        result = await self._session.execute(delete(ProcessedActionRow).where(ProcessedActionRow.at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

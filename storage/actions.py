"""Card actions already carried out, so a double click or a replay acts once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import ProcessedActionRow
from storage.upsert import insert_for


class ProcessedActions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, key: str, verb: str, now: datetime) -> bool:
        """True the first time a key is seen in a committed transaction; False on a repeat."""
        stmt = (
            insert_for(self._session, ProcessedActionRow)
            .values(key=key, verb=verb, at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

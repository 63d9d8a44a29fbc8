"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.actions import ProcessedActions
from storage.audit import AuditLog
from storage.clinic import ClinicRepository
from storage.conversations import ConversationRepository
from storage.drafts import DraftRepository
from storage.outbox import OutboxRepository
from storage.transfers import TransferRepository


class UnitOfWork:
    """`async with uow:` opens one transaction; it commits on a clean exit and rolls back otherwise."""

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        await self._session.begin()
        self.conversations = ConversationRepository(self._session)
        self.drafts = DraftRepository(self._session)
        self.outbox = OutboxRepository(self._session)
        self.audit = AuditLog(self._session)
        self.actions = ProcessedActions(self._session)
        self.clinic = ClinicRepository(self._session)
        self.transfers = TransferRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; handed down from bot/ to dialogs/."""

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

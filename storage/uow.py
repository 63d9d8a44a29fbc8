"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.actions import ProcessedActions
from storage.audit import AuditLog
from storage.clinic import ClinicRepository
from storage.consent import ConsentRepository
from storage.conversations import ConversationRepository
from storage.deadlines import DeadlineRepository
from storage.disputes import DisputeRepository
from storage.drafts import DraftRepository
from storage.outbox import OutboxRepository
from storage.outcomes import OutcomeRepository
from storage.retention import RetentionRepository
from storage.rosters import RosterRepository
from storage.transfers import TransferRepository

_IN_UNIT: ContextVar[bool] = ContextVar("stepbot_in_unit_of_work", default=False)


class UnitOfWork:
    """`async with uow:` opens one transaction; it commits on a clean exit and rolls back otherwise."""

    def __init__(self, sessions: async_sessionmaker[Any], queue: asyncio.Lock | None = None) -> None:
        self._sessions = sessions
        self._queue = queue
        self._token: Token[bool] | None = None
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self._queue is not None:
            if _IN_UNIT.get():
                raise RuntimeError("a unit of work inside another would wait for itself on SQLite")
            await self._queue.acquire()
            self._token = _IN_UNIT.set(True)
        self._session = self._sessions()
        await self._session.begin()
        self.conversations = ConversationRepository(self._session)
        self.drafts = DraftRepository(self._session)
        self.outbox = OutboxRepository(self._session)
        self.audit = AuditLog(self._session)
        self.actions = ProcessedActions(self._session)
        self.clinic = ClinicRepository(self._session)
        self.transfers = TransferRepository(self._session)
        self.rosters = RosterRepository(self._session)
        self.deadlines = DeadlineRepository(self._session)
        self.outcomes = OutcomeRepository(self._session)
        self.disputes = DisputeRepository(self._session)
        self.retention = RetentionRepository(self._session)
        self.consents = ConsentRepository(self._session)
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
            if self._queue is not None:
                if self._token is not None:
                    _IN_UNIT.reset(self._token)
                    self._token = None
                self._queue.release()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; handed down from bot/ to dialogs/.

    On SQLite (one writer at a time, for one process) transactions queue here, first come first served,
    instead of sleeping in SQLite's busy handler, whose back-off made the slowest turns wait seconds.
    """

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions
        bind = getattr(sessions, "kw", {}).get("bind")
        self._serialize = bind is not None and bind.dialect.name == "sqlite"
        self._queue: asyncio.Lock | None = None

    def __call__(self) -> UnitOfWork:
        if self._serialize and self._queue is None:
            self._queue = asyncio.Lock()
        return UnitOfWork(self._sessions, self._queue)

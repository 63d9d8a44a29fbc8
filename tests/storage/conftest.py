"""A unit-of-work factory on a clean database of each kind, with no server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory


@pytest.fixture
async def uow(clean_database: str) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(clean_database)
    yield UnitOfWorkFactory(session_factory(engine))
    await engine.dispose()

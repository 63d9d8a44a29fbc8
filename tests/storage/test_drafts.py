"""Drafts of multi-step flows live in the database: they survive a restart and refuse a stale step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TTL = timedelta(hours=12)


async def test_a_draft_survives_a_restart(clean_database: str) -> None:
    first_process = create_engine(clean_database)
    async with UnitOfWorkFactory(session_factory(first_process))() as work:
        await work.drafts.start("t", "sw", "booking", {"slot": 3, "case": "DEMO-0001"}, NOW, TTL)
    await first_process.dispose()

    second_process = create_engine(clean_database)
    async with UnitOfWorkFactory(session_factory(second_process))() as work:
        draft = await work.drafts.get("t", "sw", "booking", NOW + timedelta(minutes=5))
    await second_process.dispose()
    assert draft is not None
    assert draft.data == {"slot": 3, "case": "DEMO-0001"}
    assert draft.version == 1


async def test_a_stale_step_is_refused_and_the_current_one_kept(clean_database: str) -> None:
    engine = create_engine(clean_database)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as work:
        draft = await work.drafts.start("t", "sw", "transfer", {"step": 1}, NOW, TTL)
    async with uow() as work:
        moved = await work.drafts.advance(draft, {"step": 2}, NOW, TTL)
    async with uow() as work:
        stale = await work.drafts.advance(draft, {"step": "from an old card"}, NOW, TTL)
        current = await work.drafts.get("t", "sw", "transfer", NOW)
    await engine.dispose()
    assert moved is not None and moved.version == 2
    assert stale is None
    assert current is not None and current.data == {"step": 2} and current.version == 2


async def test_an_expired_draft_is_gone(clean_database: str) -> None:
    engine = create_engine(clean_database)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as work:
        await work.drafts.start("t", "sw", "booking", {"slot": 1}, NOW, TTL)
    async with uow() as work:
        assert await work.drafts.get("t", "sw", "booking", NOW + TTL + timedelta(seconds=1)) is None
        assert await work.drafts.purge_expired(NOW + TTL + timedelta(seconds=1)) == 1
    await engine.dispose()


async def test_starting_again_replaces_the_draft_and_moves_its_version_on(clean_database: str) -> None:
    engine = create_engine(clean_database)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as work:
        first = await work.drafts.start("t", "sw", "booking", {"slot": 1}, NOW, TTL)
    async with uow() as work:
        second = await work.drafts.start("t", "sw", "booking", {"slot": 2}, NOW, TTL)
    await engine.dispose()
    assert second.id == first.id
    assert second.version == first.version + 1
    assert second.data == {"slot": 2}

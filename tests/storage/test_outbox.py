"""The outbox keeps a side effect exactly when its cause commits, and hands each due row to one worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.messaging import OutboxKind, OutboxMessage
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def _message(n: int = 0, *, due: datetime = NOW, key: str | None = None) -> OutboxMessage:
    return OutboxMessage(
        kind=OutboxKind.SEND_TO_CONVERSATION,
        payload={"conversation_id": f"19:c{n}", "card": {"n": n}},
        due_at=due,
        dedupe_key=key,
    )


async def test_a_row_written_with_its_fact_is_claimed_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(1), NOW)
        await work.audit.record(at=NOW, tenant_id="t", actor_object_id="a", action="fact.happened")
    async with uow() as work:
        first = await work.outbox.claim_due(NOW, 10, LEASE)
    async with uow() as work:
        second = await work.outbox.claim_due(NOW, 10, LEASE)
    assert [m.payload["card"] for m in first] == [{"n": 1}]
    assert first[0].attempts == 1
    assert second == []


async def test_a_row_written_in_a_rolled_back_transaction_is_never_sent(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError):
        async with uow() as work:
            await work.outbox.add(_message(2), NOW)
            raise RuntimeError("the use case failed after queueing")
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + timedelta(days=1), 10, LEASE) == []
        assert await work.outbox.pending_count() == 0


async def test_a_row_waits_until_it_is_due(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(3, due=NOW + timedelta(days=1)), NOW)
    async with uow() as work:
        assert await work.outbox.claim_due(NOW, 10, LEASE) == []
    async with uow() as work:
        due = await work.outbox.claim_due(NOW + timedelta(days=1), 10, LEASE)
    assert len(due) == 1


async def test_a_sent_row_is_not_claimed_again(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(4), NOW)
    async with uow() as work:
        [claimed] = await work.outbox.claim_due(NOW, 10, LEASE)
        await work.outbox.mark_sent(claimed.id, NOW, {"activity_id": "x"})
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + timedelta(hours=1), 10, LEASE) == []
        assert [m.id for m in await work.outbox.by_status("sent")] == [claimed.id]


async def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(5), NOW)
    async with uow() as work:
        [claimed] = await work.outbox.claim_due(NOW, 10, LEASE)
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + LEASE / 2, 10, LEASE) == []
    async with uow() as work:
        [again] = await work.outbox.claim_due(NOW + LEASE + timedelta(seconds=1), 10, LEASE)
    assert again.id == claimed.id
    assert again.attempts == 2


async def test_a_failed_row_is_retried_later_or_left_dead(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(6), NOW)
        await work.outbox.add(_message(7), NOW)
    async with uow() as work:
        first, second = await work.outbox.claim_due(NOW, 10, LEASE)
        await work.outbox.mark_failed(first.id, "HTTP 429", NOW + timedelta(minutes=5))
        await work.outbox.mark_failed(second.id, "HTTP 403", None)
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + timedelta(minutes=4), 10, LEASE) == []
        [retried] = await work.outbox.claim_due(NOW + timedelta(minutes=5), 10, LEASE)
        assert retried.id == first.id
        assert [m.id for m in await work.outbox.by_status("dead")] == [second.id]


async def test_a_repeated_dedupe_key_queues_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(8, key="reminder:1:day-before"), NOW)
    async with uow() as work:
        await work.outbox.add(_message(9, key="reminder:1:day-before"), NOW)
    async with uow() as work:
        claimed = await work.outbox.claim_due(NOW, 10, LEASE)
    assert [m.payload["card"] for m in claimed] == [{"n": 8}]


async def test_concurrent_workers_never_claim_the_same_row(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        for n in range(40):
            await work.outbox.add(_message(100 + n), NOW)

    async def worker() -> list[int]:
        taken: list[int] = []
        for _ in range(20):
            async with uow() as work:
                batch = await work.outbox.claim_due(NOW, 3, LEASE)
            if not batch:
                break
            taken.extend(m.id for m in batch)
        return taken

    results = await asyncio.gather(*(worker() for _ in range(6)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40

"""The outbox keeps a side effect exactly when its cause commits, hands each due row to one worker, and lets only
the worker holding a row settle it; the claim reads an index of due pending rows on both databases."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from domain.messaging import OutboxKind, OutboxMessage
from storage.outbox import claim_query
from storage.tables import OutboxRow
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
        first = await work.outbox.claim_due(NOW, 10, LEASE, "w1")
    async with uow() as work:
        second = await work.outbox.claim_due(NOW, 10, LEASE, "w2")
    assert [m.payload["card"] for m in first] == [{"n": 1}]
    assert (first[0].attempts, first[0].locked_by, first[0].scheduled_at) == (1, "w1", NOW)
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
        [claimed] = await work.outbox.claim_due(NOW, 10, LEASE, "w1")
        assert await work.outbox.mark_sent(claimed, NOW, {"activity_id": "x"})
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + timedelta(hours=1), 10, LEASE) == []
        assert [m.id for m in await work.outbox.by_status("sent")] == [claimed.id]
        assert await work.outbox.result_of(claimed.id) == {"activity_id": "x"}


async def test_an_expired_lease_is_taken_again_once_its_time_has_passed(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(5), NOW)
    async with uow() as work:
        [claimed] = await work.outbox.claim_due(NOW, 10, LEASE, "dead-worker")
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + LEASE / 2, 10, LEASE, "w2") == []
        assert await work.outbox.claim_due(NOW + LEASE, 10, LEASE, "w2") == []
    async with uow() as work:
        [again] = await work.outbox.claim_due(NOW + LEASE + timedelta(seconds=1), 10, LEASE, "w2")
    assert (again.id, again.attempts, again.locked_by) == (claimed.id, 2, "w2")


async def test_a_slow_worker_cannot_undo_what_the_worker_that_took_its_row_over_did(uow: UnitOfWorkFactory) -> None:
    """The old code's hole: a worker whose lease ran out put back to pending a row another replica had sent."""
    async with uow() as work:
        await work.outbox.add(_message(6), NOW)
        await work.outbox.add(_message(7), NOW)
    async with uow() as work:
        slow_first, slow_second = await work.outbox.claim_due(NOW, 10, LEASE, "slow")
    later = NOW + LEASE + timedelta(seconds=1)
    async with uow() as work:
        fast_first, fast_second = await work.outbox.claim_due(later, 10, LEASE, "fast")
        assert await work.outbox.mark_sent(fast_first, later, {"activity_id": "fast"})
    async with uow() as work:
        # The slow worker comes back from its send: none of its settlements takes.
        assert not await work.outbox.retry_later(slow_first, later, "HTTP 503")
        assert not await work.outbox.mark_sent(slow_second, later, {"activity_id": "slow"})
        assert not await work.outbox.mark_dead(slow_second, later, "HTTP 400")
        assert not await work.outbox.put_back(slow_second, later)
    async with uow() as work:
        assert [m.id for m in await work.outbox.by_status("sent")] == [fast_first.id]
        assert await work.outbox.result_of(fast_first.id) == {"activity_id": "fast"}
        [sending] = await work.outbox.by_status("sending")
        assert (sending.id, sending.locked_by) == (fast_second.id, "fast")
        # Not even the same worker's older claim of a row it has claimed again since.
        assert not await work.outbox.mark_sent(replace(fast_second, attempts=fast_second.attempts - 1), later)


async def test_a_renewed_lease_keeps_the_row_and_a_lost_one_is_reported(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(8), NOW)
        await work.outbox.add(_message(9), NOW)
    async with uow() as work:
        first, second = await work.outbox.claim_due(NOW, 10, LEASE, "w1")
    half = NOW + LEASE / 2
    async with uow() as work:
        assert await work.outbox.renew("w1", [first.id], half + LEASE) == {first.id}
    after = NOW + LEASE + timedelta(seconds=1)
    async with uow() as work:
        [taken] = await work.outbox.claim_due(after, 10, LEASE, "w2")
    assert taken.id == second.id
    async with uow() as work:
        assert await work.outbox.renew("w1", [first.id, second.id], after + LEASE) == {first.id}


async def test_a_failed_row_is_retried_later_put_back_uncounted_or_left_dead(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        for n in (10, 11, 12):
            await work.outbox.add(_message(n), NOW)
    async with uow() as work:
        first, second, third = await work.outbox.claim_due(NOW, 10, LEASE, "w")
        assert await work.outbox.retry_later(first, NOW + timedelta(minutes=5), "HTTP 429", error_class="throttled")
        assert await work.outbox.mark_dead(second, NOW, "HTTP 403", error_class="gone", error_code="BotDisabledByAdmin")
        assert await work.outbox.put_back(third, NOW + timedelta(minutes=5))
    async with uow() as work:
        assert await work.outbox.claim_due(NOW + timedelta(minutes=4), 10, LEASE) == []
        retried, paced = await work.outbox.claim_due(NOW + timedelta(minutes=5), 10, LEASE)
        assert (retried.id, retried.attempts) == (first.id, 2)
        assert (paced.id, paced.attempts) == (third.id, 1), "a row put back by the pacer lost no attempt"
        [letter] = await work.outbox.dead_letters()
    assert (letter.id, letter.error, letter.error_class, letter.error_code) == (
        second.id,
        "HTTP 403",
        "gone",
        "BotDisabledByAdmin",
    )
    assert (letter.attempts, letter.dead_at, letter.conversation_id) == (1, NOW, "19:c11")


async def test_a_dead_letter_is_sent_again_with_fresh_tries_or_dropped_for_good(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(13), NOW)
        await work.outbox.add(_message(14), NOW)
    async with uow() as work:
        first, second = await work.outbox.claim_due(NOW, 10, LEASE, "w")
        await work.outbox.mark_dead(first, NOW, "HTTP 404")
        await work.outbox.mark_dead(second, NOW, "HTTP 404")
    later = NOW + timedelta(hours=1)
    async with uow() as work:
        assert await work.outbox.send_again(first.id, later)
        assert not await work.outbox.send_again(first.id, later), "once"
        assert await work.outbox.drop(second.id, later)
        assert not await work.outbox.send_again(second.id, later), "a dropped row is not dead any more"
    async with uow() as work:
        [again] = await work.outbox.claim_due(later, 10, LEASE, "w")
        assert (again.id, again.attempts) == (first.id, 1)
        assert await work.outbox.dead_letters() == []
        # Dropped rows are purged with the sent ones.
        assert await work.outbox.purge_sent_before(later + timedelta(seconds=1)) == 1


async def test_a_repeated_dedupe_key_queues_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.outbox.add(_message(15, key="reminder:1:day-before"), NOW)
    async with uow() as work:
        await work.outbox.add(_message(16, key="reminder:1:day-before"), NOW)
    async with uow() as work:
        claimed = await work.outbox.claim_due(NOW, 10, LEASE)
    assert [m.payload["card"] for m in claimed] == [{"n": 15}]


async def test_concurrent_workers_never_claim_the_same_row(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        for n in range(40):
            await work.outbox.add(_message(100 + n), NOW)

    async def worker(name: str) -> list[int]:
        taken: list[int] = []
        for _ in range(20):
            async with uow() as work:
                batch = await work.outbox.claim_due(NOW, 3, LEASE, name)
            if not batch:
                break
            assert {m.locked_by for m in batch} == {name}
            taken.extend(m.id for m in batch)
        return taken

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


async def _plan(uow: UnitOfWorkFactory, now: datetime) -> str:
    async with uow() as work:
        bind = work.session.get_bind()
        compiled = str(claim_query(now, 50).compile(bind, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
        rows = (await work.session.execute(text(prefix + compiled))).all()
    return "\n".join(str(r[-1]) for r in rows)


async def test_the_claim_reads_an_index_of_due_pending_rows_not_the_table(uow: UnitOfWorkFactory) -> None:
    """20,000 rows queued for later (and sent ones kept): the claim's plan is an index search, never a scan."""
    rows = [
        {
            "kind": "send.person",
            "payload": {},
            "due_at": NOW + timedelta(minutes=i - 50),
            "status": "sent" if i % 4 == 0 else "pending",
            "attempts": 0,
            "last_error": "",
            "created_at": NOW,
        }
        for i in range(20_000)
    ]
    async with uow() as work:
        await work.session.execute(insert(OutboxRow), rows)
        dialect = work.session.get_bind().dialect.name
        await work.session.execute(text("ANALYZE outbox" if dialect == "postgresql" else "ANALYZE"))
    plan = await _plan(uow, NOW)
    # Either index of pending rows by due time: the planner picks by its statistics, and both read the due ones.
    assert "ix_outbox_pending_due" in plan or "ix_outbox_due" in plan, plan
    if dialect == "sqlite":
        assert "SEARCH outbox USING" in plan and "SCAN outbox" not in plan and "TEMP B-TREE" not in plan, plan
    due = [r for r in rows if r["status"] == "pending" and r["due_at"] <= NOW]
    if dialect == "postgresql":
        assert "Index" in plan and "Seq Scan" not in plan, plan
        # What the index scan actually read: the due rows, none of the 19,962 others.
        [read] = [int(m) for line in plan.splitlines() if "Index" in line for m in re.findall(r" rows=(\d+)", line)]
        assert read == len(due), plan
    async with uow() as work:
        claimed = await work.outbox.claim_due(NOW, 50, LEASE, "w")
    assert len(claimed) == len(due) == 38
    assert [m.due_at for m in claimed] == sorted(m.due_at for m in claimed)

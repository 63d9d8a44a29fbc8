"""A claimed row belongs to its worker, on both databases: a worker that dies mid-batch loses nothing and its rows
wait for its lease (on the injected clock), the only duplicate being a row Teams had answered before the commit;
a lease is renewed while the row is still sending; where a card landed is kept in the transaction that marks
its row sent."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.outbox_worker import LEASE
from dialogs import tracking
from dialogs.turn import Services
from domain.messaging import OutboxMessage
from storage.database import create_engine
from storage.tables import OutboxRow
from tests.conftest import COORDINATORS_CHANNEL, BotUnderTest
from tests.scenarios.test_delivery import (
    another_worker,
    channel_installed,
    keys_in,
    queue,
    row,
    rows,
    run_until_idle,
    to_channel,
)


class Died(BaseException):
    """The worker's process dies at a named point (a BaseException: nothing in the worker catches it)."""


# -- a claimed row belongs to its worker -----------------------------------------------------------------
@pytest.mark.parametrize("point", ["before_send", "after_send"])
async def test_a_worker_that_dies_mid_batch_loses_nothing_and_duplicates_only_what_teams_had_answered(
    bot: BotUnderTest, point: str
) -> None:
    await channel_installed(bot)
    keys = [f"key-{i:04d}" for i in range(6)]
    await queue(bot, *(to_channel(k) for k in keys))
    dying = another_worker(bot, "dying")

    def die_at(where: str, message: OutboxMessage) -> None:
        if where == point and message.dedupe_key == "key-0003":
            raise Died(where)

    dying.checkpoint = die_at
    with pytest.raises(BaseExceptionGroup) as died:
        await dying.run_once()
    assert died.group_contains(Died)
    before = keys_in(bot.connector.since(0))
    assert set(before) == {"key-0000", "key-0001", "key-0002"} | ({"key-0003"} if point == "after_send" else set())
    assert {r.dedupe_key for r in await rows(bot) if r.status == "sending"} == {"key-0003", "key-0004", "key-0005"}

    survivor = another_worker(bot, "survivor")
    bot.clock.advance(seconds=LEASE.total_seconds() / 2)
    assert await survivor.run_once() == 0, "the dead worker's lease still runs"
    bot.clock.advance(seconds=LEASE.total_seconds() / 2 + 1)
    assert await run_until_idle(survivor) == 3
    delivered = keys_in(bot.connector.since(0))
    assert set(delivered) == set(keys), "nothing lost"
    duplicated = {k for k, n in delivered.items() if n > 1}
    assert duplicated == ({"key-0003"} if point == "after_send" else set())
    assert all(r.status == "sent" for r in await rows(bot))
    assert (await row(bot, "key-0003")).attempts == 2


_PROBES: list[str] = []
_PROBE_DATABASE: list[str] = []


@tracking.tracker("probe")
async def _probe(
    services: Services, record: int, version: int, conversation_id: str, activity_id: str, now: Any
) -> None:
    """A record that reads, from another connection, whether the row it learns about is already committed."""
    url = _PROBE_DATABASE[-1]
    if url.startswith("sqlite"):
        # A plain reader: the app's engine would take SQLite's write lock, which the worker holds right now.
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            seen = conn.execute("SELECT status FROM outbox WHERE id = ?", (record,)).fetchone()[0]
    else:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(text("SELECT status FROM outbox WHERE id = :i"), {"i": record})
                seen = found.scalar_one()
        finally:
            await engine.dispose()
    _PROBES.append(f"{seen}:{activity_id}")
    async with services.uow() as uow:
        await uow.audit.record(
            at=now, tenant_id="t", actor_object_id="probe", action="probe.posted", record_id=str(record)
        )
    if version == 2:
        raise RuntimeError("the record could not take it")


async def _audited(bot: BotUnderTest) -> int:
    async with bot.runtime.services.uow() as uow:
        found = await uow.session.execute(text("SELECT count(*) FROM audit_events WHERE action = 'probe.posted'"))
        return int(found.scalar_one())


async def test_where_a_card_landed_is_kept_in_the_transaction_that_marks_its_row_sent(bot: BotUnderTest) -> None:
    await channel_installed(bot)
    _PROBES.clear()
    _PROBE_DATABASE.append(bot.runtime.settings.database_url)
    await queue(bot, to_channel("key-0100"))
    queued = await row(bot, "key-0100")
    async with bot.runtime.services.uow() as uow:
        # The row tracks itself: the probe reads its own row's status from outside the transaction.
        await uow.session.execute(
            OutboxRow.__table__.update()
            .where(OutboxRow.id == queued.id)
            .values(payload={**queued.payload, "track": f"probe:{queued.id}:1"})
        )
    assert await bot.run_outbox() == 1
    [sent] = bot.connector.sends_to(COORDINATORS_CHANNEL.id)
    # Outside the transaction the row was not yet sent while the record learnt where its card landed: one commit.
    assert [f"sending:{sent.activity_id}"] == _PROBES
    assert (await row(bot, "key-0100")).status == "sent"
    assert await _audited(bot) == 1


async def test_a_tracker_that_fails_leaves_its_row_sent_and_writes_nothing(bot: BotUnderTest) -> None:
    await channel_installed(bot)
    _PROBES.clear()
    _PROBE_DATABASE.append(bot.runtime.settings.database_url)
    await queue(bot, to_channel("key-0101"))
    queued = await row(bot, "key-0101")
    async with bot.runtime.services.uow() as uow:
        await uow.session.execute(
            OutboxRow.__table__.update()
            .where(OutboxRow.id == queued.id)
            .values(payload={**queued.payload, "track": f"probe:{queued.id}:2"})
        )
    assert await bot.run_outbox() == 1
    assert len(_PROBES) == 1
    assert (await row(bot, "key-0101")).status == "sent", "sending again would post a second card"
    assert await _audited(bot) == 0, "the savepoint undid what the failing tracker wrote"


async def test_a_lease_is_renewed_while_its_row_is_still_sending(bot: BotUnderTest) -> None:
    """A send that takes longer than the lease: the worker keeps it, and no other worker sends it meanwhile."""
    await channel_installed(bot)
    await queue(bot, to_channel("key-0110"))
    slow = another_worker(bot, "slow", lease=timedelta(seconds=0.6))
    other = another_worker(bot, "other", lease=timedelta(seconds=0.6))
    bot.connector.hang_next(1.5, conversation=COORDINATORS_CHANNEL.id)
    sending = asyncio.create_task(slow.run_once())
    taken = 0
    for _ in range(12):
        await asyncio.sleep(0.1)
        bot.clock.advance(seconds=0.1)  # two leases' worth pass while the send hangs
        taken += await other.run_once()
    assert await sending == 1
    assert taken == 0, "the renewed lease kept the row the slow worker's"
    assert keys_in(bot.connector.since(0)) == {"key-0110": 1}
    assert (await row(bot, "key-0110")).attempts == 1

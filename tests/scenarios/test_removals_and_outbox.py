"""Removals mark the stored references and tell an administrator, through the outbox and its worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import ConversationRefRow, OutboxRow
from tests.conftest import ADMIN, COORDINATOR, COORDINATORS_CHANNEL, SOCIAL_WORKER, BotUnderTest
from tests.harness.cardschema import assert_valid_card
from tests.harness.connector import Member
from tests.harness.driver import Chat


async def _outbox(bot: BotUnderTest) -> list[OutboxRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def _statuses(bot: BotUnderTest) -> set[tuple[str, str, str]]:
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(ConversationRefRow))
        return {(r.conversation_id, r.object_id, r.status) for r in rows}


async def test_an_uninstall_tells_an_administrator_who_never_opened_the_bot(bot: BotUnderTest) -> None:
    # The bot knows the coordinators' team; the administrator is on its roster but never wrote to the bot.
    bot.connector.rosters[COORDINATORS_CHANNEL.team_id] = [
        Member(COORDINATOR.user_id, COORDINATOR.object_id, COORDINATOR.name),
        Member(ADMIN.user_id, ADMIN.object_id, ADMIN.name),
    ]
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    # Installed in a team, the bot reads its roster once (who is on the receiving side).
    [sync] = await _outbox(bot)
    assert sync.kind == "sync.roster"
    await bot.deliver()
    chat = Chat.personal(SOCIAL_WORKER)
    await bot.driver.install(SOCIAL_WORKER, chat)
    exchange = await bot.driver.uninstall(SOCIAL_WORKER, chat)
    assert exchange.status == 201
    assert (chat.id, SOCIAL_WORKER.object_id, "uninstalled") in await _statuses(bot)
    [queued] = [r for r in await _outbox(bot) if r.status == "pending"]
    assert queued.kind == "send.person"

    mark = bot.connector.snapshot()
    assert await bot.run_outbox() == 1
    calls = bot.connector.since(mark)
    assert [c.op for c in calls] == ["members", "create", "send"]
    assert calls[1].activity["members"] == [{"id": ADMIN.user_id}]
    assert calls[2].conversation_id == calls[1].conversation_id
    [card] = calls[2].cards
    assert_valid_card(card)
    assert "removed" in str(card)
    assert calls[2].authorization.startswith("Bearer fake-")
    # The new chat is remembered: the next notice goes straight there.
    assert (calls[1].conversation_id, ADMIN.object_id, "active") in await _statuses(bot)
    assert [r.status for r in await _outbox(bot)] == ["sent", "sent"]
    assert await bot.run_outbox() == 0


async def test_an_administrator_with_a_chat_is_told_there(bot: BotUnderTest) -> None:
    admin_chat = Chat.personal(ADMIN)
    await bot.driver.install(ADMIN, admin_chat)
    await bot.driver.uninstall(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    mark = bot.connector.snapshot()
    assert await bot.run_outbox() == 1
    [sent] = bot.connector.since(mark)
    assert (sent.op, sent.conversation_id) == ("send", admin_chat.id)


async def test_an_administrators_channel_gets_the_notice_when_configured(start_bot: Any) -> None:
    admins = Chat.channel("admins")
    bot: BotUnderTest = await start_bot(admins_channel_id=admins.id)
    await bot.driver.install(ADMIN, admins)
    await bot.deliver()  # the install's roster read
    await bot.driver.channel_deleted(COORDINATOR, COORDINATORS_CHANNEL)
    mark = bot.connector.snapshot()
    assert await bot.run_outbox() == 1
    [sent] = bot.connector.since(mark)
    assert sent.conversation_id == admins.id
    assert "deleted" in str(sent.cards)


async def test_a_deleted_channel_marks_its_references(bot: BotUnderTest) -> None:
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    await bot.driver.channel_deleted(COORDINATOR, COORDINATORS_CHANNEL)
    statuses = {s for c, _o, s in await _statuses(bot) if c == COORDINATORS_CHANNEL.id}
    assert statuses == {"deleted"}


async def test_removal_from_a_team_marks_the_teams_references(bot: BotUnderTest) -> None:
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    exchange = await bot.driver.bot_removed_from_team(COORDINATOR, COORDINATORS_CHANNEL)
    assert exchange.status == 201
    statuses = {s for c, _o, s in await _statuses(bot) if c == COORDINATORS_CHANNEL.id}
    assert statuses == {"removed"}


async def test_a_429_waits_for_retry_after_then_sends(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await bot.driver.uninstall(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    bot.connector.fail_next(429, retry_after=120)
    assert await bot.run_outbox() == 0
    [row] = await _outbox(bot)
    assert (row.status, row.last_error, row.attempts) == ("pending", "HTTP 429", 1)
    bot.clock.advance(seconds=60)
    assert await bot.run_outbox() == 0
    bot.clock.advance(seconds=61)
    assert await bot.run_outbox() == 1
    assert [r.status for r in await _outbox(bot)] == ["sent"]


async def test_a_403_from_teams_leaves_the_row_dead_for_an_administrator(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await bot.driver.uninstall(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    bot.connector.fail_next(403, code="ConversationBlockedByUser")
    assert await bot.run_outbox() == 0
    [row] = await _outbox(bot)
    assert (row.status, row.last_error) == ("dead", "HTTP 403")


async def test_a_5xx_is_retried_later_and_then_sent(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await bot.driver.uninstall(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    bot.connector.fail_next(503)
    assert await bot.run_outbox() == 0
    [row] = await _outbox(bot)
    assert (row.status, row.last_error) == ("pending", "HTTP 503")
    bot.clock.advance(minutes=2)
    assert await bot.run_outbox() == 1


async def test_a_connector_that_hangs_times_out_and_the_row_waits_for_a_retry(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(http_timeout_seconds=0.5)
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await bot.driver.uninstall(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    bot.connector.hang_next(2.0)
    assert await bot.run_outbox() == 0
    [row] = await _outbox(bot)
    assert row.status == "pending" and row.last_error
    bot.clock.advance(minutes=2)
    assert await bot.run_outbox() == 1

"""Delivery through the outbox, end to end with the local Bot Connector, on both databases: 429s, 5xx and a
hanging connector delay but lose nothing, at Teams' pace; after its tries a row is a dead letter the
administrators are told of; a roster code reroutes to the fallback; the bot's own credentials refused stop the
sender with an alert, and it resumes by itself. (Leases and crashes: test_delivery_leases.py.)"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.outbox_sender import OutboxSender
from bot.outbox_worker import LEASE, MAX_ATTEMPTS, OutboxWorker
from cards.common import render_notice
from domain.messaging import OutboxKind, OutboxMessage
from storage.tables import ConversationRefRow, OutboxRow
from tests.conftest import (
    ADMIN,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    MANAGERS_CHANNEL,
    SOCIAL_WORKER,
    START,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardschema import assert_valid_card
from tests.harness.cardwalk import buttons
from tests.harness.connector import Recorded
from tests.harness.driver import TENANT, Chat

KEY = re.compile(r"key-[a-z0-9]{4}")


def keyed_card(key: str) -> dict[str, Any]:
    return render_notice(f"Reminder {key}", ["Something is due."])


def keys_in(calls: list[Recorded]) -> Counter[str]:
    """Deliveries counted by dedupe key: a card names its key; a digest's data lists the keys it carries."""
    found: Counter[str] = Counter()
    for call in calls:
        if call.op not in ("send", "reply"):
            continue
        for card in call.cards:
            unfold = buttons(card, "outbox.unfold")
            found.update(unfold[0]["data"]["keys"] if unfold else set(KEY.findall(str(card))))
    return found


async def queue(bot: BotUnderTest, *messages: OutboxMessage) -> None:
    async with bot.runtime.services.uow() as uow:
        for message in messages:
            await uow.outbox.add(message, bot.clock())


def to_channel(key: str, channel: Chat = COORDINATORS_CHANNEL, *, due: datetime = START, **extra: Any) -> OutboxMessage:
    payload = {"conversation_id": channel.id, "card": keyed_card(key), "summary": f"Reminder {key}", **extra}
    return OutboxMessage(OutboxKind.SEND_TO_CONVERSATION, payload, due, dedupe_key=key)


def to_person(key: str, person: Any = SOCIAL_WORKER, *, due: datetime = START, **extra: Any) -> OutboxMessage:
    payload = {
        "tenant_id": TENANT,
        "object_id": person.object_id,
        "card": keyed_card(key),
        "summary": f"Reminder {key}",
        **extra,
    }
    return OutboxMessage(OutboxKind.SEND_TO_PERSON, payload, due, dedupe_key=key)


async def rows(bot: BotUnderTest) -> list[OutboxRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def row(bot: BotUnderTest, key: str) -> OutboxRow:
    [found] = [r for r in await rows(bot) if r.dedupe_key == key]
    return found


def another_worker(bot: BotUnderTest, name: str, lease: timedelta = LEASE) -> OutboxWorker:
    """A second process's worker on the same database: its own id, its own sender and pace."""
    runtime = bot.runtime
    sender = OutboxSender(runtime.services, runtime.connectors, runtime.roles)
    return OutboxWorker(runtime.services, sender, bot.clock, runtime.settings.outbox_batch, worker_id=name, lease=lease)


async def channel_installed(bot: BotUnderTest, channel: Chat = COORDINATORS_CHANNEL) -> None:
    await bot.driver.install(COORDINATOR, channel)
    await bot.deliver()  # the install's roster read
    bot.connector.reset()


async def run_until_idle(worker: OutboxWorker, rounds: int = 30) -> int:
    sent = 0
    for _ in range(rounds):
        done = await worker.run_once()
        sent += done
        if not done:
            break
    return sent


# -- the sender owns its retries -----------------------------------------------------------------------------
async def test_a_429_is_honoured_and_the_conversation_kept_to_teams_pace(bot: BotUnderTest) -> None:
    await channel_installed(bot)
    keys = [f"key-{i:04d}" for i in range(16)]
    await queue(bot, *(to_channel(k) for k in keys))
    bot.connector.fail_next(429, retry_after=1, conversation=COORDINATORS_CHANNEL.id)
    assert await run_until_idle(bot.runtime.worker) == 16
    sends = bot.connector.sends_to(COORDINATORS_CHANNEL.id)
    assert keys_in(sends) == Counter(keys), "each once, none lost"
    [throttled] = bot.connector.faulted
    assert throttled.status == 429
    after = [s.at for s in sends if s.at > throttled.at]
    assert after and after[0] - throttled.at >= 1.0, "Retry-After honoured"
    times = [s.at for s in sends]
    for window, limit in ((1.0, 7), (2.0, 8)):
        worst = max(sum(1 for t in times if start <= t < start + window) for start in times)
        assert worst <= limit, f"{worst} sends within {window}s"
    assert bot.runtime.worker.throttled == 1
    first = await row(bot, keys[0])
    assert (first.status, first.attempts) == ("sent", 1), "a short Retry-After is waited for in the lane"


async def test_a_long_retry_after_holds_the_whole_conversation_back_and_costs_the_others_no_try(
    bot: BotUnderTest,
) -> None:
    await channel_installed(bot)
    keys = [f"key-{i:04d}" for i in range(150, 154)]
    await queue(bot, *(to_channel(k) for k in keys))
    bot.connector.fail_next(429, retry_after=60, conversation=COORDINATORS_CHANNEL.id)
    assert await bot.run_outbox() == 0
    assert bot.connector.sends_to(COORDINATORS_CHANNEL.id) == [], "the others were not tried against the 429"
    waiting = {r.dedupe_key: (r.status, r.attempts, r.last_error) for r in await rows(bot)}
    assert waiting[keys[0]] == ("pending", 1, "HTTP 429")
    assert {waiting[k] for k in keys[1:]} == {("pending", 0, "")}
    bot.clock.advance(seconds=30)
    assert await bot.run_outbox() == 0
    bot.clock.advance(seconds=31)
    assert await run_until_idle(bot.runtime.worker) == 4
    assert keys_in(bot.connector.since(0)) == Counter(keys)


async def test_5xx_and_a_hanging_connector_delay_but_lose_nothing(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(send_timeout_seconds=0.5)
    await channel_installed(bot)
    keys = [f"key-{i:04d}" for i in range(6)]
    await queue(bot, *(to_channel(k) for k in keys))
    bot.connector.fail_next(503, times=2, conversation=COORDINATORS_CHANNEL.id)
    bot.connector.hang_next(1.5, conversation=COORDINATORS_CHANNEL.id)
    await run_until_idle(bot.runtime.worker)
    failed = [r for r in await rows(bot) if r.status == "pending"]
    assert failed and {r.last_error for r in failed} <= {"HTTP 503", "ClientRequestError"}
    assert {r.error_class for r in failed} == {"transient"}
    for _ in range(4):
        bot.clock.advance(minutes=3)
        await run_until_idle(bot.runtime.worker)
    assert all(r.status == "sent" for r in await rows(bot))
    delivered = keys_in(bot.connector.since(0))
    assert set(delivered) == set(keys)
    # A hung request the bot gave up on may still have reached Teams: at most that one comes twice.
    assert sum(delivered.values()) - len(keys) <= 1


async def test_after_its_tries_a_row_is_dead_lettered_and_the_administrators_told(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await channel_installed(bot)
    await queue(bot, to_channel("key-0200"))
    bot.connector.fail_next(500, times=MAX_ATTEMPTS, conversation=COORDINATORS_CHANNEL.id)
    for _ in range(MAX_ATTEMPTS):
        await run_until_idle(bot.runtime.worker)
        bot.clock.advance(hours=1)
    dead = await row(bot, "key-0200")
    assert (dead.status, dead.attempts, dead.error_class, dead.last_error) == (
        "dead",
        MAX_ATTEMPTS,
        "transient",
        "HTTP 500",
    )
    notices = await bot.deliver()
    [notice] = [c for c in notices if c.conversation_id == Chat.personal(ADMIN).id]
    [card] = notice.cards
    assert_valid_card(card)
    assert "could not be delivered" in str(card) and "HTTP 500" in str(card)
    assert "key-0200" in str(card), "its key"
    assert "Something is due" not in str(card), "never what it carried"


# -- fallbacks ---------------------------------------------------------------------------------------------------
async def test_a_roster_code_reroutes_to_the_fallback_and_marks_the_stale_chat(bot: BotUnderTest) -> None:
    worker_chat, manager_chat = Chat.personal(SOCIAL_WORKER), Chat.personal(TEAM_MANAGER)
    await bot.driver.install(SOCIAL_WORKER, worker_chat)
    await bot.driver.install(TEAM_MANAGER, manager_chat)
    await bot.driver.install(TEAM_MANAGER, MANAGERS_CHANNEL)
    await bot.deliver()
    bot.connector.reset()
    await queue(
        bot,
        to_person("key-0300", fallback={"object_id": TEAM_MANAGER.object_id}),
        to_person("key-0301", fallback={"conversation_id": MANAGERS_CHANNEL.id}),
    )
    bot.connector.fail_next(403, code="ConversationBlockedByUser", conversation=worker_chat.id)
    assert await bot.run_outbox() == 2
    calls = bot.connector.since(0)
    assert [c.conversation_id for c in calls if c.op == "send"] == [manager_chat.id, MANAGERS_CHANNEL.id]
    for call in calls:
        if call.op == "send":
            assert "meant for" in str(call.cards), "the fallback is told why it has this"
            assert_valid_card(call.cards[0])
    first = await row(bot, "key-0300")
    assert (first.status, first.result["rerouted"]) == ("sent", "ConversationBlockedByUser")
    async with bot.runtime.services.uow() as uow:
        statuses = {
            r.status
            for r in await uow.session.scalars(select(ConversationRefRow))
            if r.conversation_id == worker_chat.id
        }
    assert statuses == {"blocked"}


async def test_without_a_fallback_a_gone_row_is_dead_at_once(bot: BotUnderTest) -> None:
    worker_chat = Chat.personal(SOCIAL_WORKER)
    await bot.driver.install(SOCIAL_WORKER, worker_chat)
    await queue(bot, to_person("key-0310"))
    bot.connector.fail_next(404, code="ConversationNotFound", conversation=worker_chat.id)
    assert await bot.run_outbox() == 0
    dead = await row(bot, "key-0310")
    assert (dead.status, dead.attempts, dead.error_class, dead.error_code) == (
        "dead",
        1,
        "gone",
        "ConversationNotFound",
    )


# -- the bot's own credentials -----------------------------------------------------------------------------------
async def test_a_transient_401_is_tried_again_not_dropped(bot: BotUnderTest) -> None:
    await channel_installed(bot)
    await queue(bot, to_channel("key-0400"))
    bot.connector.fail_next(401, conversation=COORDINATORS_CHANNEL.id)
    assert await bot.run_outbox() == 1
    assert bot.runtime.worker.stopped_until is None


async def test_credentials_refused_stop_the_sender_with_an_alert_and_it_resumes_by_itself(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.driver.install(ADMIN, Chat.personal(ADMIN))
    await channel_installed(bot)
    keys = [f"key-{i:04d}" for i in range(500, 505)]
    await queue(bot, *(to_channel(k) for k in keys))
    bot.connector.fail_next(403, times=3, code="Forbidden")
    assert await bot.run_outbox() == 0
    worker = bot.runtime.worker
    assert worker.stopped_until is not None
    assert any(r.levelname == "ERROR" and "stopped" in r.getMessage() for r in caplog.records)
    waiting = {r.dedupe_key: r for r in await rows(bot)}
    assert all(waiting[k].status == "pending" and waiting[k].attempts == 0 for k in keys), "not rerouted, not counted"
    [alert] = [r for r in await rows(bot) if r.payload.get("about_outbox") == 0]
    assert "stopped sending" in str(alert.payload["card"])
    assert await bot.run_outbox() == 0, "stopped: nothing is claimed"
    bot.clock.advance(minutes=2)
    sent = await run_until_idle(worker)
    assert worker.stopped_until is None
    assert sent == len(keys) + 1, "the probe went, then the rest and the alert"
    assert set(keys_in(bot.connector.since(0))) == set(keys)
